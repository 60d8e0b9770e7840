"""Pair cleaning in the manner of OpusCleaner / Bicleaner hard rules.

Input: candidate pairs (dicts with ``es`` and ``en``); output: kept pairs and rejected ones, each reject
with a machine-readable reason, and a count per reason. Each filter is switched and tuned in the
``filters`` section of the config.
"""
from __future__ import annotations

import difflib
import hashlib
import unicodedata
from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import regex

from pipeline.config import FilterConfig
from pipeline.protect import find_protected

_NUMBER = regex.compile(r"\d+(?:[.,]\d+)*")
_WORDS = regex.compile(r"[\p{L}\p{N}]+")
_DIGIT = regex.compile(r"\d")


def _norm(text: str) -> str:
    """Case-, accent-, punctuation- and space-insensitive form for duplicate detection.

    >>> _norm("  ¡Hola, Señor!  ") == _norm("hola senor")
    True
    """
    text = unicodedata.normalize("NFKD", text.casefold())
    if not text.isascii():  # ASCII has no combining marks
        text = text.translate(_NO_COMBINING)
    return " ".join(_WORDS.findall(text))


class _CombiningTable(dict):
    """``str.translate`` table deleting combining characters (``unicodedata.combining(ch) != 0``), filled
    in as characters are first seen: the same result as testing every character in Python, at C speed."""

    def __missing__(self, cp: int):
        value = self[cp] = None if unicodedata.combining(chr(cp)) else cp
        return value


_NO_COMBINING = _CombiningTable()


def _numbers(text: str) -> Counter[str]:
    """Digit sequences, with thousands/decimal separators ignored (3.5 == 3,5; 300,000 == 300.000).

    Protected non-numeric spans (URLs, handles) are skipped: their digits are checked by the URL filter.
    """
    spans = [s for s in find_protected(text) if s.kind in ("url", "email", "handle", "hashtag")]
    out: Counter[str] = Counter()
    for m in _NUMBER.finditer(text):
        if any(s.start <= m.start() < s.end for s in spans):
            continue
        out[m.group().replace(".", "").replace(",", "")] += 1
    return out


def _links(text: str) -> Counter[str]:
    return Counter(s.text for s in find_protected(text) if s.kind in ("url", "email", "handle"))


Check = Callable[[dict[str, Any], FilterConfig], str | None]


def check_empty(pair: dict[str, Any], cfg: FilterConfig) -> str | None:
    if not (pair.get("es") or "").strip() or not (pair.get("en") or "").strip():
        return "empty_side"
    return None


def check_length(pair: dict[str, Any], cfg: FilterConfig) -> str | None:
    lengths = (len(pair["es"].strip()), len(pair["en"].strip()))
    if min(lengths) < cfg.min_chars:
        return "too_short"
    if max(lengths) > cfg.max_chars:
        return "too_long"
    if max(lengths) >= cfg.length_ratio_min_chars and max(lengths) / max(1, min(lengths)) > cfg.max_length_ratio:
        return "length_ratio"
    return None


def check_untranslated(pair: dict[str, Any], cfg: FilterConfig) -> str | None:
    """Both sides the same text (an engine copied its input): useless as a pair."""
    if not cfg.reject_untranslated:
        return None
    a, b = _norm(pair["es"]), _norm(pair["en"])
    if not a or not b:
        return None
    if a == b:
        return "untranslated_copy"
    if min(len(a), len(b)) >= 20:
        sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
        # the quick ratios are upper bounds of ratio(): cheap, and they settle almost every real pair
        if sm.real_quick_ratio() >= 0.95 and sm.quick_ratio() >= 0.95 and sm.ratio() >= 0.95:
            return "untranslated_copy"
    return None


def check_numbers(pair: dict[str, Any], cfg: FilterConfig) -> str | None:
    if cfg.check_numbers and _numbers(pair["es"]) != _numbers(pair["en"]):
        return "number_mismatch"
    return None


def check_links(pair: dict[str, Any], cfg: FilterConfig) -> str | None:
    if cfg.check_urls and _links(pair["es"]) != _links(pair["en"]):
        return "url_mismatch"
    return None


CHECKS: tuple[Check, ...] = (check_empty, check_length, check_untranslated, check_numbers, check_links)


def _key(*parts: str) -> int:
    """A 64-bit digest of a pair: what the duplicate sets hold, so their memory is a few dozen bytes per
    pair whatever the length of the texts (the chance of two different pairs colliding among a million is
    about 3e-8)."""
    h = hashlib.blake2b(digest_size=8)
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return int.from_bytes(h.digest(), "big")


class DigestSet:
    """A set of 64-bit digests in one flat ``array('Q')`` (open addressing, linear probing, at most half
    full): 16-32 bytes per digest, where a Python set of ints takes about 90 (the int object and its slot).

    >>> s = DigestSet()
    >>> [s.add(7), s.add(7), s.add(0), s.add(0), 7 in s, 8 in s, len(s)]
    [False, True, False, True, True, False, 2]
    """

    def __init__(self, capacity: int = 1024) -> None:
        size = 8
        while size < 2 * capacity:
            size *= 2
        self._slots = array("Q", bytes(8 * size))  # 0 marks an empty slot; the digest 0 is a flag
        self._mask = size - 1
        self._n = 0
        self._zero = False

    def _find(self, key: int) -> int:
        slots, mask = self._slots, self._mask
        i = key & mask
        while slots[i] and slots[i] != key:
            i = (i + 1) & mask
        return i

    def add(self, key: int) -> bool:
        """File ``key``; True if it was there already."""
        if not key:
            seen, self._zero = self._zero, True
            self._n += not seen
            return seen
        i = self._find(key)
        if self._slots[i]:
            return True
        self._slots[i] = key
        self._n += 1
        if 2 * self._n > len(self._slots):  # double the table
            old = self._slots
            self._slots = array("Q", bytes(16 * len(old)))
            self._mask = len(self._slots) - 1
            for k in old:
                if k:
                    self._slots[self._find(k)] = k
        return False

    def __contains__(self, key: int) -> bool:
        return bool(self._slots[self._find(key)]) if key else self._zero

    def __len__(self) -> int:
        return self._n


