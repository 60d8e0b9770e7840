"""Argos batching: our batched path vs upstream ``argostranslate.translate`` one sentence at a time.

Builds a random-weight package for the purpose (output is nonsense; only speed is measured) and runs
both paths on the same package, machine and settings: beam size, compute type, threads and batch size
from ArgosConfig, num_hypotheses=1, length_penalty 0.2, replace_unknowns (what upstream passes), and the
same decoding bound (ratio x input tokens + extra, from ArgosConfig). A random model never emits EOS, so
without that bound upstream would decode CTranslate2's default 256 tokens per sentence; a real model
stops near the input length.
BENCHMARK ONLY: upstream needs stanza/minisbd just for sentence splitting, so stub modules are injected
into sys.modules and the sentencizer is an identity splitter; upstream's CTranslate2 translator is
wrapped to pass the same max_decoding_length. Nothing of this is in the product.
Usage: taskset -c 0,1 python benchmarks/argos_batching.py [--layers 6 --d-model 512 --vocab 8000 --n 200
       --runs 3 --compute-type default]
"""
from __future__ import annotations

import msgspec
import argparse
import os
import statistics
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
from pipeline.config import load_config  # noqa: E402
from pipeline.translate.engines.argos import ArgosEngine  # noqa: E402


def upstream_offline(pkgdir: Path, cfg, bound):
    """Upstream argostranslate.translate, made to run offline and with our settings (see module doc)."""
    for name in ("stanza", "minisbd"):
        sys.modules.setdefault(name, types.ModuleType(name))
    minisbd = sys.modules["minisbd"]
    minisbd.SBDetect = object
    minisbd.models = types.SimpleNamespace()
    os.environ["ARGOS_PACKAGES_DIR"] = str(pkgdir)
    import ctranslate2
    from argostranslate import settings, translate

    settings.package_dirs = [pkgdir]
    settings.beam_size = cfg.beam_size
    settings.batch_size = cfg.max_batch_size
    settings.compute_type = cfg.compute_type
    settings.device = "cpu"
    settings.inter_threads = cfg.inter_threads
    settings.intra_threads = cfg.intra_threads

    class Identity:
        def __init__(self, pkg):
            pass

        def split_sentences(self, text):
            return [text]

    class BoundedTranslator:
        def __init__(self, *args, **kwargs):
            self._t = ctranslate2.Translator(*args, **kwargs)

        def translate_batch(self, source, **kwargs):
            kwargs.setdefault("max_decoding_length", bound(max(len(s) for s in source)))
            return self._t.translate_batch(source, **kwargs)

    translate.MiniSBDSentencizer = Identity
    translate.StanzaSentencizer = Identity
    translate.ctranslate2 = types.SimpleNamespace(Translator=BoundedTranslator)
    translate.get_installed_languages.cache_clear()
    return translate


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--d-model", type=int, default=512)
    ap.add_argument("--vocab", type=int, default=8000)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--compute-type", default=None, help="default: translation.argos.compute_type")
    ap.add_argument("--intra-threads", type=int, default=2)
    a = ap.parse_args()
    lines = (ROOT / "benchmarks" / "data" / "translation_es.txt").read_text(encoding="utf-8").splitlines()
    lines = [lines[i % len(lines)] + f" {i}" for i in range(a.n)]
    with tempfile.TemporaryDirectory() as tmp:
        pkg = build_package(Path(tmp), "es", "en", layers=a.layers, d_model=a.d_model, heads=8,
                            ffn=4 * a.d_model, vocab_size=a.vocab, corpus_lines=4000, pad_vocab=True)
        pkgdir = Path(tmp) / "packages"
        info = argos_models.install(pkg, pkgdir)
        vocab = sum(1 for _ in open(next((info.path / "model").glob("*vocabulary*")), encoding="utf-8"))
        cfg = load_config().translation.argos
        cfg = msgspec.structs.replace(cfg, packages_dir=str(pkgdir), intra_threads=a.intra_threads,
                                  compute_type=a.compute_type or cfg.compute_type)
        ours = ArgosEngine(cfg)
        pk, _ = ours._load("es", "en")
        in_tokens = [len(pk.tokenizer.encode(s)) for s in lines]
        print(f"random-weight package: {a.layers}+{a.layers} layers, d_model {a.d_model}, ffn {4 * a.d_model}, "
              f"8 heads, vocab {vocab}, {model_size_mb(pkg)} MB zipped; {len(lines)} sentences, "
              f"{sum(in_tokens)} input tokens (median {statistics.median(in_tokens)})")
        print(f"settings (both paths): beam {cfg.beam_size}, num_hypotheses 1, compute_type {cfg.compute_type}, "
              f"intra_threads {cfg.intra_threads}, inter_threads {cfg.inter_threads}, batch {cfg.max_batch_size}, "
              f"max_decoding_length {cfg.max_decoding_ratio} x input + {cfg.max_decoding_extra}")
        translate = upstream_offline(pkgdir, cfg, ours.decoding_bound)
        ours.translate_batch(lines[:2], "es", "en")
        translate.translate(lines[0], "es", "en")
        t_ours, t_up = [], []
        for r in range(a.runs):
            t0 = time.perf_counter()
            ours.translate_batch(lines, "es", "en")
            t_ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for s in lines:
                translate.translate(s, "es", "en")
            t_up.append(time.perf_counter() - t0)
    med = statistics.median
    print("upstream argostranslate.translate ran with stub stanza/minisbd modules, an identity sentencizer and "
          "the same decoding bound (benchmark only)")
    print(f"upstream one at a time: {len(lines) / med(t_up):7.1f} sent/s (median {med(t_up):.2f}s of {a.runs})")
    print(f"ours, batched         : {len(lines) / med(t_ours):7.1f} sent/s (median {med(t_ours):.2f}s of {a.runs}); "
          f"speed-up {med(t_up) / med(t_ours):.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
