"""Helpers shared by the rule families. The repair rules: each a small named function ``(text, ctx=None) -> Repaired`` with doctest examples.

Registration order is the default order. Engine-output classes come first (encoding, tokenizer marks,
spacing, repeats), then link-anchor artefacts of Arabic->English MT (glued words, doubled subjects,
verb-first order, stray Title Case), then sentence casing and review-only checks. Confidence 0.0 marks
a review-only finding: it is always flagged, never applied.
"""
from __future__ import annotations

import re


from pipeline.resources.lexicon import (Lexicon,
                              load_lexicon)
from pipeline.records import Edit, apply_edits
from pipeline.repair.context import RuleContext
from pipeline.repair.registry import Repaired

_L = r"[^\W\d_]"  # a letter (any script)
_WORD_RE = re.compile(rf"{_L}[\w'’-]*")


def _ctx(ctx: RuleContext | None) -> RuleContext:
    if ctx is None:
        return RuleContext(load_lexicon())
    return ctx


def _done(text: str, edits: list[Edit]) -> Repaired:
    return Repaired(apply_edits(text, edits), edits) if edits else Repaired(text, [])


def _is_title(w: str) -> bool:
    return len(w) > 1 and w[0].isupper() and w[1:].replace("-", "").replace("'", "").replace("’", "").islower()


def _is_proper(w: str, lex: Lexicon) -> bool:
    """A capitalised word with evidence of being a name: a capitalised dictionary entry, or unknown."""
    if lex.has_proper(w):
        return True
    return not lex.is_common(w) if lex.available else True


