"""OpusFilter's filters on the same held-out pairs as benchmarks/quality_bench.py, for comparison.

OpusFilter is not a dependency of this project; install it in a separate environment:
    python3 -m venv /tmp/ofvenv && /tmp/ofvenv/bin/pip install opusfilter
    nice .venv/bin/python benchmarks/quality_bench.py --parts-cache /tmp/quality_parts.json \
        --pairs-out /tmp/quality_pairs.tsv
    nice /tmp/ofvenv/bin/python benchmarks/quality_opusfilter.py /tmp/quality_pairs.tsv

Prints ROC AUC per noise type for each filter's score (sign chosen so that higher = kept) and for
OpusFilter's yes/no decision with all of them at their default thresholds.
(bicleaner-hardrules does not install here: its fasttext dependency needs pybind11 to build.)
"""
from __future__ import annotations

import sys

import numpy as np
from opusfilter import filters as F

TYPES = ("misaligned", "copy", "truncated")


def auc(pos, neg) -> float:
    pos, neg = np.asarray(pos, float), np.asarray(neg, float)
    gt = (pos[:, None] > neg[None, :]).mean()
    eq = (pos[:, None] == neg[None, :]).mean()
    return float(gt + 0.5 * eq)


def main(path: str) -> int:
    rows = [line.rstrip("\n").split("\t") for line in open(path, encoding="utf-8")]
    rng = np.random.default_rng(0)  # AUC on a sample: the pairwise matrix of 5,000 x 15,000 is large
    types = np.array([r[0] for r in rows])
    pairs = [(r[1], r[2]) for r in rows]
    filters = {
        "LanguageIDFilter(lingua)": (F.LanguageIDFilter(languages=["es", "en"], id_method="lingua"), 1),
        "LengthRatioFilter(char)": (F.LengthRatioFilter(unit="char", threshold=3), -1),
        "NonZeroNumeralsFilter": (F.NonZeroNumeralsFilter(), 1),
        "TerminalPunctuationFilter": (F.TerminalPunctuationFilter(), 1),
        "CharacterScoreFilter(Latin)": (F.CharacterScoreFilter(scripts=["Latin", "Latin"]), 1),
    }
    cols, accept = {}, np.ones(len(pairs), bool)
    for name, (flt, sign) in filters.items():
        raw = list(flt.score(pairs))
        accept &= np.array([bool(flt.accept(s)) for s in raw])
        cols[name] = np.array([sign * (min(s) if isinstance(s, (list, tuple)) else s) for s in raw], float)
    cols["all filters (yes/no)"] = accept.astype(float)
    sample = {t: rng.choice(np.flatnonzero(types == t), size=min(3000, int((types == t).sum())), replace=False)
              for t in ("real", *TYPES)}
    print(f"{'OpusFilter':30}" + "".join(f"{t:>12}" for t in (*TYPES, "overall")))
    for name, s in cols.items():
        pos = s[sample["real"]]
        res = [auc(pos, s[sample[t]]) for t in TYPES]
        res.append(auc(pos, np.concatenate([s[sample[t]] for t in TYPES])))
        print(f"{name:30}" + "".join(f"{v:12.4f}" for v in res))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
