"""Language detection for short, mixed Spanish/English text: text in, ``Detection`` (language, calibrated
confidence, reason, language spans with character offsets) out.

For es/en, the token tagger (``pipeline.langid.tagger``, trained on code-switched tweets) labels every
word and its runs become the spans, which tile the line. A single-language line with strong tagger
evidence is decided by the tagger alone (fast path); weaker ones add seeded langdetect restricted to es/en.
Third languages come first from the tagger model's calibrated decision (word lexicon es/en/pt/it/fr/ca,
letter n-grams, function words; a logistic model trained on real messages, news and tweets); below its
threshold the older screens (function words, letters, n-grams, then langdetect or lingua, imported only
then) can still find one; nothing is forced into es/en. Other language
pairs, or ``use_tagger: false``, use the older ensemble (langdetect + lingua + lexical evidence, spans split
at clause boundaries).
"""
from __future__ import annotations

import math
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Sequence

import regex

from pipeline.config import LangIdConfig
from pipeline.langid.tagger import _SQUEEZE, Tagging, TokenModel, Word, load_model, words_of
from pipeline.protect import find_protected
from pipeline.resources.langwords import (DAYS_EN, EN_FUNCTION, ES_FUNCTION, MONTHS_EN, MONTHS_ES,
                                          THIRD_FUNCTION, THIRD_FUNCTION_ANY, THIRD_LETTERS)
from pipeline.records import LangSpan

__all__ = ["Detection", "LanguageDetector", "LangSpan", "detect"]

UND = "und"

# Words (letters with inner apostrophes) and hashtag sub-words (camelCase parts).
_WORD = regex.compile(r"\p{L}+(?:['’]\p{L}+)*")
_CAMEL = regex.compile(r"\p{Lu}?\p{Ll}+|\p{Lu}+(?!\p{Ll})")

_ES_FUNCTION = ES_FUNCTION
_EN_FUNCTION = EN_FUNCTION
_MONTHS_EN, _MONTHS_ES, _DAYS_EN = MONTHS_EN, MONTHS_ES, DAYS_EN
# "July 4, 2022": English order of month and day; Spanish writes "4 de julio de 2022".
_EN_DATE = regex.compile(r"\b(?:January|February|March|April|May|June|July|August|September|October|"
                         r"November|December)\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}\b")

# English-looking letter patterns that Spanish spelling does not use, and the reverse.
_EN_PATTERN = regex.compile(r"th|sh|w|k|ck|ee|oo|ing$|tion$|ould$|ght|ph|y$|ey|ay|ly$")
_ES_PATTERN = regex.compile(r"ción$|ciones$|mente$|^ll|rr|qu[ei]|ñ|[áéíóú]|^est|dad$|ados?$|idos?$|"
                            r"ar$|er$|ir$|[aeo]s$")

# A single switch between clauses needs this much evidence on each side (log-odds units).
_SPLIT_MIN = 4.0
# Chunk boundaries: before an opening mark, after a closing one.
_OPENERS = "—–“«(¿¡\""
_CLOSERS = ".!?;:,”»)"

# Below this calibrated P(third language) a line is es/en without asking langdetect or lingua: the older
# screens are only a recall fallback (they confirm with near certainty) for lines the model leaves open.
_THIRD_FLOOR = 0.01
# Function words and letters of the third languages outside the decision's lexicon (de, nl): below the
# floor, only these send a line on to the older screens.
_OUTSIDE_FUNCTION = frozenset().union(*(ws for c, ws in THIRD_FUNCTION.items()
                                        if c not in ("pt", "it", "fr", "ca"))) - ES_FUNCTION - EN_FUNCTION
_OUTSIDE_LETTERS = frozenset("äößåøæ")

# Quotations: “…”, «…», "…", and '…' where the marks stand outside words (not apostrophes).
_QUOTED = regex.compile(r"“[^”\n]*”|«[^»\n]*»|\"[^\"\n]*\"|(?<!\p{L})'[^'\n]*'(?!\p{L})")


