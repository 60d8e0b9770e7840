"""Case-sensitive n-gram counts of real English for a Lita et al. (2003) truecaser score: is a capitalised
word, in its context, written that way in real English, or lower-case?

Reads ``pipeline/resources/data/en_case_ngrams.tsv.gz`` (built by ``scripts/build_case_ngrams.py`` from the
model of PyPI ``truecase``: unigram, backward and forward bigram and trigram counts over 4.2 million tokens of
NLTK's English corpora). Only words real English writes both lower-case and Title Case are kept, and for each
only how often it is lower-case and Title Case in a context: ``(n_lower, n_title)``.
"""
from __future__ import annotations

import gzip
import logging
import math
from functools import lru_cache
from pathlib import Path

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


def read_ngrams(path: Path) -> CaseNgrams:
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
