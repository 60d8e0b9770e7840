"""Benchmark of the English repair rules: per-class accuracy on the artefact cases, false-edit rate on clean
news sentences, and throughput (sentences/s on one core, whole rule set).

Run: PYTHONPATH=$PWD python benchmarks/repair_bench.py [--repeat N]
"""
from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

from pipeline.repair.repairer import DocumentContext, Repairer, looks_like_heading, matches_expected

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "repairs"


def accuracy(repairer: Repairer, cases: list[dict], name: str, show: bool) -> None:
    per_class: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for case in cases:
        res = repairer.repair(case["input"])
        ok = matches_expected(res, case["expected"])
        if case["class"] == "heading":  # class 5: recognised as a heading, and left alone
            ok = ok and looks_like_heading(case["input"])
        per_class[case["class"]][0] += ok
        per_class[case["class"]][1] += 1
        if not ok and show:
            print(f"  FAIL {case['label']}: {case['input']!r}\n    got      {res.text!r}\n"
                  f"    expected {case['expected']!r}  flagged={[f['rule'] for f in res.flagged]}")
    print(f"repair accuracy per class (tests/data/repairs/{name})")
    good = total = 0
    for cls, (ok, n) in sorted(per_class.items()):
        print(f"  {cls:<18} {ok:>3}/{n:<3} {ok / n:6.1%}")
        good += ok
        total += n
    print(f"  {'ALL':<18} {good:>3}/{total:<3} {good / total:6.1%}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="passes over the sentences for the speed figure")
    ap.add_argument("--show-failures", action="store_true")
    args = ap.parse_args()

    repairer = Repairer()
    for name in ("artefacts.jsonl", "holdout.jsonl"):
        cases = [json.loads(line) for line in (DATA / name).open(encoding="utf-8") if line.strip()]
        accuracy(repairer, cases, name, args.show_failures)
    cases = [json.loads(line) for line in (DATA / "artefacts.jsonl").open(encoding="utf-8") if line.strip()]

    clean = [l.rstrip("\n") for l in (DATA / "clean_en.txt").open(encoding="utf-8") if l.strip()]
    edited = [s for s in clean if repairer.repair(s).text != s]
    flagged = sum(bool(repairer.repair(s).flagged) for s in clean)
    print(f"clean sentences edited: {len(edited)}/{len(clean)} "
          f"({len(edited) / len(clean) * 200:.2f} per 200); flagged for review: {flagged}")
    for s in edited:
        print(f"  EDITED {s!r} -> {repairer.repair(s).text!r}")

    corpus = clean + [c["input"] for c in cases]
    ctx = DocumentContext.from_texts(corpus)
    repairer.repair(corpus[0], ctx)  # load the dictionary outside the timing
    t0 = time.process_time()
    for _ in range(args.repeat):
        for s in corpus:
            repairer.repair(s, ctx)
    dt = time.process_time() - t0
    n = len(corpus) * args.repeat
    print(f"speed: {n} sentences in {dt:.2f} s CPU = {n / dt:,.0f} sentences/s (one core, all rules)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
