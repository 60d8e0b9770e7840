"""What a repair rule may consult besides its text: document-wide casing evidence and the lexicon."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from pipeline.resources.casing import CaseStats, load_case_stats
from pipeline.resources.lexicon import Lexicon
from pipeline.resources.tagger import LazyTagger, Tagger

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_SENTENCE_END = re.compile(r"\s*[.!?:“\"]")  # after a word: its sentence (or clause) ends there
_ACRO_DEF = re.compile(r"((?:[A-Z][\w'’-]*\s+(?:(?:of|the|and|for|de|del|on)\s+)*){1,8})\(([A-Z][A-Z0-9+&]{1,9})\)")


class DocumentContext:
    """Evidence from a whole document: how each word is cased mid-sentence, and names defined by acronyms.

    >>> ctx = DocumentContext.from_texts(["The Gas Exporting Countries Forum (GECF) met.", "oil prices rose"])
    >>> ctx.lower_count("oil"), ctx.is_name_word("Forum"), ctx.acronyms["GECF"], ctx.texts
    (1, True, 'Gas Exporting Countries Forum', 2)
    """

    def __init__(self) -> None:
        self.lower: Counter[str] = Counter()      # word -> times seen lower-case
        self.capital: Counter[str] = Counter()    # word (lower) -> times seen capitalised mid-sentence
        self.acronyms: dict[str, str] = {}        # GECF -> Gas Exporting Countries Forum
        self.name_words: set[str] = set()         # words inside acronym-defined names
        self.mixed: Counter[str] = Counter()      # mixed-case tokens ('FonPeek'): recurring ones are names
        self.texts = 0                            # segments added

    @classmethod
    def from_texts(cls, texts: Sequence[str]) -> "DocumentContext":
        ctx = cls()
        for text in texts:
            ctx.add(text)
        return ctx

    def add(self, text: str) -> None:
        self.texts += 1
        prev_end = True
        for m in _WORD.finditer(text):
            w = m.group()
            if w.islower():
                self.lower[w] += 1
            # _WORD's letters are ASCII: an upper-case letter after the first / a lower-case one anywhere
            # exactly when lower() / upper() changes the text
            elif w[1:] != w[1:].lower() and w != w.upper():
                self.mixed[w] += 1
            elif w[0].isupper() and w[1:].islower() and not prev_end:
                self.capital[w.lower()] += 1
            end = m.end()
            prev_end = _SENTENCE_END.match(text, end, end + 2) is not None
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
    stats: CaseStats = field(default_factory=load_case_stats)  # casing statistics of real English
    # True for an author's text (an English original repaired before translation): nothing in it was
    # produced by an engine, so engine marks such as a literal '⟦0⟧' are content, not artefacts.
    original: bool = False
    # optional part-of-speech tagger (pipeline.resources.tagger); None: the rules use word statistics alone
    tagger: Tagger | LazyTagger | None = None
