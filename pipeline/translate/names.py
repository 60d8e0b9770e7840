"""Names and glossary: a document's own spelling of a name wins; glossary terms are forced.

``NameIndex.from_texts(english_texts)`` learns the document's capitalised names; ``apply(text)`` rewrites
accent- or transliteration-variant spellings ("Serguéi Lavrov", "Faría") to the dominant document spelling
and returns the substitutions. ``Glossary`` loads ``terms: [{es, en}]`` from YAML.
"""
from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import regex

_WORD = r"\p{Lu}[\p{Ll}\p{Lu}'’\-]*\p{L}"
# Capitalised words not glued to a handle/hashtag/placeholder; runs separated by one space.
_NAME_RUN = regex.compile(rf"(?<![\w@#⟦])({_WORD}(?: {_WORD})*)(?![\w⟧])", regex.V1)
_SENTENCE_END = regex.compile(r"[.!?:\"“]\s*$")  # the text before a name run ends a sentence
# Spanish transliterations of (mostly Russian/Arabic) names vs English ones; applied after accents go.
_FOLDS = [(regex.compile(pat), rep) for pat, rep in [
    (r"gu(?=[ei])", "g"),  # Serguéi -> sergei
    (r"(?<=[aeiou])j(?=[aeiou])", "kh"),  # Zajárova -> zakharova
    (r"ey\b", "ei"), (r"iy\b", "i"), (r"y\b", "i"),  # Sergey/Dmitriy/Dmitry -> sergei/dmitri
    (r"sch", "sh"), (r"ph", "f"),
]]
_STOP = {"The", "A", "An", "In", "On", "At", "El", "La", "Los", "Las", "He", "She", "It", "This", "That",
         "But", "And", "President", "Minister", "Foreign", "Mr", "Ms", "Mrs"}


@lru_cache(maxsize=8192)  # a document's names come back in every segment; bounded
def fold(name: str) -> str:
    """Key under which spelling variants of a name meet.

    >>> fold("Serguéi Lavrov") == fold("Sergey Lavrov")
    True
    >>> fold("Faría") == fold("Faria")
    True
    >>> fold("Maduro") == fold("Madura")
    False
    """
    s = "".join(c for c in unicodedata.normalize("NFD", name) if unicodedata.category(c) != "Mn").lower()
    s = s.replace("’", "'")
    for pat, rep in _FOLDS:
        s = pat.sub(rep, s)
    return s


@dataclass
class NameIndex:
    canonical: dict[str, str] = field(default_factory=dict)  # fold(name) -> document spelling
    max_words: int = 1

    @classmethod
    def from_texts(cls, texts: Sequence[str]) -> "NameIndex":
        """Index capitalised multi-word names of the (English) texts, and their long parts (surnames).

        >>> idx = NameIndex.from_texts(["Sergey Lavrov met Jesús Faria. Faria said so, and Faria left."])
        >>> idx.apply("Serguéi Lavrov and Faría")[0]
        'Sergey Lavrov and Faria'
        """
        counts: dict[str, Counter] = defaultdict(Counter)
        for text in texts:
            for m in _NAME_RUN.finditer(text):
                words = m.group(1).split(" ")
                while words and words[0] in _STOP:
                    words = words[1:]
                if len(words) >= 2:
                    counts[fold(" ".join(words))][" ".join(words)] += 1
                # Parts of names, and capitalised words mid-sentence, stand for surnames ("Faria said").
                sentence_start = m.start() == 0 or _SENTENCE_END.search(text[:m.start()])
                parts = words if len(words) >= 2 or not sentence_start else []
                for w in parts:
                    if len(w) >= 4 and w not in _STOP:
                        counts[fold(w)][w] += 1
        idx = cls()
        for key, spellings in counts.items():
            # Dominant spelling; ties go to the plain-ASCII one, then alphabetical, for stable output.
            best = sorted(spellings.items(), key=lambda kv: (-kv[1], not kv[0].isascii(), kv[0]))[0][0]
            idx.canonical[key] = best
            idx.max_words = max(idx.max_words, best.count(" ") + 1)
        return idx

    def apply(self, text: str) -> tuple[str, list[dict]]:
        """Rewrite variant spellings of indexed names; returns the text and one note per substitution."""
        if not self.canonical:
            return text, []
        notes: list[dict] = []
        out, pos = [], 0
        for m in _NAME_RUN.finditer(text):
            words = m.group(1).split(" ")
            offsets, o = [], m.start(1)
            for w in words:
                offsets.append(o)
                o += len(w) + 1
            i = 0
            while i < len(words):
                for n in range(min(self.max_words, len(words) - i), 0, -1):
                    surface = " ".join(words[i:i + n])
                    target = self.canonical.get(fold(surface))
                    if target is not None:
                        if target != surface:
                            start = offsets[i]
                            out.append(text[pos:start])
                            out.append(target)
                            pos = start + len(surface)
                            notes.append({"type": "name", "from": surface, "to": target})
                        i += n
                        break
                else:
                    i += 1
        out.append(text[pos:])
        return "".join(out), notes


@dataclass(frozen=True)
class Glossary:
    terms: tuple[tuple[str, str], ...] = ()  # (es, en)

    @classmethod
    def load(cls, path: str | Path) -> "Glossary":
        import yaml

        p = Path(path)
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        terms = data.get("terms") or []
        out = []
        for i, t in enumerate(terms):
            if not isinstance(t, dict) or not isinstance(t.get("es"), str) or not isinstance(t.get("en"), str):
                raise ValueError(f"{p}: terms[{i}] must be a mapping with string keys es and en")
            out.append((t["es"], t["en"]))
        return cls(tuple(out))

    def pairs(self, src: str, tgt: str) -> list[tuple[str, str]]:
        """(source term, target term) for a direction, longest source first so longer terms win."""
        idx = {"es": 0, "en": 1}
        if src not in idx or tgt not in idx:
            return []
        pairs = [(t[idx[src]], t[idx[tgt]]) for t in self.terms]
        return sorted(pairs, key=lambda p: -len(p[0]))

    def find(self, text: str, src: str, tgt: str) -> list[tuple[int, int, str, str]]:
        """Whole-word, case-sensitive, non-overlapping matches: (start, end, source term, target term).

        >>> Glossary((("OPEP+", "OPEC+"),)).find("la OPEP+ dijo", "es", "en")
        [(3, 8, 'OPEP+', 'OPEC+')]
        """
        found: list[tuple[int, int, str, str]] = []
        for s, t, pattern in _compiled(self, src, tgt):
            if s not in text:  # cheap pre-check: most segments hold no glossary term
                continue
            for m in pattern.finditer(text):
                if not any(a < m.end() and m.start() < b for a, b, _, _ in found):
                    found.append((m.start(), m.end(), s, t))
        return sorted(found)


@lru_cache(maxsize=64)
def _compiled(glossary: Glossary, src: str, tgt: str) -> tuple[tuple[str, str, regex.Pattern], ...]:
    return tuple((s, t, regex.compile(rf"(?<!\w){regex.escape(s)}(?!\w)")) for s, t in glossary.pairs(src, tgt))
