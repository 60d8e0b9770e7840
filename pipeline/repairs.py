"""Repairs of machine-translation artefacts in English text (skeleton: registry and contract only).

Each rule is a plain function ``str -> Repaired`` registered under a stable snake_case name with a
description; ``Repaired`` holds the new text and the edits (offsets into the text the rule was given).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from pipeline.records import Edit, apply_edits


@dataclass(frozen=True)
class Repaired:
    text: str
    edits: list[Edit] = field(default_factory=list)


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    func: Callable[..., Repaired]


REGISTRY: dict[str, Rule] = {}


def repair(name: str, description: str):
    """Register a repair rule under a stable name."""
    def deco(func):
        if name in REGISTRY:
            raise ValueError(f"repair rule {name!r} registered twice")
        REGISTRY[name] = Rule(name, description, func)
        return func
    return deco


def replay(before: str, steps: list[dict]) -> str:
    """Re-apply recorded steps ``[{rule, edits: [Edit|dict, ...]}, ...]`` to reproduce the repaired text."""
    text = before
    for step in steps:
        edits = [e if isinstance(e, Edit) else Edit.from_dict(e) for e in step["edits"]]
        text = apply_edits(text, edits)
    return text
