"""Case-sensitive n-gram counts of real English for a Lita et al. (2003) truecaser score: is a capitalised
word, in its context, written that way in real English, or lower-case?

Reads ``pipeline/resources/data/en_case_ngrams.tsv.gz`` (built by ``scripts/build_case_ngrams.py`` from the
model of PyPI ``truecase``: unigram, backward and forward bigram and trigram counts over 4.2 million tokens of
NLTK's English corpora). Only words real English writes both lower-case and Title Case are kept, and for each
only how often it is lower-case and Title Case in a context: ``(n_lower, n_title)``.
"""
from __future__ import annotations

import gzip
import itertools
import logging
import math
import operator
from bisect import bisect_left
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

log = logging.getLogger(__name__)

DEFAULT_NGRAMS = Path(__file__).resolve().parent / "data" / "en_case_ngrams.tsv.gz"
_PSEUDO = 5.0  # add-k smoothing of every count, as in the truecaser the counts come from
_ZERO = (0, 0)


class CaseNgrams:
    """Lower-case vs Title Case counts of ambiguous words alone and in context.

    ``uni[w]``, ``back[prev + "\\t" + w]`` (the word before as written), ``fwd[w + "\\t" + next]`` (the word
    after, lower-cased), ``tri[prev + "\\t" + w + "\\t" + next]``; ``w`` lower-case, values ``(n_lower, n_title)``.

    >>> ng = CaseNgrams({"race": (90, 2)}, {"the\\trace": (40, 1)}, {"race\\tfor": (12, 0)}, {})
    >>> ng.margin("the", ["Race"], "for") > 3, ng.margin("the", ["Zyx"], "for")
    (True, 0.0)
    """

    def __init__(self, uni: dict, back: dict, fwd: dict, tri: dict, source: str = ""):
        self.uni, self.back, self.fwd, self.tri, self.source = uni, back, fwd, tri, source

    @property
    def available(self) -> bool:
        return bool(self.uni)

    def _word(self, prev: str | None, w: str, nxt: str | None) -> tuple[float, float]:
        """Log scores of ``w`` written lower-case and Title Case between ``prev`` and ``nxt``."""
        lw = w.lower()
        parts = [self.uni.get(lw, _ZERO)]
        if prev is not None:
            parts.append(self.back.get(prev + "\t" + lw, _ZERO))
        if nxt is not None:
            n = nxt.lower()
            parts.append(self.fwd.get(lw + "\t" + n, _ZERO))
            if prev is not None:
                parts.append(self.tri.get(prev + "\t" + lw + "\t" + n, _ZERO))
        lo = ti = 0.0
        for a, b in parts:
            lo += math.log((a + _PSEUDO) / (a + b + 2 * _PSEUDO))
            ti += math.log((b + _PSEUDO) / (a + b + 2 * _PSEUDO))
        return lo, ti

    def margin(self, prev: str | None, words: list[str], nxt: str | None) -> float:
        """log P(run all lower-case) - log P(run as written), each word scored by its unigram, backward and
        forward bigram and trigram counts (the word before taken as hypothesised). 0 for words never seen
        both ways; large and positive when real English writes the run lower-case in this context."""
        if not any(w.lower() in self.uni for w in words):
            return 0.0
        low_total = written_total = 0.0
        p_low = p_written = prev
        for i, w in enumerate(words):
            n = words[i + 1] if i + 1 < len(words) else nxt
            lw = w.lower()
            if lw not in self.uni:
                p_low, p_written = w, w
                continue  # a name or a word written one way only: the same in both hypotheses
            lo, _ = self._word(p_low, lw, n)
            lo_w, ti_w = self._word(p_written, w, n)
            low_total += lo
            written_total += lo_w if w == lw else ti_w
            p_low, p_written = lw, w
        return low_total - written_total


def _counts(fields: list[str]) -> tuple[int, int]:
    return int(fields[0]), int(fields[1])


