"""Argos batching: our batched path vs upstream ``argostranslate.translate`` one sentence at a time.

Builds a random-weight package for the purpose (output is nonsense; only speed is measured). Upstream
needs stanza/minisbd only for sentence splitting: HERE ONLY, stub modules are injected into sys.modules
and the sentencizer is replaced by an identity splitter so upstream runs offline.
Usage: python benchmarks/argos_batching.py [--layers 6 --d-model 256 --vocab 2000 --n 200]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from argos_fixture import build_package, model_size_mb  # noqa: E402

from pipeline import argos_models  # noqa: E402
from pipeline.config import ArgosConfig  # noqa: E402
from pipeline.engines.argos import ArgosEngine  # noqa: E402


def upstream_offline(pkgdir: Path):
    for name in ("stanza", "minisbd"):
        sys.modules.setdefault(name, types.ModuleType(name))
    minisbd = sys.modules["minisbd"]
    minisbd.SBDetect = object
    minisbd.models = types.SimpleNamespace()
    import os

    os.environ["ARGOS_PACKAGES_DIR"] = str(pkgdir)
    from argostranslate import package, settings, translate

    settings.package_dirs = [pkgdir]
    settings.beam_size = 2  # same beam as ours

    class Identity:
        def __init__(self, pkg):
            pass

        def split_sentences(self, text):
            return [text]

    translate.MiniSBDSentencizer = Identity
    translate.StanzaSentencizer = Identity
    translate.get_installed_languages.cache_clear()
    return translate


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--d-model", type=int, default=256)
    ap.add_argument("--vocab", type=int, default=2000)
    ap.add_argument("--n", type=int, default=200)
    a = ap.parse_args()
    lines = (ROOT / "benchmarks" / "data" / "translation_es.txt").read_text(encoding="utf-8").splitlines()
    lines = [lines[i % len(lines)] + f" {i}" for i in range(a.n)]
    with tempfile.TemporaryDirectory() as tmp:
        pkg = build_package(Path(tmp), "es", "en", layers=a.layers, d_model=a.d_model, heads=8,
                            ffn=4 * a.d_model, vocab_size=a.vocab, corpus_lines=4000)
        pkgdir = Path(tmp) / "packages"
        argos_models.install(pkg, pkgdir)
        print(f"random-weight package: {a.layers}+{a.layers} layers, d_model {a.d_model}, "
              f"vocab ~{a.vocab}, {model_size_mb(pkg)} MB zipped; {len(lines)} sentences")
        # A fixed decoding bound for both paths: upstream uses CTranslate2's default (256).
        ours = ArgosEngine(ArgosConfig(packages_dir=str(pkgdir), beam_size=2, max_input_tokens=128))
        ours.translate_batch(lines[:2], "es", "en")
        t0 = time.perf_counter()
        ours.translate_batch(lines, "es", "en")
        t_ours = time.perf_counter() - t0
        translate = upstream_offline(pkgdir)
        translate.translate(lines[0], "es", "en")
        t0 = time.perf_counter()
        for s in lines:
            translate.translate(s, "es", "en")
        t_up = time.perf_counter() - t0
    print("upstream argostranslate.translate ran with stub stanza/minisbd modules and an identity "
          "sentencizer (benchmark only)")
    print(f"upstream one at a time: {len(lines) / t_up:7.1f} sent/s ({t_up:.2f}s)")
    print(f"ours, batched         : {len(lines) / t_ours:7.1f} sent/s ({t_ours:.2f}s); "
          f"speed-up {t_up / t_ours:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
