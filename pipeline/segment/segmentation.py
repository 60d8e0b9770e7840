"""Segmentation: ingested document text -> ordered segments (headings, sentences, tweets and their
attribution lines, hashtag lines, datelines, timestamps), each with exact offsets into the text.

Every character of linguistic content ends up in exactly one segment; segments never overlap. Datelines,
timestamps, attribution lines and duplicated paragraphs are segments too (so nothing is lost), with kinds
that the export stage turns into rejects with a reason.
"""
from __future__ import annotations

import bisect
import difflib
from collections import Counter
from dataclasses import dataclass

import regex

from pipeline.config import SegmentationConfig
from pipeline.protect import find_protected, strip_protected
from pipeline.records import Segment, SegmentMeta
from pipeline.resources.abbreviations import abbreviations

_MONTHS = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
           r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?|"
           r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|se?ptiembre|octubre|noviembre|diciembre)")
_DATE_WORDS = (rf"(?:{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
               rf"|\d{{1,2}}\s+(?:de\s+)?{_MONTHS}\.?(?:\s+de)?,?\s+\d{{4}})")

# "— Carlos Faria (@Fariacrt) July 4, 2022" closing an embedded tweet (Twitter's blockquote text form).
_ATTRIBUTION = regex.compile(
    rf"(?P<attr>[—–―-]{{1,2}}\s*[^—–―\n]{{0,120}}?\(@\w{{1,50}}\)\s*(?:{_DATE_WORDS})?)\s*$",
    regex.IGNORECASE,
)
_THREAD = regex.compile(r"^(?P<marker>\d{1,2}/\d{1,2})\s+(?=\S)")
# "#EnFotos |" or "#Venezuela #Rusia:" opening a tweet.
_HASHTAG_LEAD = regex.compile(r"^(?P<tags>(?:#\w+\s*)+[|:·•]+)\s*(?=\S)")
# "MOSCOW (Sputnik) - ", "CARACAS, Venezuela (AP) — ", "WASHINGTON — "
_DATELINE = regex.compile(
    r"^(?P<dl>\p{Lu}[\p{Lu}\p{M} .'’-]{1,40}(?:,\s*[\p{L} .'’-]{1,40})?"
    r"(?:\s*\([^()\n]{1,40}\))?\s*[—–-]{1,2})\s+(?=\S)"
)
_TIMEZONE = r"(?:GMT|UTC|CET|CEST|EST|EDT|PST|PDT|MSK|BST|VET|[AP]\.?M\.?)"
_STAMP_WORDS = regex.compile(
    rf"\b(?:{_TIMEZONE}|Updated|Update|Published|Actualizado|Publicado|{_MONTHS}|de|at|a las)\b",
    regex.IGNORECASE,
)

# Abbreviations after which a full stop does not end a sentence (pipeline/resources/data/abbreviations.txt).
_ABBREV = abbreviations()
_BOUNDARY = regex.compile(
    r"(?<=[.!?…])[\"'”’»)\]]*(?P<ws>\s+)(?=[\"'“‘«(\[¿¡]*[\p{Lu}\d#@])"
)
_TERMINAL = regex.compile(r"[.!?…:;][\"'”’»)\]]*$")
# compiled once (regex's per-call pattern lookup costs more than most of these searches)
_WORD_BEFORE_STOP = regex.compile(r"([\p{L}.]+)\.$")
_INITIALS = regex.compile(r"(?:\p{Lu}\.)*\p{Lu}")
_DATE_WORDS_I = regex.compile(_DATE_WORDS, regex.I)
_STAMP_PUNCT = regex.compile(r"[\d\s()\[\]:,.;/|\-–—]+")
_LETTER = regex.compile(r"\p{L}")
_HASHTAGS_ONLY = regex.compile(r"(?:\s*#\w+)+\s*")
_TOKEN = regex.compile(r"\p{L}[\p{L}\p{M}'’-]*|\d+")


