"""English word evidence for repairs: which words are common (lower-case) and which are proper nouns.

Reads a hunspell ``.dic`` (stems only; suffixes are stripped heuristically at lookup) and ships the small
closed classes of English (determiners, pronouns, prepositions, conjunctions) that no dictionary marks.
"""
from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_DIC = "/usr/share/hunspell/en_US.dic"

# Closed-class words: mid-sentence these are never capitalised in running English (outside titles).
FUNCTION_WORDS = frozenset("""
a an the and or but nor so yet of in on at to for from by with without within into onto upon about
above below over under after before during since until while when whereas although though because if
than as per via among amid between through throughout against toward towards across along around
beyond despite except including like near off out up down this that these those its his her their
our your my it he she they we you him them us which who whom whose what where why how very also
just only even still already not no too more most less least much many some any each every both
either neither such other another all several few is are was were be been being has have had do
does did will would shall should can could may might must
""".split())

# Words that start a new clause when they follow a lost link boundary ("CaracasAfter the meeting").
CLAUSE_STARTERS = frozenset("""
after before during since while when although though because however meanwhile according following
through across via into over against toward towards between among within to of by near including
despite amid under with without in on at for from as also but and yet so it he she they we this these
those there the its his her their our i a an some many most several one two three last earlier later
moreover furthermore nevertheless today yesterday tomorrow
""".split())

# Words (titles, institutions) that are capitalised by convention in clean English news.
TITLE_WORDS = frozenset("""
president vice prime minister deputy secretary general chancellor king queen prince princess pope
sheikh emir sultan senator governor mayor ambassador minister foreign chief justice judge speaker
chairman chairwoman director commander colonel major captain lieutenant sergeant admiral marshal
professor doctor dr mr mrs ms sir lord lady saint st bishop archbishop cardinal rabbi imam reverend
representative rep sen gov gen col capt lt adm sgt prof
""".split())

# Head nouns that end multi-word names of organisations, places and events.
NAME_HEADS = frozenset("""
forum forces force organization organisation ministry bank party union agency committee republic
court university college school company corporation association fund front army navy assembly
congress senate parliament department office commission institute group alliance movement council
authority service conference summit games cup league nations states kingdom airlines airways times
news post street square palace house park river sea ocean gulf mountains island islands bay lake
church hospital station airport museum award prize festival treaty accord act bill plan program
programme project initiative foundation trust exchange market guard police coalition federation
council centre center board bureau network channel radio television club team fc
""".split())


class Lexicon:
    """Lower-case (common) stems and capitalised (proper) entries of a hunspell dictionary."""

    def __init__(self, common: set[str], proper: set[str], source: str = ""):
        self.common = common
        self.proper = proper
        self.source = source

    @property
    def available(self) -> bool:
        return bool(self.common)

    @classmethod
    def from_dic(cls, path: str | os.PathLike[str]) -> "Lexicon":
        common: set[str] = set()
        proper: set[str] = set()
        with open(path, encoding="utf-8", errors="replace") as fh:
            next(fh, None)  # first line is the entry count
            for line in fh:
                word = line.split("/", 1)[0].strip()
                if not word:
                    continue
                if word[0].islower():
                    common.add(word)
                else:
                    proper.add(word)
        return cls(common, proper, str(path))

    def is_exact(self, word: str) -> bool:
        """The word is an entry exactly as written (keeps 'YouTube', 'McDonald', 'iPhone')."""
        return word in self.proper or word in self.common

    def is_common(self, word: str) -> bool:
        """``word`` (any case) is an ordinary lower-case English word, possibly inflected.

        >>> lex = Lexicon({"provide", "oil", "energy", "very", "run"}, {"Caracas"})
        >>> [lex.is_common(w) for w in ("Providing", "Oil", "Caracas", "running", "energies")]
        [True, True, False, True, True]
        """
        w = word.lower()
        if w in FUNCTION_WORDS or w in self.common:
            return True
        return any(stem in self.common for stem in _stems(w))

    def has_proper(self, word: str) -> bool:
        """``word`` has a capitalised dictionary entry ('Mark', 'May', 'Apple', 'Americans')."""
        if word in self.proper:
            return True
        for suffix in ("'s", "’s", "s", "es"):
            # stems of 3+ letters only: 'Gas' is not the plural of the symbol 'Ga'
            if word.endswith(suffix) and len(word) - len(suffix) >= 3 and word[: -len(suffix)] in self.proper:
                return True
        return False


def _stems(w: str) -> list[str]:
    out: list[str] = []
    for suf, rep in (("ies", "y"), ("es", ""), ("s", ""), ("ied", "y"), ("ed", ""), ("ed", "e"),
                     ("d", ""), ("ing", ""), ("ing", "e"), ("ly", ""), ("ily", "y"), ("er", ""),
                     ("ers", ""), ("est", ""), ("'s", ""), ("’s", "")):
        if w.endswith(suf) and len(w) - len(suf) >= 2:
            base = w[: -len(suf)] + rep
            out.append(base)
            # doubled final consonant: running -> run, stopped -> stop
            if suf in ("ing", "ed", "er") and len(base) > 3 and base[-1] == base[-2]:
                out.append(base[:-1])
    return out


@lru_cache(maxsize=4)
def load_lexicon(path: str = DEFAULT_DIC) -> Lexicon:
    """The lexicon at ``path``; an empty one (and a warning) when the dictionary is missing."""
    p = Path(path)
    if not p.is_file():
        log.warning("hunspell dictionary %s not found: case repairs limited to closed-class words "
                    "(install hunspell-en-us)", path)
        return Lexicon(set(), set(), "")
    return Lexicon.from_dic(p)
