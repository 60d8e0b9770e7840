"""Engine-output artefacts: encoding, tokenizer marks, spacing, repeats."""
from __future__ import annotations

import difflib
import re

import ftfy

from pipeline.records import Edit
from pipeline.repair.context import RuleContext
from pipeline.repair.registry import Repaired, repair
from pipeline.repair.rules._common import _L, _ctx, _done
from pipeline.resources.lexicon import FUNCTION_WORDS

# --------------------------------------------------------------------------- engine-output classes

# What ftfy leaves: a closing quote whose last byte was lost (UTF-8 E2 80 9D read as cp1252 has no 9D):
# "â€" at a word end, or "†" where ftfy read "â€" plus the following space as a dagger.
_LOST_QUOTE = re.compile(r"(?<=\S)(?:â€(?=[\s,.;:!?)]|$)|†)")
# UTF-8 read as cp1250/Latin-2 ("CorporaciĂłn", "JosĂ©"): a lead byte C2-DF shown as a cp1250 letter,
# followed by a continuation byte 80-BF shown as a cp1250 character.
_CP1250_LEAD = "ÂĂÄĹĆÇČÉĘËĚÍÎĎĐŃŇÓÔŐÖ×ŘŮÚŰÜÝŢß"
_CP1250_PAIR = re.compile(f"[{_CP1250_LEAD}][^\x00-\x7f]")


def _cp1250_fix(word: str) -> str | None:
    try:
        fixed = word.encode("cp1250").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None
    return fixed if fixed != word and all(ord(ch) < 0x250 for ch in fixed) else None


@repair("fix_mojibake", "Decode UTF-8 read as Latin-1/cp1252 ('Ã©' -> 'é') with ftfy.fix_encoding, as "
        "cp1250 ('Ăł' -> 'ó'), and a closing quote that lost its last byte ('â€' -> '”')")
def fix_mojibake(text: str, ctx: RuleContext | None = None) -> Repaired:
    """
    >>> fix_mojibake("the minister FarÃ­a said").text
    'the minister Faría said'
    >>> fix_mojibake("a â€œhistoricâ€ deal by the CorporaciĂłn Andina").text
    'a “historic” deal by the Corporación Andina'
    >>> fix_mojibake("Škoda and Łódź are spelt right").text
    'Škoda and Łódź are spelt right'
    """
    if text.isascii():
        return Repaired(text)
    fixed = ftfy.fix_encoding(text)
    if _CP1250_PAIR.search(fixed):
        fixed = re.sub(r"\S+", lambda m: (_cp1250_fix(m.group()) if _CP1250_PAIR.search(m.group()) else None)
                       or m.group(), fixed)
    # ftfy took the space after "â€" into the dagger ("historic†deal"): give it back
    fixed = _LOST_QUOTE.sub(lambda m: "”" if m.end() == len(fixed) or fixed[m.end()] in " \t,.;:!?)" else "” ",
                            fixed)
    if fixed == text:
        return Repaired(text)
    edits = [Edit(i1, i2, text[i1:i2], fixed[j1:j2], "fix_mojibake", 0.95)
             for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, text, fixed, autojunk=False).get_opcodes()
             if op != "equal"]
    return _done(text, edits)


_MARKS = re.compile(r" ?⟦\d+⟧| ?</?(?:unk|s|pad)>|(?<=\w)@@ (?=\w)|▁+")


@repair("strip_tokenizer_marks", "Remove leftover placeholders (⟦0⟧), <unk>/<s> tokens, BPE '@@ ' and '▁' marks")
def strip_tokenizer_marks(text: str, ctx: RuleContext | None = None) -> Repaired:
    """
    >>> strip_tokenizer_marks("▁The▁talks ended ⟦3⟧ with nego@@ tiations <unk>.").text
    'The talks ended with negotiations.'

    In an author's own text (``ctx.original``) a placeholder-like '⟦0⟧' is content and stays:

    >>> from pipeline.repair.context import RuleContext
    >>> from pipeline.resources.lexicon import Lexicon
    >>> strip_tokenizer_marks("Type ⟦0⟧ here.", RuleContext(Lexicon(set(), set()), original=True)).text
    'Type ⟦0⟧ here.'
    """
    original = ctx is not None and ctx.original
    edits = []
    for m in _MARKS.finditer(text):
        g = m.group()
        if original and "⟦" in g:
            continue
        new = ""
        if g.startswith("▁") and 0 < m.start() and m.end() < len(text) and not text[m.start() - 1].isspace():
            new = " "
        conf = 0.9 if g.startswith(("▁", "@")) else 0.7
        edits.append(Edit(m.start(), m.end(), g, new, "strip_tokenizer_marks", conf))
    return _done(text, edits)


