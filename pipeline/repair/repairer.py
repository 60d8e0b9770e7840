"""The repair stage's driver: runs the configured rules over a text until it is stable.

``Repairer.repair(text)`` runs the configured rules, drops edits touching protected spans, holds back
low-confidence or weakly-evidenced structural edits (``flagged``) and returns a ``RepairResult`` whose
``steps`` replay to its ``text``. The rules live in ``pipeline.repair.rules``, the registry in
``pipeline.repair.registry``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pipeline.repair.rules  # noqa: F401  (registers the rules, in their default order)
from pipeline.config import RepairConfig
from pipeline.protect import find_protected
from pipeline.records import Edit, apply_edits
from pipeline.repair.context import DocumentContext, RuleContext
from pipeline.repair.registry import REGISTRY, Rule
from pipeline.resources.casing import CaseStats, load_case_stats
from pipeline.resources.lexicon import DEFAULT_DIC, Lexicon, load_lexicon
from pipeline.resources.tagger import LazyTagger, Tagger

__all__ = ["DocumentContext", "RuleContext", "RepairResult", "Repairer"]


@dataclass
class RepairResult:
    before: str
    text: str                    # after applied repairs
    steps: list[dict]            # [{"rule": name, "edits": [Edit.to_dict(), ...]}] applied, in order
    flagged: list[dict]          # [{"rule", "edit": Edit.to_dict(), "reason"}] held back for review

    def to_dict(self) -> dict[str, Any]:
        return {"before": self.before, "text": self.text, "steps": self.steps, "flagged": self.flagged}

    @property
    def rules_fired(self) -> list[str]:
        return [s["rule"] for s in self.steps]


class Repairer:
    """Runs the configured rules in order until the text is stable (so repairing twice changes nothing)."""

    MAX_PASSES = 3

    def __init__(self, config: RepairConfig | None = None, lexicon: Lexicon | None = None,
                 stats: CaseStats | None = None, tagger: Tagger | None | bool = True):
        self.config = config or RepairConfig()
        names = self.config.rules or tuple(REGISTRY)
        unknown = [n for n in names if n not in REGISTRY]
        if unknown:
            raise ValueError(f"unknown repair rule(s): {', '.join(unknown)}")
        self.rules = [REGISTRY[n] for n in names]
        self.lexicon = lexicon if lexicon is not None else load_lexicon(self.config.dictionary or DEFAULT_DIC)
        self.stats = stats if stats is not None else load_case_stats()
        # True: spaCy's tagger when installed (extra 'tagger'), loaded on the first line that needs it
        self._tagger = tagger

    def repair(self, text: str, context: DocumentContext | None = None,
               source: str | None = None, original: bool = False) -> RepairResult:
        ctx = RuleContext(self.lexicon, context, source, self.stats, original, self.tagger)
        steps: list[dict] = []
        flagged: list[dict] = []
        seen_flags: set[tuple] = set()
        current = text
        for _ in range(self.MAX_PASSES):
            changed = False
            protected = _protected_ranges(current)
            for rule in self.rules:
                out = rule.func(current, ctx)
                if not out.edits:
                    continue
                keep: list[Edit] = []
                for e in out.edits:
                    if e.confidence <= 0.0:  # review-only findings change nothing, so they may cover anything
                        self._flag(flagged, seen_flags, rule, e, self._hold_reason(rule, e))
                        continue
                    if any(e.start < b and a < e.end or (e.start == e.end and a < e.start < b)
                           for a, b in protected):
                        continue  # protected spans are never edited
                    reason = self._hold_reason(rule, e)
                    if reason:
                        self._flag(flagged, seen_flags, rule, e, reason)
                        continue
                    keep.append(e)
                if not keep:
                    continue
                current = apply_edits(current, keep)
                steps.append({"rule": rule.name, "edits": [e.to_dict() for e in keep]})
                protected = _protected_ranges(current)
                changed = True
            if not changed:
                break
        return RepairResult(text, current, steps, flagged)

    @property
    def tagger(self) -> Tagger | LazyTagger | None:
        if self._tagger is True:
            self._tagger = LazyTagger()
        return self._tagger or None

    @staticmethod
    def _flag(flagged: list[dict], seen: set[tuple], rule: Rule, e: Edit, reason: str) -> None:
        key = (rule.name, e.old, e.new, reason)
        if key not in seen:  # the fixpoint passes would otherwise report the same finding again
            seen.add(key)
            flagged.append({"rule": rule.name, "edit": e.to_dict(), "reason": reason})

    def _hold_reason(self, rule: Rule, e: Edit) -> str:
        if e.confidence <= 0.0:
            return f"review only: {REGISTRY[rule.name].description}"
        if e.confidence < self.config.review_below:
            return f"confidence {e.confidence:.2f} below review_below {self.config.review_below:.2f}"
        if rule.structural and self.config.structural_review and e.confidence < self.config.structural_strong:
            return (f"structural rewrite with confidence {e.confidence:.2f} "
                    f"below structural_strong {self.config.structural_strong:.2f}")
        return ""


# A character that may start a protected span: a digit, one of "@#/:" or a code point above U+2000. Only
# ASCII digits are plain digits among the ASCII characters, so for ASCII text this pattern decides alone.
_MAYBE_PROTECTED = re.compile(r"[0-9@#/:]")


def _maybe_protected(text: str) -> bool:
    """``any(c.isdigit() or c in "@#/:" or ord(c) > 0x2000 for c in text)``, without a Python step per
    character for ASCII text."""
    if _MAYBE_PROTECTED.search(text):
        return True
    return not text.isascii() and any(c.isdigit() or ord(c) > 0x2000 for c in text)


def _protected_ranges(text: str) -> list[tuple[int, int]]:
    if not _maybe_protected(text):
        return []
    # Digits inside a leftover placeholder mark (⟦0⟧) are part of the mark, not protected content.
    return [(s.start, s.end) for s in find_protected(text)
            if not (text[s.start - 1:s.start] == "⟦" and text[s.end:s.end + 1] == "⟧")]
