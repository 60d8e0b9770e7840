"""Inject one artefact of a class of article 004 (or of engine output) into a real, clean English sentence.

``inject(sentence, cls, rng)`` returns ``(damaged, expected)`` or ``None`` when the sentence offers no place
for that class. The expected text is the sentence as it was (for ``encoding``: with curly quotes where the
damage started from straight ones). Positions, words and names are drawn at random from the sentence
itself, never from the repair rules' word lists, so the generator does not mirror the rules:

* ``title_case``   1-3 consecutive lower-case words (not right after . : ; " or a bracket) get a capital, as
                   a lost link anchor does ("in the field Energy Providing").
* ``glued``        the space between two words is dropped and the second word is capitalised
                   ("CaracasAfter", "sectorEconomic"); the first word is not one of the articles,
                   prepositions or conjunctions of ``_GLUE_LEFT_SKIP`` (an anchor ends in a content word).
* ``conjunction``  one lower-case closed-class word mid-sentence ("and", "of", "the", ...) gets a capital.
* ``repeat``       a word (80%) or a 2-3 word phrase (20%) is written twice.
* ``spacing``      a space before , . ; : ! ?, a space inside quotes or brackets, or a missing space after a
                   comma.
* ``encoding``     UTF-8 read as cp1252 (“ -> â€œ, é -> Ã©; ” -> â€, its last byte undefined there and lost) or,
                   for half the sentences with Spanish letters, as cp1250 (ó -> Ăł); sentences without a quote or a non-ASCII letter get curly quotes
                   around a random 2-6 word stretch first, so the expected text has them.
"""
from __future__ import annotations

import random
import re

CLASSES = ("title_case", "glued", "conjunction", "repeat", "spacing", "encoding")

_TOK = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
# closed-class words the conjunction class capitalises (and the glued class does not end an anchor with)
_CLOSED = ("and or but nor of the a an in on at to for with by from as into than that "
           "which who is was are were has have had will would").split()
_GLUE_LEFT_SKIP = set(_CLOSED)
_OPEN_BEFORE = set('.!?:;"“‘([—–-')


def _tokens(s: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _TOK.finditer(s)]


def _mid(s: str, toks: list, i: int) -> bool:
    """Token i is mid-sentence: not first, and nothing but one space between it and the previous word."""
    return i > 0 and s[toks[i - 1][1]:toks[i][0]] == " "


def _cap(w: str) -> str:
    return w[0].upper() + w[1:]


def inject(s: str, cls: str, rng: random.Random) -> tuple[str, str] | None:
    toks = _tokens(s)
    if cls == "title_case":
        cands = [i for i, (a, b, w) in enumerate(toks) if _mid(s, toks, i) and w.islower() and len(w) >= 3
                 and w not in _CLOSED]
        if not cands:
            return None
        i = rng.choice(cands)
        k = rng.choices((1, 2, 3), (0.5, 0.3, 0.2))[0]
        span = [i]
        while len(span) < k and span[-1] + 1 < len(toks) and _mid(s, toks, span[-1] + 1) \
                and toks[span[-1] + 1][2].islower() and toks[span[-1] + 1][2] not in _CLOSED:
            span.append(span[-1] + 1)
        out = list(s)
        for j in span:
            out[toks[j][0]] = out[toks[j][0]].upper()
        return "".join(out), s
    if cls == "glued":
        cands = [i for i, (a, b, w) in enumerate(toks) if _mid(s, toks, i) and w.islower() and len(w) >= 2
                 and len(toks[i - 1][2]) >= 3 and toks[i - 1][2].lower() not in _GLUE_LEFT_SKIP
                 and toks[i - 1][2][-1].isalpha()]
        if not cands:
            return None
        i = rng.choice(cands)
        a = toks[i][0]
        return s[:a - 1] + _cap(s[a:]), s
    if cls == "conjunction":
        cands = [i for i, (a, b, w) in enumerate(toks) if _mid(s, toks, i) and w in _CLOSED]
        if not cands:
            return None
        a = toks[rng.choice(cands)][0]
        return s[:a] + s[a].upper() + s[a + 1:], s
    if cls == "repeat":
        cands = [i for i in range(len(toks)) if i == 0 or _mid(s, toks, i)]
        if not cands:
            return None
        i = rng.choice(cands)
        n = 1 if rng.random() < 0.8 else rng.choice((2, 3))
        j = i + n - 1
        if j >= len(toks) or any(not _mid(s, toks, x) for x in range(i + 1, j + 1)):
            j = i
        a, b = toks[i][0], toks[j][1]
        return s[:b] + " " + s[a:b] + s[b:], s
    if cls == "spacing":
        kind = rng.choice(("before_punct", "inside_quotes", "comma_glue"))
        if kind == "before_punct":
            cands = [m.start() for m in re.finditer(r"(?<=[A-Za-z0-9])[,.;:!?](?=\s|$)", s)]
            if not cands:
                return None
            p = rng.choice(cands)
            return s[:p] + " " + s[p:], s
        if kind == "comma_glue":
            cands = [m.start() for m in re.finditer(r"(?<=[A-Za-z]), (?=[A-Za-z])", s)]
            if not cands:
                return None
            p = rng.choice(cands)
            return s[:p + 1] + s[p + 2:], s
        m = re.search(r'"([^"]+)"|“([^”]+)”|\(([^)]+)\)', s)
        if not m:
            return None
        g = next(i for i in (1, 2, 3) if m.group(i) is not None)
        return s[:m.start(g)] + " " + m.group(g) + " " + s[m.end(g):], s
    if cls == "encoding":
        base = s
        if '"' in s and s.count('"') == 2:
            base = re.sub(r'"([^"]+)"', r"“\1”", s)
        elif s.isascii():
            if len(toks) < 8:
                return None
            i = rng.randrange(1, len(toks) - 6)
            j = i + rng.randrange(1, 6)
            base = s[:toks[i][0]] + "“" + s[toks[i][0]:toks[j][1]] + "”" + s[toks[j][1]:]
        # bytes a code page does not define are lost, as when the text went through it ("”" -> "â€")
        codec = "cp1250" if any(ch in base for ch in "áéíóúñüÁÉÍÓÚÑ") and rng.random() < 0.5 else "cp1252"
        damaged = base.encode("utf-8").decode(codec, errors="ignore")
        return (damaged, base) if damaged != base else None
    raise ValueError(f"unknown class {cls!r}")