@dataclass(frozen=True)
class _Piece:
    start: int
    end: int
    kind: str
    meta: tuple[tuple[str, str], ...] = ()


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Sentence ranges of a paragraph (offsets shifted by ``offset``).

    >>> t = 'Mr. Smith met Dr. Ruiz in the U.S. on Monday. "It went well," he said. Then he left.'
    >>> [t[a:b] for a, b in split_sentences(t)]
    ['Mr. Smith met Dr. Ruiz in the U.S. on Monday.', '"It went well," he said.', 'Then he left.']
    """
    protected = sorted((s.start, s.end) for s in find_protected(text))
    starts = [a for a, _ in protected]
    reach = []  # reach[k]: the furthest end among protected[:k + 1] (spans may nest)
    for _, b in protected:
        reach.append(max(b, reach[-1]) if reach else b)
    cuts = [0]
    for m in _BOUNDARY.finditer(text):
        dot = m.start()
        # the char before any closing quotes is the terminal mark
        j = dot
        while j > 0 and text[j - 1] in "\"'”’»)]":
            j -= 1
        k = bisect.bisect_left(starts, j) - 1  # spans starting before j (a < j): is one still open at j?
        if k >= 0 and reach[k] >= j:
            continue  # a full stop inside a URL or number
        if text[j - 1] == ".":
            # only the word before the stop matters: search a short tail, not the whole paragraph so far
            word = _WORD_BEFORE_STOP.search(text[max(0, j - 64):j])
            if word:
                w = word.group(1)
                if w.lower().rstrip(".") in _ABBREV or _INITIALS.fullmatch(w):
                    continue  # "Dr." or an initial "J." or "U.S."
        cuts.append(m.start("ws"))
        cuts.append(m.end("ws"))
    cuts.append(len(text))
    out = []
    for a, b in zip(cuts[0::2], cuts[1::2]):
        if text[a:b].strip():
            out.append((offset + a, offset + b))
    return out


def is_timestamp(text: str) -> bool:
    """A line made only of dates, times, time zones and 'Updated'-style words.

    >>> is_timestamp("03:07 GMT 21.02.2024 (Updated: 03:08 GMT 21.02.2024)")
    True
    >>> is_timestamp("Updated 3 hours ago in Caracas")
    False
    """
    spans = find_protected(text)
    if not any(s.kind in ("date", "time") for s in spans) and not _DATE_WORDS_I.search(text):
        return False
    rest = _DATE_WORDS_I.sub(" ", strip_protected(text, spans))
    rest = _STAMP_WORDS.sub(" ", rest)
    rest = _STAMP_PUNCT.sub(" ", rest)
    return not rest.strip()


def is_heading(text: str, max_words: int) -> bool:
    """A short line without final punctuation that does not start in lower case.

    >>> is_heading("Large oil reserves", 14)
    True
    >>> is_heading("He said it was over.", 14)
    False
    """
    words = text.split()
    if not words or len(words) > max_words:
        return False
    if _TERMINAL.search(text) and not text.endswith("?"):
        return False
    first = _LETTER.search(text)
    return bool(first) and not first.group().islower()


def _paragraph_pieces(text: str, start: int, end: int, cfg: SegmentationConfig) -> list[_Piece]:
    """Split one paragraph text[start:end] into typed pieces."""
    para = text[start:end]
    pieces: list[_Piece] = []
    if is_timestamp(para):
        return [_Piece(start, end, "timestamp")]
    body_start, body_end = start, end
    m = _ATTRIBUTION.search(para)
    attribution = None
    if m and m.start("attr") > 0:
        attribution = _Piece(start + m.start("attr"), start + m.end("attr"), "tweet_attribution")
        body_end = start + m.start("attr")
        while body_end > body_start and text[body_end - 1].isspace():
            body_end -= 1
    meta: list[tuple[str, str]] = []
    if attribution:
        t = _THREAD.match(text[body_start:body_end])
        if t:
            meta.append(("thread", t.group("marker")))
            body_start += t.end()
    h = _HASHTAG_LEAD.match(text[body_start:body_end])
    if h:
        pieces.append(_Piece(body_start, body_start + h.end("tags"), "hashtag_line"))
        body_start += h.end()
    if attribution:
        if body_end > body_start:
            pieces.append(_Piece(body_start, body_end, "tweet", tuple(meta)))
        pieces.append(attribution)
        return pieces
    d = _DATELINE.match(text[body_start:body_end])
    if d and len(d.group("dl").split()) <= 6:
        pieces.append(_Piece(body_start, body_start + d.end("dl"), "dateline"))
        body_start += d.end()
    body = text[body_start:body_end]
    if not body.strip():
        return pieces
    if not pieces and is_heading(body, cfg.heading_max_words):
        pieces.append(_Piece(body_start, body_end, "heading"))
        return pieces
    if _HASHTAGS_ONLY.fullmatch(body):
        pieces.append(_Piece(body_start, body_end, "hashtag_line"))
        return pieces
    ranges = split_sentences(body, body_start) if cfg.split_sentences else [(body_start, body_end)]
    pieces.extend(_Piece(a, b, "sentence") for a, b in ranges)
    return pieces


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


# Work allowed per document, in units of tokens indexed, index entries visited and word comparisons. An
# ordinary article uses well under 1% of it; a file built to defeat the duplicate check is rejected with
# the reason ``segmentation_budget`` instead of holding the whole corpus up.
DEFAULT_WORK_BUDGET = 50_000_000
_MAX_POSTINGS = 32  # a word pair found in more paragraphs than this is too common to point at a copy
_MAX_CANDIDATES = 8  # earlier paragraphs compared with each paragraph, those sharing most word pairs


class SegmentationBudgetExceeded(ValueError):
    """A document needs more work than the per-document budget allows."""


class WorkBudget:
    """Counts the work done on one document and stops it past ``limit``; ``used`` makes the cost of the
    duplicate check observable (tests assert it grows linearly with the document)."""

    def __init__(self, limit: int | None = None):
        self.limit = DEFAULT_WORK_BUDGET if limit is None else limit
        self.used = 0

    def spend(self, units: int) -> None:
        self.used += units
        if self.used > self.limit:
            raise SegmentationBudgetExceeded(f"segmenting needs more than {self.limit:,} units of work "
                                             "(a pathological document, e.g. thousands of near-identical "
                                             "paragraphs)")


def _bigrams(tokens: list[str]) -> Counter:
    return Counter(zip(tokens, tokens[1:]))


def _mark_duplicate_paragraphs(paras: list[tuple[int, int]], text: str,
                               budget: WorkBudget | None = None) -> dict[int, int]:
    """Map paragraph index -> index of the paragraph it duplicates (a teaser repeating the lead).

    Two paragraphs are duplicates when at least 80% of the shorter one's words appear in the other in the
    same order (longest matching blocks) and the shorter has at least 8 words; the shorter (at equal length
    the earlier) one is dropped. Word order matters: a headline that reuses a paragraph's words is not a copy.

    Linear in the document: candidates come from an index of word pairs (pairs found in many paragraphs
    are ignored) and exact copies from a hash of the words; only a few candidates per paragraph that share
    enough word pairs to possibly match are compared word by word.
    """
    budget = budget or WorkBudget()
    toks: list[list[str]] = []
    for a, b in paras:
        toks.append(_tokens(text[a:b]))
        budget.spend(len(toks[-1]) + 1)
    grams = [_bigrams(t) if len(t) >= 8 else Counter() for t in toks]
    candidates: set[tuple[int, int]] = set()
    last_copy: dict[tuple[str, ...], int] = {}
    postings: dict[tuple[str, str], list[int]] = {}
    for j, t in enumerate(toks):
        if len(t) < 8:
            continue  # too short to be, or to have, a duplicate
        if (i := last_copy.get(tuple(t))) is not None:
            candidates.add((i, j))
        last_copy[tuple(t)] = j
        shared: Counter = Counter()
        for g in grams[j]:
            seen = postings.setdefault(g, [])
            if len(seen) <= _MAX_POSTINGS:
                budget.spend(len(seen) + 1)
                shared.update(seen)
                seen.append(j)
        candidates.update((i, j) for i, _ in shared.most_common(_MAX_CANDIDATES))
    dup: dict[int, int] = {}
    for i, j in sorted(candidates):  # the order the all-pairs check used, so the same pairs win
        if i in dup or j in dup:
            continue
        a, b = toks[i], toks[j]
        short = min(len(a), len(b))
        if short < 8 or max(len(a), len(b)) > 3 * short:
            continue
        budget.spend(len(a) + len(b))
        if a == b:
            shared_words = short
        else:
            # blocks covering 80% of the shorter, at most 20% + 1 of them, share >= 60% - 1 word pairs
            if sum((grams[i] & grams[j]).values()) < 0.6 * short - 1:
                continue
            budget.spend(len(a) * len(b))
            matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
            shared_words = sum(block.size for block in matcher.get_matching_blocks())
        if shared_words / short >= 0.8:
            drop, keep = (i, j) if len(a) <= len(b) else (j, i)
            dup[drop] = keep
    return dup


def segment_document(doc: str, text: str, config: SegmentationConfig | None = None,
                     budget: WorkBudget | None = None) -> list[Segment]:
    """Segments of one ingested document, in order, with offsets into ``text``. Raises
    ``SegmentationBudgetExceeded`` when the document needs more work than ``budget`` allows."""
    cfg = config or SegmentationConfig()
    budget = budget or WorkBudget()
    paras: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        if line.strip():
            paras.append((pos, pos + len(line)))
        pos += len(line) + 1
    duplicates = _mark_duplicate_paragraphs(paras, text, budget)
    segments: list[Segment] = []
    for p_index, (a, b) in enumerate(paras):
        budget.spend(b - a)
        for piece in _paragraph_pieces(text, a, b, cfg):
            # trim whitespace so text == document[start:end] is tight
            s, e = piece.start, piece.end
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if s == e:
                continue
            kind = piece.kind
            meta = dict(piece.meta)
            if p_index in duplicates and kind in ("sentence", "heading", "tweet"):
                meta["duplicate_of_paragraph"] = duplicates[p_index]
                meta["original_kind"] = kind
                kind = "duplicate"
            seg_text = text[s:e]
            segments.append(Segment(
                doc=doc, index=len(segments), start=s, end=e, text=seg_text, kind=kind,
                paragraph=p_index, protected=find_protected(seg_text), meta=SegmentMeta(**meta),
            ))
    return segments


# Segment kinds that are translation units; the others are kept in documents but never become pairs.
TRANSLATABLE_KINDS = frozenset({"sentence", "heading", "tweet"})
NON_PAIR_REASONS = {
    "dateline": "dateline",
    "timestamp": "timestamp",
    "tweet_attribution": "tweet_attribution",
    "hashtag_line": "hashtag_line",
    "duplicate": "duplicate_paragraph",
}
