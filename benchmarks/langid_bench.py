"""Language-detection benchmark: accuracy per length bucket, span/token accuracy, calibration, throughput.

Input: benchmarks/data/langid_eval.jsonl (hand-labelled, see build_langid_eval.py). Compares
(a) plain langdetect (55 languages, unseeded as most users call it), (b) seeded langdetect restricted to
es/en, (c) the project's LanguageDetector. Prints a table; nothing is written.
Run: ``PYTHONPATH=$PWD python benchmarks/langid_bench.py [--data FILE] [--repeat N]``.
"""
from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

import regex

from pipeline.langid.detector import LanguageDetector, _langdetect_probs

HERE = Path(__file__).resolve().parent
_WORD = regex.compile(r"\p{L}+(?:['’]\p{L}+)*")


def plain_langdetect(text: str) -> str:
    import langdetect
    try:
        return langdetect.detect(text)
    except Exception:  # noqa: BLE001 - langdetect raises on featureless text
        return "und"


def restricted_langdetect(text: str) -> str:
    probs = _langdetect_probs(("es", "en"), 0, text)
    return max(probs, key=probs.get) if probs else "und"


def token_labels(text: str, spans) -> list[tuple[int, str]]:
    """(word start, lang) for each word inside a span; words outside every span are 'und'."""
    out = []
    for m in _WORD.finditer(text):
        lang = "und"
        for s, e, l in spans:
            if s <= m.start() < e:
                lang = l
        out.append((m.start(), lang))
    return out


def fit_temperature(rows: list[dict]) -> None:
    """Largest temperature whose confident answers (>= 0.9) stay >= 99.5% right on one half; reported
    with the precision it gives on the other half."""
    from pipeline.config import LangIdConfig

    grid = [0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5]
    results = {}
    for t in grid:
        det = LanguageDetector(LangIdConfig(temperature=t))
        results[t] = [(det.detect(r["input"]).confidence >= 0.9,
                       det.detect(r["input"]).lang == r["expected"]["lang"]) for r in rows]
    for fold in (0, 1):
        fit = [i for i in range(len(rows)) if i % 2 == fold]
        held = [i for i in range(len(rows)) if i % 2 != fold]

        def prec(t, idx):
            hits = [results[t][i][1] for i in idx if results[t][i][0]]
            return (sum(hits) / len(hits) if hits else 1.0), len(hits)
        best = max((t for t in grid if prec(t, fit)[0] >= 0.995), default=grid[0])
        p, n = prec(best, held)
        print(f"fold {fold}: temperature {best} -> held-out precision among >= 0.9: {100 * p:.2f}% ({n})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=str(HERE / "data" / "langid_eval.jsonl"))
    ap.add_argument("--repeat", type=int, default=3, help="passes over the sentences for throughput")
    ap.add_argument("--fit-temperature", action="store_true",
                    help="two-fold check of the confidence scale: fit on half the rows, test on the other")
    args = ap.parse_args()
    rows = [json.loads(line) for line in open(args.data, encoding="utf-8")]
    det = LanguageDetector()
    det.detect("warm up the models")

    systems = {"plain_langdetect": plain_langdetect, "langdetect_es_en": restricted_langdetect,
               "project": lambda t: det.detect(t).lang}
    acc: dict[str, dict[str, list[int]]] = {k: defaultdict(lambda: [0, 0]) for k in systems}
    wrong: list[str] = []
    for r in rows:
        for name, fn in systems.items():
            ok = fn(r["input"]) == r["expected"]["lang"]
            acc[name][r["bucket"]][0] += ok
            acc[name][r["bucket"]][1] += 1
            if name == "project" and not ok:
                wrong.append(f"  {r['label']}: got {det.detect(r['input']).lang!r} for {r['input']!r}")

    buckets = ["word", "pair", "sentence", "tweet", "mixed", "third", "und"]
    print(f"{'bucket':<10}{'n':>5}" + "".join(f"{k:>20}" for k in systems))
    for b in buckets:
        n = acc["project"][b][1]
        if not n:
            continue
        print(f"{b:<10}{n:>5}" + "".join(f"{100 * acc[k][b][0] / max(1, acc[k][b][1]):>19.1f}%"
                                         for k in systems))

    # Token level on tweets and code-switched lines: each word's language from the span holding it.
    tok_ok = tok_n = 0
    for r in rows:
        if r["bucket"] not in ("tweet", "mixed"):
            continue
        gold = dict(token_labels(r["input"], r["expected"]["spans"]))
        d = det.detect(r["input"])
        pred = dict(token_labels(r["input"], [(s.start, s.end, s.lang) for s in d.spans]))
        for pos, lang in gold.items():
            tok_n += 1
            tok_ok += pred.get(pos) == lang
    if tok_n:
        print(f"\ntoken accuracy on tweets + code-switched lines: {100 * tok_ok / tok_n:.1f}% "
              f"({tok_n} tokens)")

    # Calibration: precision among confident answers, and a reliability table.
    bins = defaultdict(lambda: [0, 0])
    hi_ok = hi_n = 0
    for r in rows:
        d = det.detect(r["input"])
        ok = d.lang == r["expected"]["lang"]
        bins[min(9, int(d.confidence * 10))][0] += ok
        bins[min(9, int(d.confidence * 10))][1] += 1
        if d.confidence >= 0.9:
            hi_n += 1
            hi_ok += ok
    print(f"precision among confidence >= 0.9: {100 * hi_ok / max(1, hi_n):.2f}% ({hi_n} of {len(rows)})")
    print("reliability: " + ", ".join(f"[{k / 10:.1f},{(k + 1) / 10:.1f}) {v[0]}/{v[1]}"
                                      for k, v in sorted(bins.items())))

    if args.fit_temperature:
        fit_temperature(rows)

    sents = [r["input"] for r in rows if r["bucket"] == "sentence"]
    t0 = time.process_time()
    for _ in range(args.repeat):
        for s in sents:
            det.detect(s)
    dt = time.process_time() - t0
    if sents:
        print(f"throughput (one core, CPU time, sentences): {len(sents) * args.repeat / dt:.0f} segments/s")
    if wrong:
        print(f"\nproject errors ({len(wrong)}):")
        print("\n".join(wrong))


if __name__ == "__main__":
    main()
