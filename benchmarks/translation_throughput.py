"""Throughput: segments/s and tokens/s of the raw engine vs the pipeline path, and a cache rerun.

Usage: python benchmarks/translation_throughput.py [--engine apertium|argos] [--repeat N] [--packages-dir D]
Runs on the machine's cores (the target box has 2). Overhead = pipeline time / raw time - 1.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.config import load_config  # noqa: E402
from pipeline.engines import get_engine  # noqa: E402
from pipeline.translation import Translator  # noqa: E402

DATA = Path(__file__).parent / "data" / "translation_es.txt"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", default="apertium")
    ap.add_argument("--repeat", type=int, default=8, help="copies of the test set (distinct by a suffix)")
    ap.add_argument("--packages-dir", default="")
    a = ap.parse_args()
    base = DATA.read_text(encoding="utf-8").splitlines()
    # Suffixes keep copies distinct so neither path can dedupe them away.
    lines = [f"{s} ({i})" for i in range(a.repeat) for s in base]
    tokens = sum(len(s.split()) for s in lines)
    cfg = load_config().translation
    with tempfile.TemporaryDirectory() as tmp:
        cfg = dataclasses.replace(cfg, engine=a.engine,
                                  cache=dataclasses.replace(cfg.cache, path=str(Path(tmp) / "c.db")),
                                  argos=dataclasses.replace(cfg.argos, packages_dir=a.packages_dir))
        eng = get_engine(cfg, "es", "en")
        eng.translate_batch(lines[:4], "es", "en")  # warm-up: model load / process start
        t0 = time.perf_counter()
        eng.translate_batch(lines, "es", "en")
        raw = time.perf_counter() - t0
        tr = Translator(cfg)
        t0 = time.perf_counter()
        tr.translate(lines, "es", "en")
        pipe = time.perf_counter() - t0
        t0 = time.perf_counter()
        tr.translate(lines, "es", "en")
        cached = time.perf_counter() - t0
        tr.close()
    print(f"engine {eng.name} {eng.version('es', 'en')}: {len(lines)} segments, {tokens} source tokens")
    print(f"raw engine : {len(lines) / raw:8.1f} seg/s {tokens / raw:9.1f} tok/s ({raw:.2f}s)")
    print(f"pipeline   : {len(lines) / pipe:8.1f} seg/s {tokens / pipe:9.1f} tok/s ({pipe:.2f}s); "
          f"overhead {100 * (pipe / raw - 1):+.1f}%")
    print(f"cache rerun: {len(lines) / cached:8.1f} seg/s ({cached:.3f}s); speed-up {pipe / cached:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
