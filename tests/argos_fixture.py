"""Build a tiny random-weight argostranslate package (.argosmodel) at test time, without torch.

Inputs: a folder to build in, the direction, model size. Output: the path of a zipped package holding a
SentencePiece model, a CTranslate2 Transformer with random weights and metadata.json. Its output is
nonsense by design: it exercises batching, alignment and error paths, never translation quality.
"""
from __future__ import annotations

import json
import random
import zipfile
from pathlib import Path

import numpy as np

_WORDS = ("el la los las de del y en un una que por para con presidente gobierno ministro dijo hoy "
          "Venezuela Moscú Rusia acuerdo petróleo millones barriles precio mercado reunión Caracas "
          "the of and to in president government minister said today oil market price meeting talks "
          "Russia Moscow agreement barrels million new week year country foreign relations").split()


def _corpus(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    lines = []
    for _ in range(n):
        words = [rng.choice(_WORDS) for _ in range(rng.randint(3, 14))]
        # Digits, punctuation and placeholder brackets so the vocabulary can carry them.
        words.insert(rng.randint(0, len(words)), rng.choice(["2022", "3,5", "15", "⟦0⟧", "⟦1⟧", "@x", "#y"]))
        lines.append(" ".join(words).capitalize() + rng.choice([".", "?", "!", ","]))
    return lines


def _random_value(path: str, d: int, ff: int, vocab: int, rng: np.random.Generator) -> np.ndarray | None:
    leaf = path.rsplit(".", 1)[-1]
    if leaf in ("gamma",):
        return np.ones(d, dtype=np.float32)
    if leaf in ("beta",):
        return np.zeros(d, dtype=np.float32)
    if leaf != "weight":
        return None
    if "embeddings" in path or "projection" in path:
        shape = (vocab, d)
    elif "linear_0" in path:
        shape = (ff, d)
    elif "linear_1" in path:
        shape = (d, ff)
    elif "self_attention.linear.0" in path:
        shape = (3 * d, d)
    elif "attention.linear.1" in path and "self_attention" not in path:
        shape = (2 * d, d)  # cross-attention: fused key/value
    else:
        shape = (d, d)
    return (rng.standard_normal(shape) * (1.0 / np.sqrt(shape[1]))).astype(np.float32)


def _fill(spec, d: int, ff: int, vocab: int, rng: np.random.Generator, prefix: str = "") -> None:
    from ctranslate2.specs import model_spec

    for name, value in list(vars(spec).items()):
        path = f"{prefix}{name}"
        if isinstance(value, model_spec.LayerSpec):
            _fill(value, d, ff, vocab, rng, path + ".")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, model_spec.LayerSpec):
                    _fill(item, d, ff, vocab, rng, f"{path}.{i}.")
        elif value is None:
            filled = _random_value(path, d, ff, vocab, rng)
            if filled is None:
                raise ValueError(f"no shape rule for required variable {path}")
            setattr(spec, name, filled)


def build_package(workdir: Path, src: str = "es", tgt: str = "en", *, layers: int = 1, d_model: int = 32,
                  heads: int = 2, ffn: int = 64, vocab_size: int = 300, seed: int = 0,
                  version: str = "0.0.1-test", corpus_lines: int = 400, pad_vocab: bool = False) -> Path:
    """Write ``<workdir>/translate-<src>_<tgt>-test.argosmodel`` and return its path.

    The small corpus caps the SentencePiece vocabulary; ``pad_vocab`` fills the model's vocabulary up to
    ``vocab_size`` with unused tokens so the embedding and output layers have a realistic size.
    """
    import ctranslate2  # noqa: F401  (fail early with a clear ImportError)
    import sentencepiece as spm
    from ctranslate2.specs import transformer_spec

    workdir = Path(workdir)
    name = f"translate-{src}_{tgt}-test"
    root = workdir / "build" / name
    root.mkdir(parents=True, exist_ok=True)
    text = workdir / "sp_corpus.txt"
    text.write_text("\n".join(_corpus(corpus_lines, seed)), encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(text), model_prefix=str(root / "sentencepiece"), vocab_size=vocab_size,
        character_coverage=1.0, model_type="unigram", minloglevel=2, hard_vocab_limit=False,
        user_defined_symbols=["⟦", "⟧"])
    proc = spm.SentencePieceProcessor(model_file=str(root / "sentencepiece.model"))
    pieces = [proc.id_to_piece(i) for i in range(proc.get_piece_size())]
    # CTranslate2 vocabularies need <unk>, <s>, </s> (sentencepiece already has them at ids 0-2).
    vocab = ["<blank>"] + pieces if "<blank>" not in pieces else pieces
    if pad_vocab:
        vocab += [f"<unused{i}>" for i in range(vocab_size - len(vocab))]

    spec = transformer_spec.TransformerSpec.from_config(layers, heads)
    _fill(spec, d_model, ffn, len(vocab), np.random.default_rng(seed))
    spec.register_source_vocabulary(vocab)
    spec.register_target_vocabulary(vocab)
    spec.validate()
    spec.optimize(quantization=None)
    (root / "model").mkdir(exist_ok=True)
    spec.save(str(root / "model"))

    (root / "metadata.json").write_text(json.dumps({
        "package_version": version, "argos_version": "1.0", "from_code": src, "from_name": src,
        "to_code": tgt, "to_name": tgt, "type": "translate",
        "code": name,
    }), encoding="utf-8")
    (root / "README.md").write_text("Random-weight test package: its output is nonsense by design.\n")
    out = workdir / f"{name}.argosmodel"
    with zipfile.ZipFile(out, "w") as zf:
        for f in sorted(root.rglob("*")):
            zf.write(f, f.relative_to(root.parent))
    return out


def model_size_mb(package: Path) -> float:
    return round(package.stat().st_size / 1e6, 2)


if __name__ == "__main__":
    import sys
    import tempfile

    d = Path(tempfile.mkdtemp())
    print(build_package(d, *(sys.argv[1:3] or ("es", "en"))))
