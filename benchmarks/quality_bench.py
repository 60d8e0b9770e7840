"""Quality score: does it separate real es/en pairs from broken ones?  Also fits the shipped model.

Usage:
    nice .venv/bin/python benchmarks/quality_bench.py [--fit] [--parts-cache /tmp/quality_parts.json]
        [--pairs-out /tmp/quality_pairs.tsv]

Data: the WMT news sets in ../shared/data/news (7,065 professionally translated pairs). Split: the model is
fitted on news-test2008 only (2,051 pairs); every figure is measured on newstest2009 + newstest2010 (5,014
pairs), which the fit never sees. For each real pair one broken pair of each type is made (seeded):

- misaligned: the English side of another sentence of the same set;
- copy: the same language on both sides (es/es for even pairs, en/en for odd ones);
- truncated: one side (alternating) cut to 30-70 % of its words.

Prints ROC AUC (real vs each noise type, and real vs all) for the score, for each part alone, and for the
project's hard rules (PairFilter: a yes/no answer). ``--fit`` refits ``pipeline/corpus/quality_model.json``
(logistic regression by Newton's method, small L2, noise types weighted equally against the real pairs).
``--pairs-out`` writes the test pairs (label, type, es, en) for ``benchmarks/quality_opusfilter.py``.
Needs an engine (Apertium) for the round-trip part.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.config import Config  # noqa: E402
from pipeline.corpus import quality as q  # noqa: E402
from pipeline.corpus.filters import PairFilter  # noqa: E402

NEWS = ROOT.parent / "shared" / "data" / "news"
FIT_SETS, TEST_SETS = ("news-test2008",), ("newstest2009", "newstest2010")
TYPES = ("misaligned", "copy", "truncated")


def load(names) -> list[tuple[str, str]]:
    out = []
    for n in names:
        es = (NEWS / f"{n}.spa").read_text(encoding="utf-8").splitlines()
        en = (NEWS / f"{n}.eng").read_text(encoding="utf-8").splitlines()
        assert len(es) == len(en), n
        out += [(a.strip(), b.strip()) for a, b in zip(es, en) if a.strip() and b.strip()]
    return out


def _truncate(text: str, rng: random.Random) -> str:
    words = text.split()
    keep = max(1, min(len(words) - 1, round(len(words) * rng.uniform(0.3, 0.7))))
    return " ".join(words[:keep])


def with_noise(pairs: list[tuple[str, str]], seed: int) -> list[tuple[str, str, str]]:
    """(type, es, en) for every real pair and one broken pair of each type."""
    rng = random.Random(seed)
    out = [("real", es, en) for es, en in pairs]
    n = len(pairs)
    for i, (es, en) in enumerate(pairs):
        j = (i + rng.randrange(1, n)) % n
        out.append(("misaligned", es, pairs[j][1]))
        out.append(("copy", es, es) if i % 2 == 0 else ("copy", en, en))
        if i % 2 == 0 or len(en.split()) < 2:
            out.append(("truncated", _truncate(es, rng), en))
        else:
            out.append(("truncated", es, _truncate(en, rng)))
    return out


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """ROC AUC = P(score(real) > score(broken)) + 0.5 P(tie) (Mann-Whitney, average ranks)."""
    scores = np.concatenate([pos, neg])
    order = scores.argsort(kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    r_pos = ranks[: len(pos)].sum()
    return float((r_pos - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def raw_parts(rows, cache: Path | None, key: str) -> list[dict]:
    store = json.loads(cache.read_text()) if cache and cache.exists() else {}
    scorer = q.QualityScorer(Config(), model={"length": {"mu": 0, "sigma": 1}})
    if key in store and len(store[key]) == len(rows):
        parts = store[key]
        redo = [i for i, p in enumerate(parts) if p["round_trip"] is None]  # e.g. after a scorer fix
        for i, new in zip(redo, scorer.raw_parts([rows[i][1:] for i in redo]) if redo else []):
            parts[i] = new
        if redo and cache:
            cache.write_text(json.dumps(store))
        return parts
    t0 = time.time()
    parts = []
    for k in range(0, len(rows), 500):  # batches: one engine call per direction per batch
        chunk = rows[k:k + 500]
        parts += scorer.raw_parts([(es, en) for _, es, en in chunk])
        print(f"  {key}: {k + len(chunk)}/{len(rows)} pairs scored, {time.time() - t0:.0f} s", file=sys.stderr)
    if scorer.engine_error:
        sys.exit(f"no engine for the round trip: {scorer.engine_error}")
    if cache:
        store[key] = parts
        cache.write_text(json.dumps(store))
    return parts


def matrix(parts: list[dict], model: dict, names) -> np.ndarray:
    return np.array([[q.length_agreement(p["length"], model) if n == "length" else
                      (np.nan if p[n] is None else p[n]) for n in names] for p in parts], dtype=float)


def fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float = 1e-2) -> tuple[float, np.ndarray]:
    xb = np.hstack([np.ones((len(x), 1)), x])
    beta = np.zeros(xb.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-(xb @ beta)))
        grad = xb.T @ (w * (p - y)) + l2 * np.r_[0, beta[1:]]
        hess = (xb * (w * p * (1 - p))[:, None]).T @ xb + l2 * np.diag(np.r_[0, np.ones(len(beta) - 1)])
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-9:
            break
    return float(beta[0]), beta[1:]


def fit(rows, parts) -> dict:
    real = [float(p["length"]) for (t, _, _), p in zip(rows, parts) if t == "real"]
    model = {"length": {"mu": round(float(np.mean(real)), 4), "sigma": round(float(np.std(real)), 4)}}
    types = np.array([t for t, _, _ in rows])
    y = (types == "real").astype(float)
    w = np.where(y == 1, 1.0, 1.0 / len(TYPES))
    for key, names in (("with_round_trip", q.PARTS), ("without_round_trip", q.PARTS[1:])):
        x = matrix(parts, model, names)
        ok = ~np.isnan(x).any(axis=1)  # a pair the engine could not translate has no round trip
        b, coef = fit_logistic(x[ok], y[ok], w[ok])
        model[key] = {"intercept": round(b, 4), "weights": {n: round(float(c), 4) for n, c in zip(names, coef)}}
    model["fitted_on"] = (f"{'+'.join(FIT_SETS)}: {int(y.sum())} real pairs, {int((1 - y).sum())} broken "
                          f"({', '.join(TYPES)}), by benchmarks/quality_bench.py --fit")
    return model


def report(rows, parts, model, label: str) -> dict:
    types = np.array([t for t, _, _ in rows])
    cols: dict[str, np.ndarray] = {}
    finished = [q.QualityScorer.finish(_Model(model), p) for p in parts]
    cols["score"] = np.array([f.score for f in finished])
    cols["score (no round trip)"] = np.array([q.combine({**f.to_dict(), "round_trip": None}, model)
                                              for f in finished])
    for n in q.PARTS:
        cols[n] = np.array([getattr(f, n) for f in finished], dtype=float)
    pf = PairFilter(Config().filters)
    cols["hard rules (PairFilter)"] = np.array([0.0 if pf({"es": es, "en": en}) else 1.0 for _, es, en in rows])
    out = {}
    print(f"\n{label}: {int((types == 'real').sum())} real pairs, {len(TYPES)} x broken; ROC AUC")
    print(f"{'scorer':28}" + "".join(f"{t:>12}" for t in (*TYPES, "overall")))
    for name, s in cols.items():
        pos = s[types == "real"]
        res = {t: auc(pos, s[types == t]) for t in TYPES}
        res["overall"] = auc(pos, s[types != "real"])
        out[name] = res
        print(f"{name:28}" + "".join(f"{res[t]:12.4f}" for t in (*TYPES, "overall")))
    return out


class _Model:  # QualityScorer.finish needs only .model
    def __init__(self, model):
        self.model = model


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fit", action="store_true", help="refit pipeline/corpus/quality_model.json")
    ap.add_argument("--parts-cache", type=Path, default=None, help="JSON file to keep computed parts in")
    ap.add_argument("--pairs-out", type=Path, default=None, help="write the test pairs as TSV")
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    if not NEWS.is_dir():
        print(f"skipped: {NEWS} is absent (see ../shared/data/README.md)")
        return 0
    fit_rows, test_rows = with_noise(load(FIT_SETS), args.seed), with_noise(load(TEST_SETS), args.seed + 1)
    fit_parts = raw_parts(fit_rows, args.parts_cache, "fit")
    test_parts = raw_parts(test_rows, args.parts_cache, "test")
    if args.fit:
        model = fit(fit_rows, fit_parts)
        q.MODEL_PATH.write_text(json.dumps(model, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {q.MODEL_PATH}")
    model = q.load_model()
    report(fit_rows, fit_parts, model, "fit set (news-test2008; in-sample)")
    report(test_rows, test_parts, model, "held-out test set (newstest2009 + newstest2010)")
    if args.pairs_out:
        with open(args.pairs_out, "w", encoding="utf-8") as fh:
            for t, es, en in test_rows:
                fh.write(f"{t}\t{es}\t{en}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
