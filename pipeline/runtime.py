"""Process-wide, lazily built workers (detector, repairer, translator), one per config.

Models and engine processes are expensive to start: build each once per process and reuse it for every
document the process handles (Luigi workers are long-lived processes).
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from pipeline.config import Config


@functools.lru_cache(maxsize=4)
def detector(cfg: Config) -> Any:
    from pipeline.langid.detector import LanguageDetector

    return LanguageDetector(cfg.langid)


@functools.lru_cache(maxsize=4)
def repairer(cfg: Config) -> Any:
    from pipeline.repair.repairer import Repairer

    return Repairer(cfg.repairs)


@functools.lru_cache(maxsize=4)
def translator(cfg: Config, output_root: str) -> Any:
    from pipeline.translate.translator import Translator

    from pipeline.storage import local_dir

    # the cache (SQLite) stays on this host: for an s3:// output root, in its local folder
    return Translator(cfg.translation, cache_dir=Path(local_dir(output_root)))


def engine_identity(cfg: Config, output_root: str) -> dict[str, dict[str, str]]:
    """{"es-en": {"engine", "version"}, "en-es": {...}} for the engines this config resolves to."""
    tr = translator(cfg, output_root)
    return {f"{s}-{t}": tr.engine_info(s, t) for s, t in (("es", "en"), ("en", "es"))}


@functools.lru_cache(maxsize=1)
def tagger_identity() -> str:
    """The optional part-of-speech tagger the repairs would use ('none' without it); what the repair
    stages' fingerprints depend on besides their settings. Once per process, like ``load_tagger``."""
    from pipeline.resources.tagger import tagger_identity as identity

    return identity()
