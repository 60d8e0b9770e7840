"""Sentence casing and review-only checks."""
from __future__ import annotations

import re


from pipeline.records import Edit
from pipeline.repair.context import RuleContext
from pipeline.repair.registry import Repaired, repair
from pipeline.repair.rules._common import _WORD_RE, _ctx, _done
from pipeline.resources.abbreviations import abbreviations
from pipeline.resources.lexicon import FUNCTION_WORDS

# --------------------------------------------------------------------------- sentence casing, checks

_ABBREV = abbreviations()  # the one shared list (pipeline/resources/data/abbreviations.txt)


def _abbreviation(word: str, ctx: RuleContext) -> bool:
    """A short capitalised token that real English does not use as a word ('Kft', 'Bt'): an abbreviation."""
    w = word.strip("(\"“")
    if 1 < len(w) <= 4 and w[0].isupper() and not any(ch in "aeiouyAEIOUY" for ch in w):
        return True  # no vowel: not a word ('Bt', 'Kft', 'Ltd')
    return 1 < len(w) <= 4 and w[0].isupper() and ctx.stats.available and not ctx.stats.known(w)


# After '?' a lower-case word is often the author's ('Am I mad? she asks'): only '.' ends a sentence here.
_SENT_START = re.compile(r"(?:^|(?<=[.!]) +)([a-z][a-z'’-]*)(?=[\s,;:]|$)")


@repair("capitalise_sentence_start", "Capitalise a common word starting the text or a sentence after . ! ?")
def capitalise_sentence_start(text: str, ctx: RuleContext | None = None) -> Repaired:
    """
    >>> capitalise_sentence_start("the talks ended. they will resume on 3 May, e.g. in Paris.").text
    'The talks ended. They will resume on 3 May, e.g. in Paris.'
    >>> capitalise_sentence_start("He sued Pigal Kft. in May. Neu! has a new album.").text
    'He sued Pigal Kft. in May. Neu! has a new album.'
    >>> capitalise_sentence_start("He even had Szi-Beri Bt. issue fictitious invoices.").text
    'He even had Szi-Beri Bt. issue fictitious invoices.'
    """
    lex = _ctx(ctx).lexicon
    words = text.split()
    if len(words) < 4 and not text.rstrip().endswith((".", "!", "?")):
        return Repaired(text)
    edits = []
    for m in _SENT_START.finditer(text):
        w = m.group(1)
        if not (lex.is_common(w) or w in FUNCTION_WORDS):
            continue  # 'de Gaulle', 'van Gogh', unknown lower-case names
        if m.start(1) > 0:
            before = text[:m.start(1)].rstrip()
            prev = before[:-1].split()[-1] if before[:-1].split() else ""
            if (before.endswith("..") or "." in prev or len(prev) == 1
                    or prev.lower().strip("(\"“") in _ABBREV):
                continue
            if before.endswith("!") or (before.endswith(".") and _abbreviation(prev, _ctx(ctx))):
                continue  # 'Neu! has', 'surprise! they'; 'Pigal Kft. in', 'Ravenna Bt. or'
            conf = 0.8
        else:
            conf = 0.9
        edits.append(Edit(m.start(1), m.start(1) + 1, w[0], w[0].upper(), "capitalise_sentence_start", conf))
    return _done(text, edits)


_PAIRS = (("(", ")"), ("[", "]"), ("“", "”"), ("«", "»"))


@repair("flag_unbalanced", "Flag unbalanced brackets and quotes for review (a quote may span sentences)")
def flag_unbalanced(text: str, ctx: RuleContext | None = None) -> Repaired:
    """
    >>> [e.confidence for e in flag_unbalanced("He said (in Moscow that talks ended.").edits]
    [0.0]
    """
    bad = [o for o, c in _PAIRS if text.count(o) != text.count(c)]
    if text.count('"') % 2:
        bad.append('"')
    if not bad:
        return Repaired(text)
    return Repaired(text, [Edit(0, len(text), text, text, "flag_unbalanced", 0.0)])


_SPANISH = frozenset("""el la los las del que y en con para por una un es se su al lo como más pero sus
le ya fue este ha porque esta entre cuando muy sin sobre también hasta hay donde quien desde todo nos
durante todos les ni contra otros ese eso ante ellos esto antes algunos qué unos otro otras otra él
tanto esa estos mucho quienes nada muchos cual poco ella estar estas algunas algo nosotros""".split())


@repair("flag_untranslated", "Flag output that is a copy of the source or still reads as Spanish")
def flag_untranslated(text: str, ctx: RuleContext | None = None) -> Repaired:
    """
    >>> [e.confidence for e in flag_untranslated("Nos reunimos con el canciller para seguir los acuerdos.").edits]
    [0.0]
    >>> flag_untranslated("The mayor of Los Angeles met Juan de la Cruz.").edits
    []
    """
    c = _ctx(ctx)
    words = [w.lower() for w in _WORD_RE.findall(text)]
    same = bool(c.source) and c.source.strip() == text.strip() and len(words) > 2
    hits = sum(w in _SPANISH for w in words)
    if same or (hits >= 3 and hits / max(len(words), 1) >= 0.2):
        return Repaired(text, [Edit(0, len(text), text, text, "flag_untranslated", 0.0)])
    return Repaired(text)
