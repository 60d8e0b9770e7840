"""Case-sensitive English word statistics (truecasing evidence): how often real English writes a word
lower-case, Title Case or UPPER case, which mixed-case tokens exist (``YouTube``), and which capitalised
words and word pairs are names (``Supreme Court``, ``Fannie Mae``).

Reads ``pipeline/resources/data/en_casing.tsv.gz``, built by ``scripts/build_casing_stats.py`` from PyPI
``spacy-lookups-data`` (``en_lexeme_prob``), Debian ``wordnet-base`` and the bigram counts of PyPI
``truecase`` (a Lita et al. truecaser's model: mid-sentence lower/Title counts per word); see that script for the format and
``pipeline/resources/data/README.md`` for provenance and licences.
"""
from __future__ import annotations

import gzip
import logging
import math
from bisect import bisect_left
from functools import lru_cache
from pathlib import Path

from pipeline.resources.case_ngrams import CaseNgrams, SortedTable, load_case_ngrams, read_lines, sorted_blocks

log = logging.getLogger(__name__)

DEFAULT_STATS = Path(__file__).resolve().parent / "data" / "en_casing.tsv.gz"
_NONE = -99.0


class CaseStats:
    """Word-shape log probabilities and names from real English.

    >>> cs = CaseStats({"time": (-6.4, -10.1, -11.8), "court": (-10.1, -11.6, -15.7)}, {"YouTube"},
    ...                {"Supreme Court", "Time"})
    >>> round(cs.title_ratio("Time"), 3), cs.is_mixed_token("YouTube"), cs.is_name_run(["Supreme", "Court"])
    (0.025, True, True)
    >>> cs = CaseStats({}, set(), set(), mid={"perfect": (81, 0), "court": (120, 40)})
    >>> cs.mid_counts("Perfect"), cs.mid_counts("Court"), cs.mid_counts("Zyx")
    ((81, 0), (120, 40), (0, 0))
    """

    def __init__(self, shapes: dict[str, tuple[float, float, float]], mixed: set[str], names: set[str],
                 source: str = "", mid: dict[str, tuple[int, int]] | None = None,
                 ngrams: CaseNgrams | None = None):
        self.shapes = shapes
        self.ngrams = ngrams if ngrams is not None else CaseNgrams({}, {}, {}, {})
        self.mixed = mixed
        self.names = names
        self.source = source
        self.mid = mid or {}

    def mid_counts(self, word: str) -> tuple[int, int]:
        """(lower-case, Title Case) uses of ``word`` mid-sentence in the truecaser's corpus; (0, 0) unseen."""
        return self.mid.get(word.lower(), (0, 0))

    @property
    def available(self) -> bool:
        return bool(self.shapes)

    def known(self, word: str) -> bool:
        return word.lower() in self.shapes

    def lower_logp(self, word: str) -> float:
        s = self.shapes.get(word.lower())
        return s[0] if s else _NONE

    def title_logp(self, word: str) -> float:
        s = self.shapes.get(word.lower())
        return s[1] if s else _NONE

    def title_ratio(self, word: str) -> float:
        """P(Title Case) / P(lower case) in real English; ``inf`` when never written lower-case, 0 unknown."""
        s = self.shapes.get(word.lower())
        if not s:
            return 0.0
        if s[0] <= _NONE:
            return math.inf
        return math.exp(s[1] - s[0]) if s[1] > _NONE else 0.0

    def is_mixed_token(self, token: str) -> bool:
        """``token`` is a mixed-case form seen in real English ('YouTube', 'McDonald', 'PayPal')."""
        return token in self.mixed

    def is_name(self, words: str) -> bool:
        return words in self.names

    def is_name_run(self, words: list[str]) -> bool:
        return " ".join(words) in self.names


class _SortedSet:
    """The set of one kind's entries (the text after its tab), found in the sorted lines by binary search."""

    def __init__(self, lines: list[str], lo: int, hi: int, kind: str):
        self._lines, self._lo, self._hi, self._prefix = lines, lo, hi, kind + "\t"
        self._found: dict[str, bool] = {}

    def __contains__(self, entry: str) -> bool:
        hit = self._found.get(entry)
        if hit is None:
            line = self._prefix + entry
            i = bisect_left(self._lines, line, self._lo, self._hi)
            hit = self._found[entry] = i < self._hi and self._lines[i] == line
        return hit

    def __len__(self) -> int:
        return self._hi - self._lo


def _shape(f: list[str]) -> tuple[float, float, float]:
    return float(f[0]) if f[0] else _NONE, float(f[1]) if f[1] else _NONE, float(f[2]) if f[2] else _NONE


def _sorted_stats(lines: list[str], source: str) -> CaseStats | None:
    """The statistics over the sorted lines, or None when they are not one sorted block per kind."""
    blocks = sorted_blocks(lines, "wmnc", ignore=None)  # lines of other kinds are ignored, as always
    if blocks is None:
        return None
    span = {k: blocks.get(k, (0, 0)) for k in "wmnc"}
    return CaseStats(SortedTable(lines, *span["w"], "w", 2, _shape), _SortedSet(lines, *span["m"], "m"),
                     _SortedSet(lines, *span["n"], "n"), source, SortedTable(lines, *span["c"], "c"),
                     load_case_ngrams())


@lru_cache(maxsize=2)
def load_case_stats(path: str = str(DEFAULT_STATS)) -> CaseStats:
    """The statistics at ``path``; empty ones (and a warning) when the file is missing."""
    p = Path(path)
    if not p.is_file():
        log.warning("casing statistics %s not found: case repairs fall back to the hunspell dictionary "
                    "(run scripts/build_casing_stats.py)", path)
        return CaseStats({}, set(), set(), "")
    stats = _sorted_stats(read_lines(p), str(p))
    return stats if stats is not None else _read_all(p)


def _read_all(p: Path) -> CaseStats:
    """Every line of the statistics file into dicts and sets (a file that is not in sorted blocks)."""
    shapes: dict[str, tuple[float, float, float]] = {}
    mixed: set[str] = set()
    names: set[str] = set()
    mid: dict[str, tuple[int, int]] = {}
    with gzip.open(p, "rt", encoding="utf-8") as fh:
        for line in fh:
            kind, _, rest = line.rstrip("\n").partition("\t")
            if kind == "w":
                w, lo, ti, up = rest.split("\t")
                shapes[w] = (float(lo) if lo else _NONE, float(ti) if ti else _NONE, float(up) if up else _NONE)
            elif kind == "m":
                mixed.add(rest)
            elif kind == "n":
                names.add(rest)
            elif kind == "c":
                w, lo, ti = rest.split("\t")
                mid[w] = (int(lo), int(ti))
    return CaseStats(shapes, mixed, names, str(p), mid, load_case_ngrams())
