"""The repair rule registry (a leaf module): ``@repair`` registers a rule under a stable snake_case name.

Each rule is a plain function ``(text, ctx=None) -> Repaired``; ``Repaired`` holds the new text and the
edits (offsets into the text the rule was given). ``replay`` re-applies recorded steps. Nothing here knows
about configuration; rules register themselves when ``pipeline.repair.rules`` is imported.
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
    structural: bool = False  # rewrites word order (classes 3/4): reviewed unless evidence is strong


REGISTRY: dict[str, Rule] = {}


def repair(name: str, description: str, structural: bool = False):
    """Register a repair rule under a stable name."""
    def deco(func):
        if name in REGISTRY:
            raise ValueError(f"repair rule {name!r} registered twice")
        REGISTRY[name] = Rule(name, description, func, structural)
        return func
    return deco


def replay(before: str, steps: list) -> str:
    """Re-apply recorded steps (``RepairStep`` records or their dicts) to reproduce the repaired text."""
    text = before
    for step in steps:
        raw = step["edits"] if isinstance(step, dict) else step.edits
        edits = [e if isinstance(e, Edit) else Edit.from_dict(e) for e in raw]
        text = apply_edits(text, edits)
    return text
