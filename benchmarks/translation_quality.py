"""Quality harness: BLEU and chrF (sacrebleu) of the pipeline translate path vs the raw engine.

Usage: python benchmarks/translation_quality.py --src FILE --ref FILE --from es --to en [--engine E]
Same lines, same engine: the raw engine gets the lines as they are; the pipeline masks, splits, applies
the glossary and restores. Also prints the share of protected spans kept byte-identical by each.
"""
from __future__ import annotations

import msgspec
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sacrebleu  # noqa: E402

from pipeline.config import load_config  # noqa: E402
from pipeline.translate.engines import get_engine  # noqa: E402
from pipeline.protect import find_protected  # noqa: E402
from pipeline.translate.translator import Translator  # noqa: E402


def kept(src: list[str], out: list[str]) -> tuple[int, int]:
    total = ok = 0
    for s, o in zip(src, out):
        for span in find_protected(s):
            total += 1
            ok += span.text in o
    return ok, total


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--ref", required=True)
    ap.add_argument("--from", dest="src_lang", default="es")
    ap.add_argument("--to", dest="tgt_lang", default="en")
    ap.add_argument("--engine", default=None)
    ap.add_argument("--config", default=None)
    a = ap.parse_args()
    src = Path(a.src).read_text(encoding="utf-8").splitlines()
    ref = Path(a.ref).read_text(encoding="utf-8").splitlines()
    assert len(src) == len(ref), "src and ref must have the same number of lines"
    cfg = load_config(a.config).translation
    cfg = msgspec.structs.replace(cfg, cache=msgspec.structs.replace(cfg.cache, enabled=False),
                              **({"engine": a.engine} if a.engine else {}))
    engine = get_engine(cfg, a.src_lang, a.tgt_lang)
    raw = engine.translate_batch(src, a.src_lang, a.tgt_lang)
    tr = Translator(cfg)
    pipe = [r.text or "" for r in tr.translate(src, a.src_lang, a.tgt_lang)]
    print(f"engine: {engine.name} {engine.version(a.src_lang, a.tgt_lang)}; {len(src)} lines")
    for label, hyp in (("raw engine", raw), ("pipeline", pipe)):
        bleu = sacrebleu.corpus_bleu(hyp, [ref]).score
        chrf = sacrebleu.corpus_chrf(hyp, [ref]).score
        ok, total = kept(src, hyp)
        print(f"{label:11s} BLEU {bleu:6.2f}  chrF {chrf:6.2f}  protected spans kept {ok}/{total}"
              f" ({100 * ok / max(1, total):.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
