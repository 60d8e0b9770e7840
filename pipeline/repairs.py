"""Repairs of machine-translation artefacts in English text: rule registry, engine and replay.

Each rule is a plain function ``(text, ctx=None) -> Repaired`` registered under a stable snake_case name
with a description; ``Repaired`` holds the new text and the edits (offsets into the text the rule was
given). ``Repairer.repair(text)`` runs the configured rules, drops edits touching protected spans, holds
back low-confidence or weakly-evidenced structural edits (``flagged``) and returns a ``RepairResult``
whose ``steps`` replay to its ``text``. The rules themselves live in ``pipeline.repair_rules``.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from pipeline.config import RepairConfig
from pipeline.lexicon import Lexicon, load_lexicon
from pipeline.protect import find_protected
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


def replay(before: str, steps: list[dict]) -> str:
    """Re-apply recorded steps ``[{rule, edits: [Edit|dict, ...]}, ...]`` to reproduce the repaired text."""
    text = before
    for step in steps:
        edits = [e if isinstance(e, Edit) else Edit.from_dict(e) for e in step["edits"]]
        text = apply_edits(text, edits)
    return text


_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_ACRO_DEF = re.compile(r"((?:[A-Z][\w'’-]*\s+(?:(?:of|the|and|for|de|del|on)\s+)*){1,8})\(([A-Z][A-Z0-9+&]{1,9})\)")


class DocumentContext:
    """Evidence from a whole document: how each word is cased mid-sentence, and names defined by acronyms.

    >>> ctx = DocumentContext.from_texts(["The Gas Exporting Countries Forum (GECF) met.", "oil prices rose"])
    >>> ctx.lower_count("oil"), ctx.is_name_word("Forum"), ctx.acronyms["GECF"]
    (1, True, 'Gas Exporting Countries Forum')
    """

    def __init__(self) -> None:
        self.lower: Counter[str] = Counter()      # word -> times seen lower-case
        self.capital: Counter[str] = Counter()    # word (lower) -> times seen capitalised mid-sentence
        self.acronyms: dict[str, str] = {}        # GECF -> Gas Exporting Countries Forum
        self.name_words: set[str] = set()         # words inside acronym-defined names

    @classmethod
    def from_texts(cls, texts: Sequence[str]) -> "DocumentContext":
        ctx = cls()
        for text in texts:
            ctx.add(text)
        return ctx

    def add(self, text: str) -> None:
        prev_end = True
        for m in _WORD.finditer(text):
            w = m.group()
            if w.islower():
                self.lower[w] += 1
            elif w[0].isupper() and w[1:].islower() and not prev_end:
                self.capital[w.lower()] += 1
            tail = text[m.end():m.end() + 2]
            prev_end = bool(re.match(r"\s*[.!?:“\"]", tail))
        for m in _ACRO_DEF.finditer(text):
            words = m.group(1).split()
            acro = m.group(2).rstrip("+")
            # the tail of the capitalised run whose initials spell the acronym is the name
            for k in range(len(words)):
                tail = words[k:]
                if not tail[0][0].isupper():
                    continue
                if "".join(w[0] for w in tail if w[0].isupper()) == acro:
                    self.acronyms[m.group(2)] = " ".join(tail)
                    self.name_words.update(w.lower() for w in tail if w[0].isupper())
                    break

    def lower_count(self, word: str) -> int:
        return self.lower[word.lower()]

    def is_name_word(self, word: str) -> bool:
        return word.lower() in self.name_words


@dataclass
class RuleContext:
    """What a rule may consult besides the text."""

    lexicon: Lexicon
    doc: DocumentContext | None = None
    source: str | None = None  # the text the engine translated, when known


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

    def __init__(self, config: RepairConfig | None = None, lexicon: Lexicon | None = None):
        self.config = config or RepairConfig()
        names = self.config.rules or tuple(REGISTRY)
        unknown = [n for n in names if n not in REGISTRY]
        if unknown:
            raise ValueError(f"unknown repair rule(s): {', '.join(unknown)}")
        self.rules = [REGISTRY[n] for n in names]
        self.lexicon = lexicon if lexicon is not None else load_lexicon(self.config.dictionary)

    def repair(self, text: str, context: DocumentContext | None = None,
               source: str | None = None) -> RepairResult:
        ctx = RuleContext(self.lexicon, context, source)
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


def _protected_ranges(text: str) -> list[tuple[int, int]]:
    if not any(c.isdigit() or c in "@#/:" or ord(c) > 0x2000 for c in text):
        return []
    # Digits inside a leftover placeholder mark (⟦0⟧) are part of the mark, not protected content.
    return [(s.start, s.end) for s in find_protected(text)
            if not (text[s.start - 1:s.start] == "⟦" and text[s.end:s.end + 1] == "⟧")]


def looks_like_heading(text: str) -> bool:
    """A short line without final punctuation, not a sentence ('Large oil reserves').

    >>> looks_like_heading("Large oil reserves"), looks_like_heading("Oil prices rose sharply on Monday.")
    (True, False)
    """
    t = text.strip()
    return bool(t) and len(t.split()) <= 14 and t[-1] not in ".!?:;,”\"’)" and t[0].isupper()




FLAGGED = "FLAGGED"


def matches_expected(result: RepairResult, expected: str) -> bool:
    """Scoring used by tests and the benchmark: ``expected`` is the repaired text, or ``"FLAGGED"`` when
    the right outcome is a review flag (the text itself then must not have been rewritten)."""
    if expected == FLAGGED:
        return bool(result.flagged) and result.text == result.before
    return result.text == expected


from pipeline import repair_rules  # noqa: E402,F401  (registers the rules, in their default order)