def _quoted(text: str) -> list[tuple[int, int]]:
    """Character ranges of quotations in ``text``.

    >>> t = 'E267: "return" inesperado'; [t[a:b] for a, b in _quoted(t)]
    ['"return"']
    >>> _quoted("don't stop, it's fine")
    []
    """
    if not any(c in text for c in "“«\"'"):
        return []
    return [m.span() for m in _QUOTED.finditer(text)]


# Opening question and exclamation marks: written in Spanish (and Galician, Asturian), in none of the
# training catalogues' 76k pt/it/fr/ca messages (in 193 of 21.7k Spanish ones).
_INVERTED = regex.compile(r"[¿¡]")
# compiled once: regex's per-call pattern lookup costs more than these searches
_LATIN = regex.compile(r"\p{Latin}")
_ACCENTED = regex.compile(r"[áéíóú]")
_INVERTED_LANGS = frozenset({"gl", "ast"})


_LINGUA_CODES = ("es", "en", "pt", "it", "fr", "ca", "de", "nl", "ro", "ru", "uk", "el", "ar", "zh",
                 "ja", "ko", "he", "tr", "pl")


@dataclass(frozen=True)
class Detection:
    """The answer for one text: language, calibrated confidence, why (for 'und'/third languages), spans."""

    lang: str
    confidence: float
    reason: str | None
    spans: tuple[LangSpan, ...]
    # es-vs-en evidence in log-odds (positive: Spanish); used by context and for debugging.
    score: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"lang": self.lang, "confidence": round(self.confidence, 4),
                "spans": [s.to_dict() for s in self.spans], "reason": self.reason}


@dataclass(frozen=True)
class _Pending:
    """A line's context-free evidence on the tagger path (``tagging`` None: the ensemble decides)."""

    text: str
    tagging: Tagging | None
    spans: tuple[LangSpan, ...]
    run_scores: list[float]
    score: float  # es-vs-en log-odds before context (tagger, plus langdetect for weak single-run lines)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


# ---------------------------------------------------------------------------------------------------
# Back ends, built lazily and once per process (lingua models take ~1 s and a few hundred MB).

_LOCK = threading.Lock()


@lru_cache(maxsize=8)
def _langdetect_factory(langs: tuple[str, ...], seed: int):
    """A private langdetect factory holding only ``langs``: seeded, fast, untouched by other users."""
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    factory = DetectorFactory()
    profiles = []
    for code in langs:
        path = os.path.join(PROFILES_DIRECTORY, code)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                profiles.append(f.read())
    if len(profiles) < 2:
        raise ValueError(f"langdetect has profiles for fewer than two of {langs}")
    factory.load_json_profile(profiles)
    factory.set_seed(seed)
    return factory


def _langdetect_probs(langs: tuple[str, ...], seed: int, text: str) -> dict[str, float]:
    from langdetect.lang_detect_exception import LangDetectException

    factory = _langdetect_factory(langs, seed)
    with _LOCK:  # the factory is shared; a Detector is cheap but not to be shared across threads
        det = factory.create()
        det.append(text)
        try:
            return {p.lang: p.prob for p in det.get_probabilities()}
        except LangDetectException:
            return {}


@lru_cache(maxsize=4)
def _lingua(codes: tuple[str, ...]):
    try:
        from lingua import IsoCode639_1, LanguageDetectorBuilder
    except ImportError:  # optional: langdetect and the lexicon still work
        return None
    langs = []
    for c in codes:
        try:
            langs.append(IsoCode639_1.from_str(c))
        except ValueError:
            continue
    return LanguageDetectorBuilder.from_iso_codes_639_1(*langs).build() if len(langs) >= 2 else None


def _lingua_probs(codes: tuple[str, ...], text: str) -> dict[str, float]:
    det = _lingua(codes)
    if det is None:
        return {}
    # lingua's values differ between calls in the last bits; rounding keeps answers reproducible.
    return {cv.language.iso_code_639_1.name.lower(): round(cv.value, 6)
            for cv in det.compute_language_confidence_values(text)}