# Apertium marks unknown words with '*' ('#' and '@' too, but those are hashtags/handles in news text and
# stay protected, so only '*' is stripped).
_UNKNOWN = re.compile(rf"(?<![\w*])\*(?={_L})(?=[\w'’-]*(?![\w'’-])(?!\*))")


@repair("strip_unknown_markers", "Drop Apertium's '*' unknown-word marker ('*arepas' -> 'arepas')")
def strip_unknown_markers(text: str, ctx: RuleContext | None = None) -> Repaired:
    """
    >>> strip_unknown_markers("The *guaricha ate *arepas, not *bold* text.").text
    'The guaricha ate arepas, not *bold* text.'
    """
    return _done(text, [Edit(m.start(), m.end(), "*", "", "strip_unknown_markers", 0.9)
                        for m in _UNKNOWN.finditer(text)])


@repair("pair_guillemets", "Turn a balanced «…» pair the engine passed through from its source into English "
        "“…” quotes (only for a translation whose source is known: English originals keep their «»)")
def pair_guillemets(text: str, ctx: RuleContext | None = None) -> Repaired:
    """
    >>> from pipeline.resources.lexicon import load_lexicon
    >>> ctx = RuleContext(load_lexicon(), source="«Nos reunimos con el canciller», dijo Faría.")
    >>> pair_guillemets("«We meet the chancellor», said Faría.", ctx).text
    '“We meet the chancellor”, said Faría.'
    >>> pair_guillemets("«We meet the chancellor», said Faría.").text
    '«We meet the chancellor», said Faría.'
    """
    # English news quoting with «» is a house style, not an artefact: convert only engine output
    if "«" not in text or text.count("«") != text.count("»") or ctx is None or not ctx.source \
            or "«" not in ctx.source:
        return Repaired(text)
    edits = [Edit(i, i + 1, c, "“" if c == "«" else "”", "pair_guillemets", 0.9)
             for i, c in enumerate(text) if c in "«»"]
    return _done(text, edits)


_SPACING = re.compile(
    r"(?<=[\w”’\"\)\]%]) +(?=[,;:](?!\d)|[.!?](?:[\s”’\"\)]|$))"   # space before punctuation
    r"|(?<=[(\[]) +(?=\S)"                                  # space after an opening bracket
    rf"|(?<=\S) +(?=[)\]](?:[\s,.;:!?]|$))"                 # space before a closing bracket
    rf"|(?<=\S)  +(?=\S)"                                   # runs of spaces
    r"|^\s+|\s+$"                                           # leading/trailing blanks
    r"|(?<=[A-Z]\.)\.(?![.\w])"                                # 'U.S..': abbreviation point doubled
    rf"|(?:(?<={_L}{_L})|(?<=[)\]” ])),(?={_L})"              # comma glued to the next word
    r"|(?<=“) +|(?<=\S) +(?=”)"                              # spaces inside curly quotes
)


