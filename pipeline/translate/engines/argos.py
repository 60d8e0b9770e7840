"""argostranslate engine: the package's CTranslate2 model loaded once per process, batched translation.

Tokenises with the package's own SentencePiece/BPE tokenizer and adds its target prefix, as upstream
``apply_packaged_translation`` does, but translates many segments per call (sorted by length) and never
runs a sentence splitter (segments are already sentences).
"""
from __future__ import annotations

import threading
from pathlib import Path

from pipeline.translate import models as argos_models
from pipeline.translate.engines.base import EngineError, EngineUnavailable

_LOCK = threading.Lock()
_LOADED: dict[tuple, tuple] = {}  # (package path, device, compute type, threads) -> (Package, Translator)


def resolve_device(device: str) -> str:
    """'auto' becomes 'cuda' only where CTranslate2 sees a CUDA device; CPU never needs CUDA libraries."""
    if device != "auto":
        return device
    try:
        import ctranslate2

        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    except Exception:
        return "cpu"


class ArgosEngine:
    name = "argos"

    def __init__(self, config=None):
        from pipeline.config import ArgosConfig

        self.config = config or ArgosConfig()

    @classmethod
    def from_config(cls, config) -> "ArgosEngine":
        return cls(config.argos)

    def package(self, src: str, tgt: str) -> argos_models.InstalledPackage | None:
        return argos_models.find_package(src, tgt, self.config.packages_dir)

    def available(self, src: str, tgt: str) -> bool:
        try:
            return self.package(src, tgt) is not None
        except ImportError:
            return False

    def version(self, src: str, tgt: str) -> str:
        pkg = self.package(src, tgt)
        if pkg is None:
            raise EngineUnavailable.for_direction(src, tgt, "no argos package installed")
        return pkg.label

    def _load(self, src: str, tgt: str):
        info = self.package(src, tgt)
        if info is None:
            raise EngineUnavailable.for_direction(src, tgt, "no argos package installed")
        device = resolve_device(self.config.device)
        key = (str(info.path), info.version, device, self.config.compute_type,
               self.config.inter_threads, self.config.intra_threads)
        with _LOCK:
            if key not in _LOADED:
                import ctranslate2
                from argostranslate.package import Package

                pkg = Package(Path(info.path))
                try:
                    translator = ctranslate2.Translator(
                        str(info.path / "model"), device=device, compute_type=self.config.compute_type,
                        inter_threads=self.config.inter_threads, intra_threads=self.config.intra_threads)
                except (RuntimeError, ValueError) as exc:
                    raise EngineError(f"cannot load {info.path / 'model'} on {device}: {exc}") from exc
                _LOADED[key] = (pkg, translator)
            return _LOADED[key]

    def count_tokens(self, text: str, src: str, tgt: str) -> int:
        pkg, _ = self._load(src, tgt)
        return len(pkg.tokenizer.encode(text))

    def fits(self, text: str, src: str, tgt: str) -> bool:
        return self.count_tokens(text, src, tgt) <= self.config.max_input_tokens

    def decoding_bound(self, n_tokens: int) -> int:
        """Most target tokens decoded for an input of ``n_tokens`` (a real model stops at EOS sooner).

        >>> ArgosEngine().decoding_bound(20)
        50
        """
        return max(1, int(self.config.max_decoding_ratio * n_tokens) + self.config.max_decoding_extra)

    def translate_batch(self, texts: list[str], src: str, tgt: str) -> list[str]:
        if not texts:
            return []
        pkg, translator = self._load(src, tgt)
        tokenized = [pkg.tokenizer.encode(" ".join(t.split())) for t in texts]
        # Sorted by length, cut into batches of similar lengths: little padding, and each batch decodes
        # only as long as its longest input needs. Results go back in input order.
        order = sorted(range(len(texts)), key=lambda i: len(tokenized[i]))
        size = max(1, self.config.max_batch_size)
        out: list[str] = [""] * len(texts)
        for start in range(0, len(order), size):
            idx = order[start:start + size]
            batch = [tokenized[i] for i in idx]
            prefix = [[pkg.target_prefix] for _ in batch] if pkg.target_prefix else None
            try:
                results = translator.translate_batch(
                    batch, target_prefix=prefix, replace_unknowns=True, max_batch_size=size,
                    beam_size=max(1, self.config.beam_size), num_hypotheses=1, length_penalty=0.2,
                    max_decoding_length=self.decoding_bound(max(len(b) for b in batch)))
            except (RuntimeError, ValueError) as exc:
                raise EngineError(f"ctranslate2 failed: {exc}") from exc
            for i, res in zip(idx, results):
                # Cut to this segment's own bound, so its output never depends on its batch mates
                # (it only matters when a model fails to stop at EOS, like a random-weight one).
                hyp = res.hypotheses[0][:self.decoding_bound(len(tokenized[i])) + (1 if prefix else 0)]
                value = pkg.tokenizer.decode(hyp)
                if pkg.target_prefix and value.startswith(pkg.target_prefix):
                    value = value[len(pkg.target_prefix):]
                out[i] = value.strip()
        return out
