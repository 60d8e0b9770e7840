"""Throughput: segments/s and tokens/s of the raw engine vs the pipeline path, and a cache rerun.

Usage: python benchmarks/translation_throughput.py [--engine apertium|argos] [--repeat N] [--runs R]
       [--packages-dir D]
Run it on 2 cores (``taskset -c 0,1 ...``). Every figure is the median of ``--runs`` runs, raw and
pipeline alternating order. Raw engine and pipeline get the same lines in one ``translate_batch`` /
``translate`` call (both: one engine process per batch for apertium). Overhead = pipeline / raw - 1.
The cache rerun is a second pass through ``Translator.translate`` by a NEW Translator reading the sqlite
file the first pass wrote (as a rerun in a new process would; its in-process LRU starts empty).
"""
from __future__ import annotations

import msgspec
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.config import load_config  # noqa: E402
from pipeline.translate.engines import get_engine  # noqa: E402
from pipeline.translate.translator import Translator  # noqa: E402

DATA = Path(__file__).parent / "data" / "translation_es.txt"


def make_lines(base: list[str], repeat: int) -> list[str]:
    """``repeat`` x len(base) distinct segments: each sentence joined with a different following one.

    Copies must differ in translatable words: a numeric suffix would be masked as a protected span and
    the pipeline would (rightly) translate the copies once, which made it look faster than the engine.
    """
    n = len(base)
    return [f"{base[j]} {base[(j + i + 1) % n]}" for i in range(repeat) for j in range(n)]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", default="apertium")
    ap.add_argument("--repeat", type=int, default=8, help="distinct segments per base sentence")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--packages-dir", default="")
    a = ap.parse_args()
    base = DATA.read_text(encoding="utf-8").splitlines()
    lines = make_lines(base, min(a.repeat, len(base) - 1))
    assert len(set(lines)) == len(lines)
    tokens = sum(len(s.split()) for s in lines)
    cfg0 = load_config().translation
    with tempfile.TemporaryDirectory() as tmp:
        def config(db: str, enabled: bool = True):
            return msgspec.structs.replace(
                cfg0, engine=a.engine,
                cache=msgspec.structs.replace(cfg0.cache, path=str(Path(tmp) / db), enabled=enabled),
                argos=msgspec.structs.replace(cfg0.argos, packages_dir=a.packages_dir))

        eng = get_engine(config("w.db"), "es", "en")
        eng.translate_batch(lines[:4], "es", "en")  # warm-up: model load / process start
        Translator(config("w.db", False)).translate(lines[:4], "es", "en")
        raw, nocache, own, first, rerun, rerun_open, lru = [], [], [], [], [], [], []
        for r in range(a.runs):
            def time_raw():
                t0 = time.perf_counter()
                eng.translate_batch(lines, "es", "en")
                raw.append(time.perf_counter() - t0)

            def time_pipeline():
                tr = Translator(config(f"off{r}.db", enabled=False))
                inner = tr.engine("es", "en")
                in_engine = []

                class Timed:  # the same engine, timed, to split pipeline time into engine and own work
                    name = inner.name
                    version = inner.version
                    fits = getattr(inner, "fits", None)

                    def translate_batch(self, texts, src, tgt):
                        t = time.perf_counter()
                        try:
                            return inner.translate_batch(texts, src, tgt)
                        finally:
                            in_engine.append(time.perf_counter() - t)

                if Timed.fits is None:
                    del Timed.fits
                tr._engines[("es", "en")] = Timed()
                t0 = time.perf_counter()
                tr.translate(lines, "es", "en")
                nocache.append(time.perf_counter() - t0)
                own.append(nocache[-1] - sum(in_engine))
                tr = Translator(config(f"run{r}.db"))
                t0 = time.perf_counter()
                res1 = tr.translate(lines, "es", "en")
                first.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                tr.translate(lines, "es", "en")
                lru.append(time.perf_counter() - t0)
                tr.close()
                t0 = time.perf_counter()
                tr = Translator(config(f"run{r}.db"))
                t1 = time.perf_counter()
                res2 = tr.translate(lines, "es", "en")
                t2 = time.perf_counter()
                tr.close()
                rerun_open.append(t1 - t0)
                rerun.append(t2 - t1)
                assert [x.text for x in res1] == [x.text for x in res2]
                assert all({"type": "cache_hit", "level": "segment"} in x.notes for x in res2 if x.text)

            for step in ((time_raw, time_pipeline) if r % 2 == 0 else (time_pipeline, time_raw)):
                step()
    med = statistics.median
    print(f"engine {eng.name} {eng.version('es', 'en')}: {len(lines)} distinct segments, {tokens} source "
          f"tokens; medians of {a.runs} runs")
    print(f"raw engine            : {len(lines) / med(raw):8.1f} seg/s {tokens / med(raw):9.1f} tok/s "
          f"({med(raw):.3f}s)")
    for label, ts in (("pipeline, cache off  ", nocache), ("pipeline, first run  ", first)):
        print(f"{label}: {len(lines) / med(ts):8.1f} seg/s {tokens / med(ts):9.1f} tok/s ({med(ts):.3f}s); "
              f"overhead {100 * (med(ts) / med(raw) - 1):+.1f}% over raw")
    print(f"pipeline's own work (cache off: masking, planning, restoring; engine time excluded): "
          f"{med(own) * 1000:.1f} ms = {100 * med(own) / med(raw):.1f}% of raw engine time")
    print(f"cache rerun, new Translator on the same sqlite file: {med(rerun) * 1000:.1f} ms "
          f"(+{med(rerun_open) * 1000:.1f} ms to open it); speed-up {med(first) / med(rerun):.0f}x "
          f"over the first run")
    print(f"cache rerun, same Translator (in-process LRU): {med(lru) * 1000:.2f} ms; "
          f"speed-up {med(first) / med(lru):.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