def _tagger() -> TokenModel:
    return load_model()


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    """Lower-case stems of the hunspell en_US dictionary (Debian hunspell-en-us), or empty if absent."""
    for path in ("/usr/share/hunspell/en_US.dic", "/usr/share/myspell/dicts/en_US.dic"):
        if os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                next(f, None)  # first line is the entry count
                return frozenset(line.split("/", 1)[0].strip().lower() for line in f
                                 if line[:1].isalpha() and line[:1].islower())
    return frozenset()


def _in_english(w: str) -> bool:
    words = _english_words()
    if w in words:
        return True
    # Undo the commonest English inflections (the .dic holds stems plus affix flags).
    for suf, rep in (("s", ""), ("es", ""), ("ies", "y"), ("ed", ""), ("ed", "e"), ("ing", ""),
                     ("ing", "e"), ("ly", ""), ("er", ""), ("est", ""), ("'s", ""), ("’s", "")):
        if w.endswith(suf) and len(w) - len(suf) >= 3 and w[: len(w) - len(suf)] + rep in words:
            return True
    return False


# ---------------------------------------------------------------------------------------------------
# Lexical evidence (log-odds, positive for Spanish).

def word_evidence(word: str, capitalised_ok: bool = False) -> float:
    """Spanish-vs-English evidence of one word, in log-odds (positive: Spanish).

    >>> word_evidence("canción") > 2, word_evidence("the") < -2, abs(word_evidence("Venezuela")) < 1
    (True, True, True)
    """
    w = word.lower()
    if w in _ES_FUNCTION:
        return 2.5
    if w in _EN_FUNCTION:
        return -2.5
    if w in _MONTHS_ES:
        return 2.0
    if w in _MONTHS_EN or w in _DAYS_EN:
        return -2.0
    score = 0.0
    if "ñ" in w:
        score += 3.0
    elif _ACCENTED.search(w):
        score += 2.0
    if "'" in w or "’" in w:
        score -= 1.5
    if len(w) >= 3:
        if _english_words():
            score += -1.5 if _in_english(w) else 1.0
        score += 0.5 * len(_ES_PATTERN.findall(w)) - 0.5 * len(_EN_PATTERN.findall(w))
    # Names carry little language: a capitalised word counts at a fifth unless the caller says it is
    # sentence-initial (then its capital means nothing).
    if word[:1].isupper() and not capitalised_ok:
        score *= 0.2
    return max(-3.0, min(3.0, score))


def _name_factor(words: Sequence["_Word"]) -> float:
    """Weight of n-gram evidence: capitalised words are mostly names, whose spelling tells little about
    the language around them, so the evidence counts less the more of the text they make up."""
    lower = sum(1 for w in words if not w.text[:1].isupper()) / max(1, len(words))
    return 0.25 + 0.75 * lower


@dataclass
class _Word:
    start: int
    end: int
    text: str
    weight: float = 1.0  # hashtag parts count less


def _words(text: str) -> tuple[list[_Word], list[_Word], str]:
    """Linguistic words outside protected spans, hashtag sub-words, and the text with spans blanked."""
    chars = list(text)
    tags: list[_Word] = []
    for sp in find_protected(text):
        if sp.kind == "hashtag":
            for m in _CAMEL.finditer(sp.text[1:]):
                tags.append(_Word(sp.start + 1 + m.start(), sp.start + 1 + m.end(), m.group(), 0.5))
        for i in range(sp.start, sp.end):
            chars[i] = " "
    blank = "".join(chars)
    words = [_Word(m.start(), m.end(), m.group()) for m in _WORD.finditer(blank)]
    return words, tags, blank


def _lexical(words: Sequence[_Word], text: str) -> float:
    score = 0.0
    for w in words:
        # Sentence-initial capitals say nothing about names (but not after a dash or colon: attributions
        # and headings put names there). Look back to the previous letter in the whole text.
        i = w.start - 1
        while i >= 0 and not text[i].isalpha():
            i -= 1
        between = text[i + 1:w.start].strip()
        initial = i < 0 or (between[-1:] in tuple(".!?¿¡“\"") if between else False)
        score += w.weight * word_evidence(w.text, capitalised_ok=initial)
    return score


# ---------------------------------------------------------------------------------------------------

