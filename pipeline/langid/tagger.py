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
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import repeat
from typing import Iterable

import msgspec
import regex

from pipeline.protect import find_protected
from pipeline.resources.langwords import THIRD_FUNCTION_ANY, THIRD_LETTERS

__all__ = ["Word", "TokenModel", "Tagging", "words_of", "load_model", "char_ngrams", "strip_accents"]

MODEL_RESOURCE = "model/tagger.json.gz"

# Words: letters with inner apostrophes. Everything else (punctuation, emoji, numbers) is `other`.
_WORD = regex.compile(r"\p{L}+(?:['’]\p{L}+)*")
_ACCENT = regex.compile(r"[áéíóúüñ]")
# Lines without these cannot hold a protected span that holds letters (URL, handle, hashtag, email,
# emoji); numbers, dates and times hold none, so blanking them changes no word and is skipped.
_MAYBE_PROTECTED = regex.compile(r"[@#/\p{Extended_Pictographic}\p{Regional_Indicator}]|www\.|https?:")
# Letters repeated for emphasis ("amooor", "daaamn") count twice at most when screening third languages.
_SQUEEZE = regex.compile(r"(\p{L})\1{2,}")
_STRIP = str.maketrans("áéíóúü", "aeiouu")
# Marks after which a capital says nothing about names (sentence or quotation starts).
_INITIAL_BEFORE = frozenset(".!?¿¡“\"«")
# What lies between two words: clause, sentence and quotation marks ("strong"), anything else that is
# not blank (commas, brackets, handles, emoji: "weak"), or only blanks ("space"). The HMM has a switch
# probability for each, learned from the training tweets.
_STRONG_GAP = regex.compile(r"[.;:!?¿¡“”\"«»—–…]|\s-\s")
GAP_KINDS = ("space", "weak", "strong")
# "July 4": English order of month and day (Spanish writes "4 de julio").
_EN_DATE = regex.compile(r"\b(?:January|February|March|April|May|June|July|August|September|October|"
                         r"November|December)\s+\d{1,2}(?:st|nd|rd|th)?\b")
EN_DATE_EVIDENCE = -4.0
_DIGIT = regex.compile(r"\d")


def gap_kind(gap: str) -> str:
    """>>> [gap_kind(g) for g in (" ", ", ", " — ", " (@x) ")]
    ['space', 'weak', 'strong', 'weak']"""
    if not gap or gap.isspace():
        return "space"
    return "strong" if _STRONG_GAP.search(gap) else "weak"


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
    gap: str  # what lies between this word and the previous one: "space", "weak" or "strong"


