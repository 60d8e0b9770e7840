"""The repair rules, one module per artefact family; importing this package registers them.

Registration order is the default order: engine-output classes first (encoding, tokenizer marks, spacing,
repeats), then link-anchor artefacts of Arabic->English MT (glued words, doubled subjects, verb-first
order, stray Title Case), then sentence casing and review-only checks.
"""
from pipeline.repair.registry import REGISTRY
from pipeline.repair.rules import engine_output, link_anchors, casing  # noqa: F401  (order matters)


def rule_names() -> tuple[str, ...]:
    """Every registered rule, in the default order."""
    return tuple(REGISTRY)