@repair("fix_spacing", "Remove spaces before punctuation and inside brackets, collapse space runs")
def fix_spacing(text: str, ctx: RuleContext | None = None) -> Repaired:
    """
    >>> fix_spacing("The deal , signed in Moscow ( Russia ) ,was  good .").text
    'The deal, signed in Moscow (Russia), was good.'
    >>> fix_spacing("It was rejected by the U.S.. Talks ended.").text
    'It was rejected by the U.S. Talks ended.'
    >>> fix_spacing("He paused ... then spoke.").text
    'He paused ... then spoke.'
    >>> fix_spacing('“ We will not accept these measures ”, he said; the " toxic " shares,a director said.').text
    '“We will not accept these measures”, he said; the "toxic" shares, a director said.'
    """
    edits = []
    if text.count('"') % 2 == 0 and '"' in text:
        # straight quotes pair up in order; spaces on both inner sides of a pair are an artefact
        quotes = [i for i, ch in enumerate(text) if ch == '"']
        for a, b in zip(quotes[::2], quotes[1::2]):
            inner = text[a + 1:b]
            if len(inner) > 2 and inner[0] == " " and inner[-1] == " " and inner.strip():
                lead = len(inner) - len(inner.lstrip(" "))
                trail = len(inner) - len(inner.rstrip(" "))
                edits.append(Edit(a + 1, a + 1 + lead, " " * lead, "", "fix_spacing", 0.85))
                edits.append(Edit(b - trail, b, " " * trail, "", "fix_spacing", 0.85))
    taken = [(e.start, e.end) for e in edits]
    for m in _SPACING.finditer(text):
        if any(m.start() < y and x < m.end() for x, y in taken):
            continue
        g = m.group()
        if g == ",":
            edits.append(Edit(m.start(), m.end(), g, ", ", "fix_spacing", 0.8))
        elif g.strip() == "" and m.start() > 0 and m.end() < len(text) and "  " in g and not g.strip(" "):
            edits.append(Edit(m.start(), m.end(), g, " ", "fix_spacing", 0.95))
        else:
            edits.append(Edit(m.start(), m.end(), g, "", "fix_spacing", 0.9))
    return _done(text, sorted(edits, key=lambda e: e.start))


_GLUED_STOP = re.compile(r"(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])")


@repair("space_after_sentence_end", "Insert the missing space in 'said.The talks'")
def space_after_sentence_end(text: str, ctx: RuleContext | None = None) -> Repaired:
    """
    >>> space_after_sentence_end("The talks ended.The ministers left.").text
    'The talks ended. The ministers left.'
    """
    return _done(text, [Edit(m.start(), m.start(), "", " ", "space_after_sentence_end", 0.85)
                        for m in _GLUED_STOP.finditer(text)])


# Legitimate doubled words in English ("what it is is", "had had", "very very").
_LEGIT_DOUBLES = frozenset("""
had that is do does very so no yes ha bye well far more really too now again on out round over
knock chop tut boo ya la go pooh bla blah many much long dum
""".split())
_REPEAT_WORD = re.compile(rf"(?<![\w'’-])({_L}[\w'’-]*)((?:\s+\1)+)(?![\w'’-])", re.IGNORECASE)
_REPEAT_PHRASE = re.compile(rf"(?<![\w'’-])((?:{_L}[\w'’]*\s+){{1,7}}{_L}[\w'’]*)((?:\s+\1)+)(?![\w'’-])",
                            re.IGNORECASE)
_LOOP = re.compile(rf"(?<![\w'’-])((?:{_L}[\w'’]*\s+){{0,7}}{_L}[\w'’]*)((?:,\s+\1){{2,}})(?![\w'’-])",
                   re.IGNORECASE)


# log P of a Title Case form above which a doubled name is an artefact: reduplicated names ('Bora Bora',
# 'Duran Duran', 'Sirhan Sirhan', 'Baden Baden') are all rarer; 'London London', 'Britain Britain' are not.
_FREQUENT_NAME = -14.5
# A name or unknown word this long or longer written twice is an artefact, not a reduplicated name (chosen on
# the dev news files: no false edit there; 'Sirhan Sirhan' has 6 letters; 'Humbert Humbert' would be lost).
_LONG_DOUBLE = 7
_IS_IS_OK = re.compile(r"\b(?:what|thing|problem|point|question|reason|trouble|issue|fact|truth|is)\b[^,.;:]*$",
                       re.IGNORECASE)