class SortedTable:
    """``{key: value}`` for the lines of one kind of a statistics file, sorted as the build scripts
    (``scripts/build_case_ngrams.py``, ``scripts/build_casing_stats.py``) write them: a key is found by binary
    search when it is asked for, and remembered. A run asks for a few thousand of the ~400,000 n-gram keys
    and ~160,000 words; parsing them all into dicts took ~0.5 CPU s of every run's start. A line is the
    kind, a tab, the key (which may hold tabs) and ``tabs_after`` + 1 tab-separated value fields, which
    ``parse`` turns into the value. Read-only: ``get``, ``in``, ``len`` (lines), as the dicts it stands for.

    >>> t = SortedTable(["#", "u\\tarm\\t7\\t1", "u\\tart\\t12\\t3"], 1, 3, "u")
    >>> t.get("art"), t.get("ar"), "arm" in t, len(t)
    ((12, 3), None, True, 2)
    """

    def __init__(self, lines: list[str], lo: int, hi: int, kind: str, tabs_after: int = 1,
                 parse: Callable[[list[str]], Any] = _counts):
        self._lines, self._lo, self._hi, self._prefix = lines, lo, hi, kind + "\t"
        self._tabs, self._parse = tabs_after, parse
        self._found: dict[str, Any] = {}

    def get(self, key: str, default=None):
        try:
            hit = self._found[key]
        except KeyError:
            hit = self._found[key] = self._find(key)
        return default if hit is None else hit

    def _find(self, key: str):
        probe = self._prefix + key + "\t"
        lines, hi = self._lines, self._hi
        i = bisect_left(lines, probe, self._lo, hi)
        found = None
        while i < hi and lines[i].startswith(probe):  # the lines whose key starts with this one
            rest = lines[i][len(probe):]
            if rest.count("\t") == self._tabs:  # the key is every field before the values: this one
                found = self._parse(rest.split("\t"))  # the last such line, as when the file is read into a dict
            i += 1
        return found

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def __len__(self) -> int:
        return self._hi - self._lo


def read_lines(path: Path) -> list[str]:
    """The lines of a gzipped UTF-8 text file, without their line ends."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    if lines and not lines[-1]:
        lines.pop()  # the end of the last line
    return lines


_KINDS = ("u", "b", "f", "t")


def sorted_blocks(lines: list[str], kinds: str, ignore: str | None = "#") -> dict[str, tuple[int, int]] | None:
    """``{kind: (first, end)}`` line ranges when the lines of each kind (its one character, then a tab) form
    one block, sorted; lines starting with a character of ``ignore`` (None: any character but the kinds')
    are left out, any other line gives None. None as well for a kind in two blocks, an unsorted block or an
    empty line: the caller then reads the file line by line, as it always did."""
    blocks: dict[str, tuple[int, int]] = {}
    pos = 0
    try:
        for kind, run in itertools.groupby(lines, key=operator.itemgetter(0)):
            end = pos + len(list(run))
            if kind in kinds:
                block = lines[pos:end]
                # sorted, so every line starts with "<kind>\t" when the first and the last do
                if kind in blocks or not all(map(operator.lt, block, block[1:])) \
                        or not (block[0].startswith(kind + "\t") and block[-1].startswith(kind + "\t")):
                    return None
                blocks[kind] = (pos, end)
            elif ignore is not None and kind not in ignore:
                return None
            pos = end
    except IndexError:  # an empty line
        return None
    return blocks


def _sorted_tables(lines: list[str]) -> dict[str, SortedTable] | None:
    blocks = sorted_blocks(lines, "".join(_KINDS))
    if blocks is None:
        return None
    return {kind: SortedTable(lines, *blocks.get(kind, (0, 0)), kind) for kind in _KINDS}


def read_ngrams(path: Path) -> CaseNgrams:
    lines = read_lines(path)
    tables = _sorted_tables(lines)
    if tables is not None:
        return CaseNgrams(tables["u"], tables["b"], tables["f"], tables["t"], str(path))
    return _read_all(path)


def _read_all(path: Path) -> CaseNgrams:
    """Every line of the counts file into dicts (a file that is not in sorted blocks)."""
    uni: dict = {}
    back: dict = {}
    fwd: dict = {}
    tri: dict = {}
    tables = {"u": uni, "b": back, "f": fwd, "t": tri}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            tables[parts[0]]["\t".join(parts[1:-2])] = (int(parts[-2]), int(parts[-1]))
    return CaseNgrams(uni, back, fwd, tri, str(path))


@lru_cache(maxsize=2)
def load_case_ngrams(path: str = str(DEFAULT_NGRAMS)) -> CaseNgrams:
    """The counts at ``path``; empty ones (and a warning) when the file is missing."""
    p = Path(path)
    if not p.is_file():
        log.warning("case n-gram counts %s not found: the truecasing repairs use word statistics alone "
                    "(run scripts/build_case_ngrams.py)", path)
        return CaseNgrams({}, {}, {}, {})
    return read_ngrams(p)
