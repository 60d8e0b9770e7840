"""Engine contract: translate a batch of segments in one direction, report name and model version.

Engines see plain sentences (no newlines); masking, splitting, caching and names live in
``pipeline.translate.translator``.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

LANG3 = {"es": "spa", "en": "eng"}

HOW_TO_GET_AN_ENGINE = (
    "no offline translation engine for {src}->{tgt}. Either install Apertium "
    "(`sudo apt-get install apertium-eng-spa`), or install an argostranslate package "
    "(`pipeline models install PATH.argosmodel`, or `pipeline models install --from-index {src} {tgt}` "
    "where the machine has network)."
)


@runtime_checkable
class Engine(Protocol):
    name: str

    def version(self, src: str, tgt: str) -> str: ...

    def translate_batch(self, texts: list[str], src: str, tgt: str) -> list[str]: ...


class EngineUnavailable(RuntimeError):
    """No engine can translate this direction; the message says the two ways to get one."""

    @classmethod
    def for_direction(cls, src: str, tgt: str, detail: str = "") -> "EngineUnavailable":
        msg = HOW_TO_GET_AN_ENGINE.format(src=src, tgt=tgt)
        return cls(f"{msg} ({detail})" if detail else msg)


class EngineError(RuntimeError):
    """The engine failed on a batch (crash, malformed output, misaligned lines)."""

    reason = "engine_error"


class EngineTimeout(EngineError):
    """The engine process ran past the configured timeout and was killed."""

    reason = "timeout"