def _artefact_double(text: str, m: re.Match) -> bool:
    """A doubling that a word list would call legitimate but its context does not: 'It is is now' (only
    'what it is is' is English), 'so so similar' (before a word: 'so-so' ends a phrase), 'has had had'.

    >>> [_artefact_double(t, _REPEAT_WORD.search(t)) for t in ("It is is now", "What it is is a deal",
    ...  "they are so so similar", "it was so so.", "it has had had effects", "he had had rain")]
    [True, False, True, False, True, False]
    """
    w, before, after = m.group(1).lower(), text[:m.start()], text[m.end():]
    if m.group(2).strip().lower() != w:
        return False  # three or more copies are handled as they were
    if w == "is":
        return not _IS_IS_OK.search(before)
    if w == "so":
        return bool(re.match(r"\s+[a-z]", after))
    if w == "had":
        return bool(re.search(r"\b(?:has|have|had|having)\s+$", before, re.IGNORECASE))
    return False


# Two copies of a word that English grammar makes: a free relative's verb and the main verb ('whatever
# happens happens', 'what counts counts', 'whatever happened happened'); the object 'it' of a preposition
# followed by the next clause's subject 'it' before its verb, the comma left out ('when we look back on it
# it will be clear'). Elsewhere 'it it' is a slip ('It it were', 'said it it was', 'later it it will').
_FREE_RELATIVE = re.compile(r"\b(?:what|whatever|whoever|whichever|whomever)\s+$", re.IGNORECASE)
_VERB_FORM = re.compile(r"[a-z]{2,}(?:s|ed)")
_VERB_AFTER_IT = re.compile(r"\s+(?:is|was|will|would|can|could|should|may|might|must|has|had|does|did|"
                            r"seems|seemed|means|meant|makes|made|becomes|became)\b", re.IGNORECASE)
_PREPOSITION_BEFORE = re.compile(r"\b(?:on|in|at|to|for|with|about|of|from|by|into|onto|over|through|"
                                 r"without|after|before|like|than|upon|against|behind|beyond)\s+$", re.IGNORECASE)


def _grammatical_double(text: str, m: re.Match) -> bool:
    """Two copies of a word that belong to two phrases (see above): kept.

    >>> [_grammatical_double(t, _REPEAT_WORD.search(t)) for t in ("if whatever happens happens after",
    ...  "what mattered mattered", "when we look back on it it will be", "It it were not for",
    ...  "said it it was", "later it it will", "what extent extent", "the price price rose")]
    [True, True, True, False, False, False, False, False]
    """
    w, before, after = m.group(1), text[:m.start()], text[m.end():]
    if m.group(2).strip().lower() != w.lower():
        return False  # three or more copies
    if _VERB_FORM.fullmatch(w) and _FREE_RELATIVE.search(before):
        return True
    return w.lower() == "it" and bool(_PREPOSITION_BEFORE.search(before) and _VERB_AFTER_IT.match(after))


_TOKEN = re.compile(r"[\w'’-]+")


def _may_repeat(text: str) -> bool:
    """False only when none of ``_LOOP``, ``_REPEAT_PHRASE`` and ``_REPEAT_WORD`` can match, which is most
    lines: each needs a run of 1-8 words followed (after blanks, or a comma and blanks) by the same words
    again, and every word of such a run is a whole token ``[\\w'’-]+``; so some k in 1..8 must have k
    tokens in a row equal to the k tokens after them. The patterns compare case-insensitively, character by
    character with the simple lower-case mapping, which is what ``str.lower`` does except for 'İ' (U+0130)
    and 'Σ' (U+03A3, final sigma): a line holding either runs the patterns. About a tenth of their cost.

    >>> _may_repeat("The the deal"), _may_repeat("in the city in the city today"), _may_repeat("the deal is done")
    (True, True, False)
    """
    if "\u0130" in text or "\u03a3" in text:
        return True
    toks = list(map(str.lower, _TOKEN.findall(text)))
    for k in range(1, 9):
        same = bytes(map(str.__eq__, toks, toks[k:]))  # same[i]: token i equals token i + k
        if b"\x01" * k in same:
            return True
    return False


