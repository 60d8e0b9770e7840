"""Token-level Spanish/English tagger: a line in, one language per word and language runs out.

Each word gets es-vs-en evidence (log-odds, positive: Spanish) from a small logistic model over
character n-gram and word-frequency log-ratios, accents and capitalisation (capitalised words mid-line
are mostly names, whose spelling says little, so they lean on their context); an HMM with two states
then prefers staying in one language and switches only where the evidence outweighs the cost of a
switch, which is cheaper at punctuation than between two plain words. URLs, handles, hashtags, emoji and
numbers are ``other`` and carry no evidence. The model (``model/tagger.json.gz``) is trained by
``scripts/train_langid.py`` on code-switched tweets and news; its provenance is inside the file.
"""
from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Iterable

import regex

from pipeline.protect import find_protected

__all__ = ["Word", "TokenModel", "Tagging", "words_of", "load_model", "char_ngrams", "strip_accents"]

MODEL_RESOURCE = "model/tagger.json.gz"

# Words: letters with inner apostrophes. Everything else (punctuation, emoji, numbers) is `other`.
_WORD = regex.compile(r"\p{L}+(?:['’]\p{L}+)*")
_ACCENT = regex.compile(r"[áéíóúüñ]")
_STRIP = str.maketrans("áéíóúü", "aeiouu")
# Marks after which a capital says nothing about names (sentence or quotation starts).
_INITIAL_BEFORE = frozenset(".!?¿¡“\"«:—–-(")
# Marks between two words that make a language switch cheaper (clause and quotation boundaries).
_PUNCT_BETWEEN = regex.compile(r"[.,;:!?¿¡“”\"«»()\[\]—–…]|\s-\s")


def strip_accents(word: str) -> str:
    """>>> strip_accents("canción")
    'cancion'"""
    return word.translate(_STRIP)


def char_ngrams(word: str, nmax: int) -> Iterable[str]:
    """Character n-grams (1..nmax) of a lower-cased word with boundary marks.

    >>> sorted(char_ngrams("si", 2))
    ['<s', 'i', 'i>', 's', 'si']
    """
    s = f"<{word}>"
    for n in range(1, nmax + 1):
        for i in range(len(s) - n + 1):
            g = s[i:i + n]
            if g not in ("<", ">"):
                yield g


@dataclass(frozen=True)
class Word:
    """A linguistic word of a line: its offsets, text, and whether its capital may mark a name."""

    start: int
    end: int
    text: str
    capitalised: bool  # capital first letter mid-sentence (not all capitals, not line- or sentence-initial)
    punct_before: bool  # a clause or quotation mark lies between this word and the previous one


def words_of(text: str) -> list[Word]:
    """The words of ``text`` outside protected spans (URLs, handles, hashtags, emoji, numbers).

    >>> [(w.text, w.capitalised, w.punct_before) for w in words_of("Vamos al mall, con Maria @x")]
    [('Vamos', False, False), ('al', False, False), ('mall', False, False), ('con', False, True), ('Maria', True, False)]
    """
    if any(c in text for c in "@#:/.0123456789") or not text.isascii():
        chars = list(text)
        for sp in find_protected(text):
            chars[sp.start:sp.end] = " " * (sp.end - sp.start)
        blank = "".join(chars)
    else:
        blank = text
    out: list[Word] = []
    prev_end = 0
    for m in _WORD.finditer(blank):
        w = m.group()
        gap = text[prev_end:m.start()] if out else ""
        initial = not out or (gap.rstrip()[-1:] in _INITIAL_BEFORE)
        cap = w[:1].isupper() and not initial and not (len(w) > 1 and w.isupper())
        out.append(Word(m.start(), m.end(), w, cap, bool(out) and bool(_PUNCT_BETWEEN.search(gap))))
        prev_end = m.end()
    return out


@dataclass(frozen=True)
class Tagging:
    """Per-word evidence and labels of one line."""

    words: tuple[Word, ...]
    evidence: tuple[float, ...]  # es-vs-en log-odds of each word on its own
    labels: tuple[str, ...]  # "es" / "en" per word, after the sequence model

    @property
    def score(self) -> float:
        """Sum of the words' own evidence (positive: Spanish)."""
        return sum(self.evidence)


class TokenModel:
    """The trained tagger: per-word evidence (cached per word form) and Viterbi decoding."""

    def __init__(self, data: dict):
        self.meta = data.get("meta", {})
        self.nmax = int(data["nmax"])
        self.gram = data["gram_lr"]
        self.word = data["word_lr"]
        self.coef = data["coef"]
        self.scale = float(data["scale"])
        self.log_stay = {k: math.log(1.0 - p) for k, p in data["switch"].items()}
        self.log_switch = {k: math.log(p) for k, p in data["switch"].items()}
        self._cache: dict[tuple[str, bool], float] = {}

    def known(self, word: str) -> bool:
        """The lower-cased word (or its accent-stripped form) was seen in training."""
        w = word.lower()
        return w in self.word or strip_accents(w) in self.word

    def features(self, word: str, capitalised: bool) -> list[float]:
        w = word.lower()
        grams = list(char_ngrams(w, self.nmax))
        cm = sum(self.gram.get(g, 0.0) for g in grams) / len(grams)
        wl = self.word.get(w, 0.0)
        cap = 1.0 if capitalised else 0.0
        acc = 1.0 if _ACCENT.search(w) else 0.0
        return [1.0, cm, cm * math.log(1 + len(w)), wl, acc, cap * cm, cap * wl, cap]

    def evidence(self, word: str, capitalised: bool) -> float:
        """Spanish-vs-English log-odds of one word (positive: Spanish)."""
        key = (word, capitalised)
        v = self._cache.get(key)
        if v is None:
            v = sum(c * f for c, f in zip(self.coef, self.features(word, capitalised)))
            v = max(-12.0, min(12.0, v))
            if len(self._cache) < 200_000:
                self._cache[key] = v
        return v

    def tag(self, text: str, words: list[Word] | None = None) -> Tagging:
        words = words_of(text) if words is None else words
        ev = [self.evidence(w.text, w.capitalised) for w in words]
        return Tagging(tuple(words), tuple(ev), tuple(self.viterbi(words, ev)))

    def viterbi(self, words: list[Word], ev: list[float]) -> list[str]:
        """Most likely es/en sequence; a word's evidence is split symmetrically between the two states."""
        if not words:
            return []
        s = self.scale
        # states: 0 = es, 1 = en
        score = [s * ev[0] / 2, -s * ev[0] / 2]
        back: list[tuple[int, int]] = []
        for i in range(1, len(words)):
            kind = "punct" if words[i].punct_before else "space"
            stay, switch = self.log_stay[kind], self.log_switch[kind]
            e = s * ev[i] / 2
            from_es = (score[0] + stay, score[1] + switch)
            from_en = (score[1] + stay, score[0] + switch)
            b_es = 0 if from_es[0] >= from_es[1] else 1
            b_en = 1 if from_en[0] >= from_en[1] else 0
            score = [max(from_es) + e, max(from_en) - e]
            back.append((b_es, b_en))
        state = 0 if score[0] >= score[1] else 1
        path = [state]
        for b in reversed(back):
            state = b[state]
            path.append(state)
        path.reverse()
        return ["es" if p == 0 else "en" for p in path]


@lru_cache(maxsize=1)
def load_model() -> TokenModel:
    """The packaged model, loaded once per process."""
    raw = resources.files("pipeline.langid").joinpath(MODEL_RESOURCE).read_bytes()
    return TokenModel(json.loads(gzip.decompress(raw)))