class LanguageDetector:
    """Deterministic es/en(/other) detector; one instance per process is enough (back ends are shared)."""

    def __init__(self, config: LangIdConfig | None = None):
        self.config = config or LangIdConfig()
        self.languages = tuple(dict.fromkeys(self.config.languages))
        others = tuple(c for c in self.config.other_languages if c not in self.languages)
        self._all = self.languages + others
        self._lingua_codes = tuple(dict.fromkeys(self._all + _LINGUA_CODES))
        # context-free answers of the last texts seen (``detect``, and ``detect_document``'s first pass):
        # the quality score asks again about sides that the detect stage has already seen. Bounded.
        self._answers: OrderedDict[str, Detection] = OrderedDict()

    REMEMBERED = 10_000  # texts (a batch of 200 news articles has ~5,000); a Detection is a few hundred bytes

    def _remember(self, text: str, answer: Detection) -> None:
        self._answers[text] = answer
        if len(self._answers) > self.REMEMBERED:
            self._answers.popitem(last=False)

    # -- public --------------------------------------------------------------------------------------

    def detect(self, text: str) -> Detection:
        """Detect the language(s) of one text without context.

        >>> d = LanguageDetector().detect("Nos reunimos con el canciller en Moscú. pic.twitter.com/x1")
        >>> d.lang, d.spans[0].lang
        ('es', 'es')
        >>> LanguageDetector().detect("🇻🇪 @Fariacrt 4/7/2022").reason
        'no_linguistic_content'
        """
        answer = self._answers.get(text)
        if answer is None:
            answer = self._detect(text, context=0.0)
            self._remember(text, answer)
        return answer

    def detect_many(self, texts: Sequence[str]) -> list[Detection]:
        """``detect`` for each text, without context; a text repeated in the batch is analysed once.
        For callers holding many segments at once (line tools, quality scoring of es/en pairs)."""
        seen: dict[str, Detection] = {}
        out = []
        for t in texts:
            d = seen.get(t)
            if d is None:
                d = seen[t] = self._detect(t, context=0.0)
            out.append(d)
        return out

    def detect_document(self, texts: Sequence[str]) -> list[Detection]:
        """Detect each segment of one document; weak segments lean on neighbours and the dominant language.

        Context is capped at ``context_weight`` log-odds, so it decides only where a segment's own evidence
        is weaker than that.
        """
        prepared: dict[str, Detection | _Pending] = {}
        pre = []
        for t in texts:  # repeated segments (a duplicated lead, hashtag lines) are analysed once
            p = prepared.get(t)
            if p is None:
                p = prepared[t] = self._prepare(t)
            pre.append(p)
        first = [self._decide(p, 0.0) for p in pre]
        for t, d in zip(texts, first):
            self._remember(t, d)
        if not self.config.use_context or len(self.languages) != 2:
            return first
        cap = self.config.context_weight
        clip = lambda x: max(-cap, min(cap, x))  # noqa: E731
        informative = [d.score if d.lang in self.languages else 0.0 for d in first]
        total = sum(clip(s) for s in informative)
        out = []
        for i, (t, d) in enumerate(zip(texts, first)):
            if d.reason == "no_linguistic_content" or (d.lang not in self.languages and d.lang != UND):
                out.append(d)
                continue
            if abs(d.score) >= cap and d.lang != UND:
                out.append(d)
                continue
            near = sum(clip(informative[j]) for j in (i - 1, i + 1) if 0 <= j < len(first))
            doc = total - clip(informative[i])
            ctx = clip(0.5 * near + 0.5 * math.copysign(min(abs(doc), cap), doc))
            out.append(self._decide(pre[i], ctx))
        return out

    # -- internals -----------------------------------------------------------------------------------

    def _pair_llr(self, text: str, lingua: bool = True) -> float:
        """Seeded langdetect + lingua, es vs en, as log-odds (positive: the first configured language)."""
        a, b = self.languages[0], self.languages[1]
        probs = _langdetect_probs(self.languages, self.config.seed, text)
        pa, pb = probs.get(a, 0.0), probs.get(b, 0.0)
        llr = 0.0
        if pa or pb:
            # langdetect's sampling returns near-certain odds even for one word, where it is close to a
            # coin toss; its weight grows with the letters it has seen (full from about 30).
            letters = sum(1 for c in text if c.isalpha())
            w = self.config.langdetect_weight * min(1.0, letters / 30.0) ** 2
            llr += w * math.log((pa + 1e-3) / (pb + 1e-3))
        if self.config.use_lingua and lingua:
            lp = _lingua_probs(self._lingua_codes, text)
            la, lb = lp.get(a, 0.0), lp.get(b, 0.0)
            if la or lb:
                llr += self.config.lingua_weight * math.log((la + 1e-3) / (lb + 1e-3))
        return llr

    def _third_language(self, clean: str, nwords: int) -> tuple[str, float] | None:
        """A language outside the expected ones, when the n-gram detectors agree on it."""
        if nwords < self.config.other_min_words:
            return None
        lp = _lingua_probs(self._lingua_codes, clean) if self.config.use_lingua else {}
        top = max(lp, key=lp.get) if lp else None
        if top is not None and top in self.languages:
            return None
        probs = _langdetect_probs(self._all, self.config.seed, clean)
        ld_top = max(probs, key=probs.get) if probs else None
        if top is None:  # lingua unavailable: langdetect alone, and only when it is sure
            if ld_top and ld_top not in self.languages and probs[ld_top] >= 0.99:
                return ld_top, 0.8
            return None
        if ld_top == top or lp[top] >= 0.9:
            return top, min(0.99, 0.5 * lp[top] + 0.5 * probs.get(top, 0.0))
        return None

    def _detect(self, text: str, context: float) -> Detection:
        return self._decide(self._prepare(text), context)

    def _prepare(self, text: str) -> "Detection | _Pending":
        """Everything that does not depend on context: a final answer, or the tagger's evidence for
        ``_decide`` (so a document's second, context-aware pass repeats no work)."""
        words = words_of(text)
        if not words:
            # only URLs, handles, hashtags, emoji, numbers: no language of its own
            return Detection(UND, 1.0, "no_linguistic_content", ())
        clean = " ".join(w.text for w in words)
        if not clean.isascii() and not _LATIN.search(clean):
            third = self._third_language(clean, max(len(words), self.config.other_min_words))
            if third:
                return Detection(third[0], third[1], "other_language", self._whole(text, third[0]))
            return Detection(UND, 0.5, "unknown_script", ())
        if len(self.languages) == 1:
            lang = self.languages[0]
            return Detection(lang, 1.0, None, self._whole(text, lang))
        if set(self.languages) != {"es", "en"} or not self.config.use_tagger:
            return _Pending(text, None, (), [], 0.0)
        # A line with ¿ or ¡ is in none of the configured third languages unless one of them writes them.
        third = (None if _INVERTED.search(text) and _INVERTED_LANGS.isdisjoint(self._all)
                 else self._screen_third(words, clean))
        if third:
            return Detection(third[0], third[1], "other_language", self._whole(text, third[0]))
        sign = 1.0 if self.languages[0] == "es" else -1.0
        tagging = _tagger().tag(text, words)
        spans, run_scores = self._tagged_spans(text, tagging)
        score = sign * tagging.score
        if len(spans) == 1 and abs(score) < self.config.fast_margin:
            # Short or weak text: the segment-level detector(s) join the tagger; names count less.
            names = sum(1 for w in words if w.capitalised) / len(words)
            score = (self.config.tagger_weight * score
                     + (1.0 - 0.75 * names) * self._pair_llr(clean, self.config.lingua_in_pair))
        return _Pending(text, tagging, spans, run_scores, score)

    def _decide(self, pre: "Detection | _Pending", context: float) -> Detection:
        if isinstance(pre, Detection):
            return pre
        if pre.tagging is None:
            return self._detect_ensemble(pre.text, context)
        a, b = self.languages
        text, tagging, spans = pre.text, pre.tagging, pre.spans
        if len(spans) > 1:
            # The line's language is the one of more of its words, names and acronyms left out (they
            # take the language of their context); quoted words are left out too unless they are most of the
            # words (a quoted term is mentioned in the line's language: 'el comando "git push" falló'
            # is Spanish; a line that is mostly a quotation keeps the quotation's language); on a tie,
            # the one with more evidence.
            score = pre.score + context
            count = {a: 0, b: 0}
            quoted = _quoted(text)
            plain = [(w, lab) for w, lab in zip(tagging.words, tagging.labels)
                     if not w.capitalised and not (len(w.text) > 1 and w.text.isupper())]
            unquoted = [(w, lab) for w, lab in plain if not any(q0 <= w.start < q1 for q0, q1 in quoted)]
            for w, lab in (unquoted if unquoted and 2 * len(unquoted) >= len(plain) else plain):
                count[lab] += 1
            lang = (a if count[a] > count[b] else b if count[b] > count[a]
                    else a if score > 0 else b)
            return Detection(lang, self._calibrate(min(abs(r) for r in pre.run_scores)), None, spans, score)
        score = pre.score + context
        p = _sigmoid(score * self.config.temperature)
        lang, conf = (a, p) if score > 0 else (b, 1.0 - p)
        # With context the combined evidence decides (context is capped, so it cannot outvote a strong
        # segment); the confidence still says how sure the answer is.
        if score == 0.0 or (conf < self.config.min_confidence and not context):
            return Detection(UND, 1.0 - conf if score else 0.5, "weak_evidence", (), score)
        return Detection(lang, conf, None, self._whole(text, lang), score)

    def _screen_third(self, words: Sequence[Word], clean: str) -> tuple[str, float] | None:
        """A third language. First the tagger model's calibrated third-language decision (word lexicon
        of es/en/pt/it/fr/ca, letter n-grams, function words; a logistic model trained on real messages,
        news and tweets). Below its threshold, and for languages outside its lexicon (de, nl, ro, ...),
        the older screens: third-language function words or letter n-grams that fit a third language
        better than es/en (calibrated to pass 1 in 1,000 es/en news lines), then langdetect over all
        configured languages must name the same language with near certainty, or lingua confirms
        (loaded only then)."""
        if len(words) < self.config.other_min_words:
            return None
        model = _tagger()
        wl = list(words)
        p, lex_lang = model.third_probability(wl)
        # Names say little about the language around them ("El lírico Werner Söllner es IM Walter."):
        # the screens look at the other words where there are enough of them.
        common = [w for w in wl if not w.capitalised]
        if p >= model.third_lex_threshold and lex_lang is not None and lex_lang in self._all:
            # Not es/en. The lexicon names only pt/it/fr/ca; where the letter n-grams point to another
            # language (de, nl, ro, ...), langdetect over all configured languages names it.
            _, nb_lang = model.third_margin(common if len(common) >= 2 else wl)
            if nb_lang is not None and nb_lang not in model.lex_langs and nb_lang in self._all:
                probs = _langdetect_probs(self._all, self.config.seed, _SQUEEZE.sub(r"\1\1", clean))
                top = max(probs, key=probs.get) if probs else None
                if top is not None and top not in self.languages:
                    return top, min(0.99, p, probs[top])
            return lex_lang, min(0.99, p)
        if p < _THIRD_FLOOR and not any(
                (low := w.text.lower()) in _OUTSIDE_FUNCTION or not _OUTSIDE_LETTERS.isdisjoint(low)
                for w in common):
            return None  # nothing points to a language the calibrated decision does not know
        margin, nb_lang = model.third_margin(common if len(common) >= 2 else wl)
        hits = 0
        for w in common:
            low = w.text.lower()
            hits += (low in THIRD_FUNCTION_ANY) + (not low.isascii() and any(c in THIRD_LETTERS for c in low))
        if not hits and margin < model.third_threshold:
            return None
        squeezed = _SQUEEZE.sub(r"\1\1", clean)
        probs = _langdetect_probs(self._all, self.config.seed, squeezed)
        top = max(probs, key=probs.get) if probs else None
        if top is None or top in self.languages:
            return None
        if top == nb_lang and margin >= model.third_threshold and probs[top] >= 0.99:
            return top, min(0.99, probs[top])
        return self._third_language(squeezed, len(words))

    def _tagged_spans(self, text: str, tagging: Tagging) -> tuple[tuple[LangSpan, ...], list[float]]:
        """Spans that tile the line (first to last non-blank character), one per run of the tagger's
        labels; a boundary sits before the first word of a run and any opening mark glued to it."""
        runs: list[list[Any]] = []  # [lang, first word index, evidence]
        for i, (lab, ev) in enumerate(zip(tagging.labels, tagging.evidence)):
            if runs and runs[-1][0] == lab:
                runs[-1][2] += ev
            else:
                runs.append([lab, i, ev])
        lo = len(text) - len(text.lstrip())
        hi = len(text.rstrip())
        cuts = [lo]
        for lab, i, _ in runs[1:]:
            j = tagging.words[i].start
            k = j
            while k > cuts[-1] and (text[k - 1].isspace() or text[k - 1] in _OPENERS):
                k -= 1
            while k < j and text[k].isspace():
                k += 1
            cuts.append(max(k, cuts[-1] + 1))
        cuts.append(hi)
        spans = tuple(LangSpan(cuts[n], cuts[n + 1], r[0]) for n, r in enumerate(runs))
        return spans, [r[2] for r in runs]

    def _detect_ensemble(self, text: str, context: float) -> Detection:
        """The segment-level ensemble alone (language pairs other than es/en, or the tagger switched off)."""
        words, tags, _ = _words(text)
        body = list(words)
        clean = " ".join(w.text for w in body)
        third = self._third_language(clean, len(body))
        if third:
            return Detection(third[0], third[1], "other_language", self._whole(text, third[0]))
        a, b = self.languages[0], self.languages[1]

        score = self._score(text, body, tags, clean) + context
        spans = self._split(text, body, score)
        if len(spans) > 1:
            lang = max((a, b), key=lambda l: sum(s.end - s.start for s in spans if s.lang == l))
            conf = self._calibrate(abs(score))
            return Detection(lang, conf, None, spans, score)
        p = _sigmoid(score * self.config.temperature)
        lang, conf = (a, p) if score > 0 else (b, 1.0 - p)
        if score == 0.0 or (conf < self.config.min_confidence and not context):
            return Detection(UND, 1.0 - conf if score else 0.5, "weak_evidence", (), score)
        return Detection(lang, conf, None, self._whole(text, lang), score)

    def _calibrate(self, llr: float) -> float:
        return _sigmoid(llr * self.config.temperature)

    def _score(self, text: str, body: Sequence[_Word], tags: Sequence[_Word], clean: str,
               lingua: bool = True) -> float:
        sign = 1.0 if self.languages[0] == "es" else -1.0  # lexical evidence is written es-positive
        lex = _lexical(body, text) + sum(t.weight * word_evidence(t.text, True) for t in tags)
        lex -= 4.0 * len(_EN_DATE.findall(text))
        score = sign * lex if set(self.languages) == {"es", "en"} else 0.0
        if body:
            # Capitalised words are mostly names, whose spelling tells little about the language of the
            # text around them; n-gram evidence counts less the more of the text they make up.
            score += _name_factor(body) * self._pair_llr(clean, lingua)
        return score

    def _whole(self, text: str, lang: str) -> tuple[LangSpan, ...]:
        start = len(text) - len(text.lstrip())
        end = len(text.rstrip())
        return (LangSpan(start, end, lang),) if end > start else ()

    def _chunks(self, text: str, body: Sequence[_Word]) -> list[tuple[int, list[_Word]]]:
        """Split at clause marks: each chunk is (start offset, its words)."""
        cuts = [0]
        for i, ch in enumerate(text):
            if ch in _OPENERS and i > 0:
                cuts.append(i)
            elif ch in _CLOSERS:
                # Skip decimal points and marks glued inside a word ("e.g", "3.5").
                nxt = text[i + 1:i + 2]
                if ch in ".," and nxt and not nxt.isspace() and nxt not in _OPENERS:
                    continue
                cuts.append(i + 1)
        cuts = sorted(set(cuts))
        chunks: list[tuple[int, list[_Word]]] = []
        wi = 0
        for k, c in enumerate(cuts):
            end = cuts[k + 1] if k + 1 < len(cuts) else len(text) + 1
            ws = []
            while wi < len(body) and body[wi].start < end:
                ws.append(body[wi])
                wi += 1
            if ws:
                chunks.append((c, ws))
        return chunks

    def _split(self, text: str, body: Sequence[_Word], total: float) -> tuple[LangSpan, ...]:
        """Language runs at clause boundaries, when each side has strong evidence of its own."""
        a, b = self.languages[0], self.languages[1]
        whole = self._whole(text, a if total > 0 else b)
        if len(body) < 4 or set(self.languages) != {"es", "en"}:
            return whole
        chunks = self._chunks(text, body)
        if len(chunks) < 2:
            return whole
        sign = 1.0 if a == "es" else -1.0
        scored = []
        for start, ws in chunks:
            s = sign * (_lexical(ws, text) - 4.0 * len(_EN_DATE.findall(text[start:ws[-1].end + 12])))
            if len(ws) >= 2 and self.config.use_lingua:
                lp = _lingua_probs(self._lingua_codes, " ".join(w.text for w in ws))
                la, lb = lp.get(a, 0.0), lp.get(b, 0.0)
                if la or lb:
                    s += (_name_factor(ws) * self.config.lingua_weight
                          * math.log((la + 1e-3) / (lb + 1e-3)))
            scored.append([start, ws, s])
        # Label strong chunks by their sign; weak ones join the run before them (or after, at the start).
        labels: list[str | None] = [None if abs(s) < 2.0 else (a if s > 0 else b) for _, _, s in scored]
        # A weak chunk opened by a dash, quote or bracket introduces what follows (an attribution, a
        # quotation); other weak chunks continue what came before.
        for i in range(len(labels) - 1, -1, -1):
            if labels[i] is None and text[scored[i][0]] in _OPENERS and i + 1 < len(labels):
                labels[i] = labels[i + 1]
        for i in range(len(labels)):
            if labels[i] is None and i > 0:
                labels[i] = labels[i - 1]
        for i in range(len(labels) - 1, -1, -1):
            if labels[i] is None:
                labels[i] = labels[i + 1] if i + 1 < len(labels) and labels[i + 1] else (
                    a if total > 0 else b)
        runs: list[list[Any]] = []  # [lang, start, evidence]
        for (start, ws, s), lab in zip(scored, labels):
            if runs and runs[-1][0] == lab:
                runs[-1][2] += s
            else:
                runs.append([lab, start, s])
        # Merge runs whose own evidence is too weak to stand alone into the run before (or after).
        changed = True
        while changed and len(runs) > 1:
            changed = False
            for i, r in enumerate(runs):
                ok = (r[2] >= _SPLIT_MIN) if r[0] == a else (r[2] <= -_SPLIT_MIN)
                if not ok:
                    j = i - 1 if i > 0 else i + 1
                    runs[j][2] += r[2]
                    if j > i:  # absorbed by the run after it, which now starts where it started
                        runs[j][1] = r[1]
                    del runs[i]
                    # Neighbours of the same language now touch: join them.
                    k = 0
                    while k + 1 < len(runs):
                        if runs[k][0] == runs[k + 1][0]:
                            runs[k][2] += runs[k + 1][2]
                            del runs[k + 1]
                        else:
                            k += 1
                    changed = True
                    break
        if len(runs) < 2:
            return whole
        lo, hi = whole[0].start, whole[0].end
        spans = []
        for i, (lang, start, _) in enumerate(runs):
            s = max(lo, start) if i else lo
            e = runs[i + 1][1] if i + 1 < len(runs) else hi
            # Leading blanks belong to the gap, not the span.
            while s < e and text[s].isspace():
                s += 1
            spans.append(LangSpan(s, e, lang))
        return tuple(spans)


_DEFAULT: LanguageDetector | None = None


def detect(text: str) -> Detection:
    """Module-level convenience with the default configuration."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = LanguageDetector()
    return _DEFAULT.detect(text)