@repair("collapse_repeats", "Collapse repeated words and phrases ('the the', hallucinated loops)")
def collapse_repeats(text: str, ctx: RuleContext | None = None) -> Repaired:
    """
    >>> collapse_repeats("The the deal was signed in in the city in the city yesterday.").text
    'The deal was signed in the city yesterday.'
    >>> collapse_repeats("What it is is a deal; Bora Bora had had rain.").text
    'What it is is a deal; Bora Bora had had rain.'
    >>> collapse_repeats("books, books, books and more and more, very, very slowly").text
    'books, books, books and more and more, very, very slowly'
    >>> collapse_repeats("Telefonica Telefonica met Sirhan Sirhan on a capital-market capital-market deal").text
    'Telefonica met Sirhan Sirhan on a capital-market deal'
    >>> collapse_repeats("Paula Radcliffe Radcliffe met Duran Duran in Bora Bora.").text
    'Paula Radcliffe met Duran Duran in Bora Bora.'
    >>> collapse_repeats("Whatever happens happens; looking back on it it was worth it.").text
    'Whatever happens happens; looking back on it it was worth it.'
    """
    if not _may_repeat(text):
        return _done(text, [])
    c = _ctx(ctx)
    lex = c.lexicon
    edits: list[Edit] = []
    taken: list[tuple[int, int]] = []  # edit ranges: a later match may not overlap an earlier edit

    def free(a: int, b: int) -> bool:
        return all(b <= x or y <= a for x, y in taken)

    for m in _LOOP.finditer(text):
        # 'books, books, books', 'very, very': deliberate; a loop of one word needs four copies
        if m.group(1).lower() in _LEGIT_DOUBLES or (" " not in m.group(1) and m.group(2).count(",") < 3):
            continue
        edits.append(Edit(m.start(2), m.end(2), m.group(2), "", "collapse_repeats", 0.75))
        taken.append((m.start(2), m.end(2)))
    for m in _REPEAT_PHRASE.finditer(text):
        if not free(m.start(2), m.end(2)) or m.group(1).split()[0].lower() in ("and", "or", "by"):
            continue  # 'more and more and more', 'day by day by day': deliberate
        copies = m.group(2).count(m.group(1).split()[0]) + 1
        edits.append(Edit(m.start(2), m.end(2), m.group(2), "", "collapse_repeats",
                          0.95 if copies >= 3 else 0.85))
        taken.append((m.start(2), m.end(2)))
    for m in _REPEAT_WORD.finditer(text):
        w = m.group(1)
        if not free(m.start(2), m.end(2)) or (w.lower() in _LEGIT_DOUBLES and not _artefact_double(text, m)) \
                or _grammatical_double(text, m):
            continue
        if c.stats.available and not c.stats.known(w) and not (
                "-" in w and all(c.stats.known(x) for x in w.split("-") if x)):  # 'capital-market' is English
            if m.group(2).strip() == w and len(w) >= _LONG_DOUBLE and "-" not in w:
                # reduplicated names are short ('Bora Bora', 'Duran Duran', 'Sirhan Sirhan', 'Wagga Wagga'):
                # a long unknown word written twice is a doubled name ('Marriott Marriott', 'Telefonica ...')
                edits.append(Edit(m.start(2), m.end(2), m.group(2), "", "collapse_repeats", 0.75))
                taken.append((m.start(2), m.end(2)))
            continue  # not an English word ('là là', 'Bora Bora'): reduplication is the language's own
        # Reduplicated names ("Bora Bora", "Duran Duran") are real: a capitalised double is collapsed only
        # for a word real English knows and whose doubled form is not a name
        if not w.islower() and not c.stats.available and not (lex.is_common(w) and not lex.has_proper(w)):
            continue
        if not w.islower() and m.group(2).strip() == w and (
                not c.stats.available or c.stats.is_name(f"{w} {w}") or not (
                    0 < c.stats.title_ratio(w) < 0.35 or c.stats.title_logp(w) > _FREQUENT_NAME
                    or len(w) >= _LONG_DOUBLE)):
            continue  # "Sing Sing", "Bora Bora": a doubled name; "Festival Festival", "The the", "London London"
            # (a name too frequent to be reduplicated) are not
        conf = 0.95 if w.lower() in FUNCTION_WORDS else 0.85
        edits.append(Edit(m.start(2), m.end(2), m.group(2), "", "collapse_repeats", conf))
        taken.append((m.start(2), m.end(2)))
    return _done(text, sorted(edits, key=lambda e: e.start))


