"""Offline translation engines behind one interface; ``get_engine`` picks one for a direction.

``auto``: argos where a package for the direction is installed, else apertium, else ``EngineUnavailable``
naming the two ways to get an engine.
"""
from __future__ import annotations

from pipeline.translate.engines.apertium import ApertiumEngine
from pipeline.translate.engines.argos import ArgosEngine
from pipeline.translate.engines.base import Engine, EngineError, EngineTimeout, EngineUnavailable

__all__ = ["Engine", "EngineError", "EngineTimeout", "EngineUnavailable", "ApertiumEngine", "ArgosEngine",
           "get_engine", "start_engine"]


def get_engine(config, src: str, tgt: str) -> Engine:
    """An engine for ``src``->``tgt`` honouring ``config.engine`` (auto | argos | apertium)."""
    choice = config.engine
    if choice in ("auto", "argos"):
        argos = ArgosEngine.from_config(config)
        if argos.available(src, tgt):
            return argos
        if choice == "argos":
            raise EngineUnavailable.for_direction(
                src, tgt, f"engine 'argos' chosen but no {src}->{tgt} package in "
                          f"{config.argos.packages_dir or 'the default packages dir'}")
    if choice in ("auto", "apertium"):
        apertium = ApertiumEngine.from_config(config)
        if apertium.available(src, tgt):
            return apertium
        raise EngineUnavailable.for_direction(src, tgt, f"apertium command {config.apertium.command!r} "
                                                        "or its mode for this direction is missing")
    raise EngineUnavailable.for_direction(src, tgt, f"unknown engine {choice!r}")


def start_engine(engine, src: str, tgt: str) -> None:
    """Start a persistent engine for ``src``->``tgt`` ahead of its first batch, where it has something to
    start (apertium's pipeline of processes, which then loads its dictionaries); a no-op for the others. A
    failure is left for the first batch, which tries again and reports it."""
    if callable(getattr(engine, "start", None)):
        try:
            engine.start(src, tgt)
        except EngineError:
            pass