def words_of(text: str) -> list[Word]:
    """The words of ``text`` outside protected spans (URLs, handles, hashtags, emoji, numbers) and
    codes (letters glued to digits).

    >>> [(w.text, w.capitalised, w.gap) for w in words_of("Vamos al mall, con Maria @x")]
    [('Vamos', False, 'space'), ('al', False, 'space'), ('mall', False, 'space'), ('con', False, 'weak'), ('Maria', True, 'space')]
    >>> [w.text for w in words_of("E38: Argumento nulo en IPv6")]
    ['Argumento', 'nulo', 'en']
    """
    if _MAYBE_PROTECTED.search(text):
        chars = list(text)
        for sp in find_protected(text):
            chars[sp.start:sp.end] = " " * (sp.end - sp.start)
        blank = "".join(chars)
    else:
        blank = text
    out: list[Word] = []
    append = out.append
    prev_end = -1
    for m in _WORD.finditer(blank):
        start, end = m.span()
        if (start and blank[start - 1].isdigit()) or blank[end:end + 1].isdigit():
            continue  # letters glued to digits are a code ("E38", "IPv6", "MP3", "G20"), not a word
        w = blank[start:end]
        if prev_end < 0:  # line-initial: its capital marks nothing
            append(Word(start, end, w, False, "space"))
        else:
            gap = text[prev_end:start]
            if gap == " " or not gap or gap.isspace():
                kind, initial = "space", False
            else:
                kind = "strong" if _STRONG_GAP.search(gap) else "weak"
                initial = gap.rstrip()[-1:] in _INITIAL_BEFORE
            append(Word(start, end, w, w[0].isupper() and not initial and not (len(w) > 1 and w.isupper()),
                        kind))
        prev_end = end
    if out and all(w.text[:1].isupper() for w in out):
        # Every word capitalised (a name, a Title Case heading): no capital marks a sentence start.
        out = [Word(w.start, w.end, w.text, not (len(w.text) > 1 and w.text.isupper()), w.gap)
               for w in out]
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
        third = data.get("third", {"langs": [], "grams": {}})
        self.third_langs = tuple(third["langs"])
        self._third_grams = third["grams"]
        self.third_threshold = float(data.get("third_threshold", math.inf))
        self._third_cache: dict[str, tuple[tuple[float, ...], int]] = {}
        self._stats_cache: dict[str, tuple] = {}
        # n-gram means of the training vocabulary, computed at training time (same values, less start work)
        self._cm_cache: dict[str, float] = dict(data.get("word_cm", {}))
        lex = data.get("third_lexicon", {"langs": [], "words": {}, "coef": []})
        self.lex_langs = tuple(lex["langs"])
        self._lex = lex["words"]
        self._lex_coef = lex["coef"]
        self.third_lex_threshold = float(lex.get("threshold", 0.5))
        self._lex_pair = sum(1 for c in self.lex_langs if c in ("es", "en"))

    def _word_stats(self, low: str) -> tuple:
        """Per lower-cased word, cached: lexicon vector (or None), unknown to the es/en tagger,
        third-language function word, third-language letter."""
        st = self._stats_cache.get(low)
        if st is None:
            st = (self._lex.get(low), not self.known(low), low in THIRD_FUNCTION_ANY,
                  not low.isascii() and any(c in THIRD_LETTERS for c in low))
            if len(self._stats_cache) < 200_000:
                self._stats_cache[low] = st
        return st

    def _margin(self, tot: list[float], n: int) -> tuple[float, str | None]:
        if not n:
            return 0.0, None
        pair = max(t for c, t in zip(self.third_langs, tot) if c in ("es", "en"))
        best, lang = max((t, c) for c, t in zip(self.third_langs, tot) if c not in ("es", "en"))
        return (best - pair) / n, lang

    def third_features(self, words: list[Word]) -> tuple[list[float], str | None]:
        """Features of the third-language decision and the likeliest third language by the word
        lexicon: the word lexicon's margin (best third language minus best of es/en, per word; names
        count less; also clipped, and as a total), the share of words unknown to the es/en tagger,
        third-language function words and letters, length, the share of words the lexicon knows, and the
        letter n-gram margin of the words outside the lexicon weighted by their share (n-grams are
        looked up only for those, which keeps the decision cheap). One pass, per-word statistics cached."""
        n = len(words)
        plain: list = []  # lexicon vectors of ordinary words
        names: list = []  # ... and of capitalised ones (names), which count 0.3
        oov: list = []
        n_oov = n_out = 0
        unk = tf = tl = 0
        stats = self._stats_cache
        for w in words:
            low = w.text.lower()
            st = stats.get(low) or self._word_stats(low)
            if st[0] is not None:
                (names if w.capitalised else plain).append(st[0])
            else:
                n_out += 1
                vec, cnt = self._third_vec(low)
                if cnt:
                    oov.append(vec)
                    n_oov += cnt
            if st[1] and not w.capitalised:
                unk += 1
            tf += st[2]
            tl += st[3]
        known = len(plain) + 0.3 * len(names)
        nk = len(self.lex_langs)
        a = list(map(sum, zip(*plain))) if plain else [0.0] * nk
        b = list(map(sum, zip(*names))) if names else [0.0] * nk
        acc = [x + 0.3 * y for x, y in zip(a, b)]
        nb_oov = list(map(sum, zip(*oov))) if oov else [0.0] * len(self.third_langs)
        k = self._lex_pair
        wm = (max(acc[k:]) - max(acc[:k])) / n if known and len(acc) > k else 0.0
        lang = self.lex_langs[k + max(range(len(acc) - k), key=lambda i: acc[k + i])] if known else None
        om, om_lang = self._margin(nb_oov, n_oov)
        if lang is None:
            lang = om_lang
        return ([1.0, wm, max(-3.0, min(3.0, wm)), unk / n, tf / n, tl / n, math.log(n),
                 known / n, om * n_out / n, max(-8.0, min(8.0, wm * n))], lang)

    def third_probability(self, words: list[Word]) -> tuple[float, str | None]:
        """Calibrated P(the words are not Spanish or English) and the likeliest third language; a small
        logistic model trained on real messages in pt/it/fr/ca/es/en, news and tweets."""
        if not self._lex_coef or not words:
            return 0.0, None
        f, lang = self.third_features(words)
        z = sum(c * x for c, x in zip(self._lex_coef, f))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z)))), lang

    def _third_vec(self, low: str) -> tuple[tuple[float, ...], int]:
        hit = self._third_cache.get(low)
        if hit is None:
            get = self._third_grams.get
            s = " " + (_SQUEEZE.sub(r"\1\1", low) if len(low) > 2 else low) + " "
            rows = list(filter(None, map(get, [s[i:i + size] for size in (1, 2, 3)
                                               for i in range(len(s) - size + 1)])))
            hit = (tuple(map(sum, zip(*rows))), len(rows)) if rows else ((), 0)
            if len(self._third_cache) < 200_000:
                self._third_cache[low] = hit
        return hit

    def third_margin(self, words: list[Word]) -> tuple[float, str | None]:
        """Naive Bayes over letter 1-3-grams (langdetect's profiles): per n-gram, how much better the
        best third language explains the words than es/en, and that language. A cheap screen."""
        if not self.third_langs or not words:
            return 0.0, None
        tot = [0.0] * len(self.third_langs)
        n = 0
        for w in words:
            vec, cnt = self._third_vec(w.text.lower())
            if cnt:
                tot = [a + x for a, x in zip(tot, vec)]
                n += cnt
        return self._margin(tot, n)

    def known(self, word: str) -> bool:
        """The lower-cased word (or its accent-stripped form) was seen in training."""
        w = word.lower()
        return w in self.word or strip_accents(w) in self.word

    def _char_mean(self, w: str) -> float:
        """Mean log-ratio of the n-grams of a lower-cased word, the bare "<" and ">" left out."""
        cm = self._cm_cache.get(w)
        if cm is None:
            s = f"<{w}>"
            size = len(s)
            grams = [s[i:i + n] for n in range(1, self.nmax + 1) for i in range(size - n + 1)]
            vals = list(map(self.gram.get, grams, repeat(0.0, len(grams))))
            cm = (sum(vals) - vals[0] - vals[size - 1]) / (len(vals) - 2)
            if len(self._cm_cache) < 200_000:
                self._cm_cache[w] = cm
        return cm

    def features(self, word: str, capitalised: bool) -> list[float]:
        w = word.lower()
        cm = self._char_mean(w)
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
        cache = self._cache
        ev = [v if (v := cache.get((w.text, w.capitalised))) is not None
              else self.evidence(w.text, w.capitalised) for w in words]
        if _DIGIT.search(text):  # cheap guard before the regex: "July 4" needs a digit
            dates = {m.start() for m in _EN_DATE.finditer(text)}
            if dates:
                ev = [e + EN_DATE_EVIDENCE if w.start in dates else e for w, e in zip(words, ev)]
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
            kind = words[i].gap
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
    # msgspec's decoder (the config already imports it) reads the same JSON in less than half the time
    return TokenModel(msgspec.json.decode(gzip.decompress(raw)))