class PairFilter:
    """Streaming form of the hard rules and duplicate removal: call it on each pair in corpus order; it
    returns the reason to reject the pair, or None to keep it. Only 64-bit digests of pairs seen so far are
    held (first occurrence kept), so a corpus of any size streams through it.

    >>> f = PairFilter()
    >>> [f({"es": "Hola 3", "en": "Hello 4"}), f({"es": "Sí, claro.", "en": "Yes, sure."}),
    ...  f({"es": "Si claro", "en": "yes sure"})]
    ['number_mismatch', None, 'near_duplicate']
    >>> dict(f.counts)
    {'number_mismatch': 1, 'near_duplicate': 1}
    """

    def __init__(self, cfg: FilterConfig | None = None) -> None:
        self.cfg = cfg or FilterConfig()
        self.counts: Counter[str] = Counter()
        self._exact = DigestSet()
        self._near = DigestSet()
        # what ``predict`` worked out for pairs still to come (``_facts``); the call for a pair takes its own
        self._ahead: dict[tuple[str, str], tuple[str | None, int, int]] = {}

    def _facts(self, pair: dict[str, Any]) -> tuple[str | None, int, int]:
        """The first hard rule the pair breaks (or None), and its exact and near-duplicate digests (0
        when the rules reject it or the check is off): what the filter decides from the pair alone."""
        cfg = self.cfg
        for check in CHECKS:
            reason = check(pair, cfg)
            if reason:
                return reason, 0, 0
        exact = _key(pair["es"], pair["en"]) if cfg.dedup else 0
        near = _key(_norm(_DIGIT.sub("0", pair["es"])), _norm(_DIGIT.sub("0", pair["en"]))) if cfg.near_dedup else 0
        return None, exact, near

    def __call__(self, pair: dict[str, Any]) -> str | None:
        cfg = self.cfg
        key = (pair["es"], pair["en"])
        reason, exact, near = self._ahead.pop(key) if key in self._ahead else self._facts(pair)
        if reason is None and cfg.dedup and self._exact.add(exact):
            reason = "duplicate"
        if reason is None and cfg.near_dedup and self._near.add(near):
            reason = "near_duplicate"
        if reason:
            self.counts[reason] += 1
        return reason

    def predict(self, pairs: Iterable[dict[str, Any]]) -> list[bool]:
        """Whether each pair would be kept if these pairs came next, in this order, without changing
        what the filter decides (nothing is counted or remembered as seen): the hard rules, then the
        duplicates seen so far and those among these pairs. What it works out for a pair (rules, digests) is
        kept until the filter is called on the pair, so it is not worked out twice.

        >>> f = PairFilter()
        >>> f({"es": "Sí, claro.", "en": "Yes, sure."})
        >>> f.predict([{"es": "Si claro", "en": "yes sure"}, {"es": "Uno más.", "en": "One more."},
        ...            {"es": "Uno mas", "en": "one more"}])
        [False, True, False]
        >>> f.predict([{"es": "Uno más.", "en": "One more."}]), dict(f.counts)
        ([True], {})
        """
        cfg = self.cfg
        exact: set[int] = set()
        near: set[int] = set()
        out = []
        for pair in pairs:
            key = (pair["es"], pair["en"])
            facts = self._ahead.get(key)
            if facts is None:
                facts = self._ahead[key] = self._facts(pair)
            reason, k_exact, k_near = facts
            keep = reason is None
            if keep and cfg.dedup:
                keep = k_exact not in self._exact and k_exact not in exact
                exact.add(k_exact)
            if keep and cfg.near_dedup:
                keep = k_near not in self._near and k_near not in near
                near.add(k_near)
            out.append(keep)
        return out


@dataclass
class FilterResult:
    kept: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)


def filter_pairs(pairs: Iterable[dict[str, Any]], cfg: FilterConfig | None = None) -> FilterResult:
    """Apply the hard rules, then exact and near-duplicate removal (first occurrence kept) to a list of
    pairs held in memory; the corpus writer uses :class:`PairFilter` directly and streams.

    >>> r = filter_pairs([{"es": "Hola 3", "en": "Hello 4"}, {"es": "Sí, claro.", "en": "Yes, sure."},
    ...                   {"es": "Si claro", "en": "yes sure"}])
    >>> [p["reject_reason"] for p in r.rejected], len(r.kept)
    (['number_mismatch', 'near_duplicate'], 1)
    """
    check = PairFilter(cfg)
    result = FilterResult()
    for pair in pairs:
        reason = check(pair)
        if reason:
            result.rejected.append({**pair, "reject_reason": reason})
        else:
            result.kept.append(pair)
    result.counts = check.counts
    return result
