"""Fast paths that must agree exactly with the plain definitions they replace (speed changes only)."""
from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings, strategies as st

from pipeline.corpus.quality import _SPACE, chrf
from pipeline.protect import _COMBINED, find_emoji, find_protected
from pipeline.records import Span

# letters of both languages, digits (also non-ASCII ones), the characters the patterns key on, emoji
_ALPHABET = st.sampled_from(list("abcxyzñéA B.,:/@#%-+0123456789٣") + ["www.", "http://", "t.co/", "🇻🇪", "🤝🏾", "©"])
_TEXT = st.lists(_ALPHABET, max_size=40).map("".join)


def _plain_find_protected(text: str) -> list[Span]:
    spans = [Span(m.start(), m.end(), m.lastgroup or "other", m.group()) for m in _COMBINED.finditer(text)]
    taken = [(s.start, s.end) for s in spans]
    spans += [e for e in find_emoji(text) if not any(a < e.end and e.start < b for a, b in taken)]
    return sorted(spans, key=lambda s: s.start)


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_find_protected_prefilter_and_memo_change_nothing(text):
    assert find_protected(text) == _plain_find_protected(text)
    assert find_protected(text) == _plain_find_protected(text)  # second call: from the memo
    spans = find_protected(text)
    spans.clear()  # a caller changing its list does not change what the next caller gets
    assert find_protected(text) == _plain_find_protected(text)


def _plain_chrf(hyp: str, ref: str, max_n: int = 4) -> float:
    a, b = _SPACE.sub("", hyp.casefold()), _SPACE.sub("", ref.casefold())
    if not a or not b:
        return 0.0
    total, used = 0.0, 0
    for n in range(1, max_n + 1):
        ga = Counter(a[i:i + n] for i in range(len(a) - n + 1))
        gb = Counter(b[i:i + n] for i in range(len(b) - n + 1))
        if not ga or not gb:
            continue
        hit = sum((ga & gb).values())
        p, r = hit / sum(ga.values()), hit / sum(gb.values())
        total += 0.0 if hit == 0 else 2 * p * r / (p + r)
        used += 1
    return total / used if used else 0.0


@settings(max_examples=400, deadline=None)
@given(_TEXT, _TEXT)
def test_chrf_equals_the_counter_definition_bit_for_bit(hyp, ref):
    assert chrf(hyp, ref) == _plain_chrf(hyp, ref)


def test_detector_remembers_only_context_free_answers_and_stays_bounded():
    from pipeline.langid.detector import LanguageDetector

    # weak lines lean on their neighbours in detect_document; detect() must still answer without context
    texts = ["Nos reunimos con el canciller en Moscú.", "Sí.", "The minister said it was over.", "OK",
             "Maduro", "pic.twitter.com/x1 @user", "El presidente habló con la prensa ayer por la tarde."]
    seen, fresh = LanguageDetector(), LanguageDetector()
    seen.detect_document(texts)
    assert [seen.detect(t) for t in texts] == [fresh.detect(t) for t in texts]
    seen.REMEMBERED = 3
    seen.detect_document(texts)
    assert len(seen._answers) == 3


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list("aAñÑéÉüç ,.¡!0٣") + ["e\u0301", "n\u0303", "\u0345", "ﬁ", "İ"]),
                max_size=30).map("".join))
def test_pair_filters_normalise_as_the_plain_definition(text):
    import unicodedata

    from pipeline.corpus.filters import _WORDS, _norm

    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    assert _norm(text) == " ".join(_WORDS.findall(plain))
    assert _norm(text) == _norm(text)


def test_name_fold_with_compiled_patterns_is_unchanged():
    import unicodedata

    import regex

    from pipeline.translate.names import fold

    folds = [(r"gu(?=[ei])", "g"), (r"(?<=[aeiou])j(?=[aeiou])", "kh"), (r"ey\b", "ei"), (r"iy\b", "i"),
             (r"y\b", "i"), (r"sch", "sh"), (r"ph", "f")]

    def plain(name):
        s = "".join(c for c in unicodedata.normalize("NFD", name) if unicodedata.category(c) != "Mn").lower()
        s = s.replace("’", "'")
        for pat, rep in folds:
            s = regex.sub(pat, rep, s)
        return s

    for name in ["Serguéi Lavrov", "Sergey Lavrov", "Zajárova", "Dmitriy", "Schröder Philips", "Faría’s",
                 "Guillermo Güell", "Yury Ushakov"]:
        assert fold(name) == plain(name)


# words that repeat, separators the repeat patterns key on (blanks, commas, hyphens, apostrophes), some
# non-ASCII characters (which take the plain path)
_REPEAT_TEXT = st.lists(st.sampled_from(["the", "The", "THE", "deal", "in", "city", "so", "it", "had", "well-",
                                         "x'y", " ", "  ", ", ", ",", ".", "\n", "-", "'", "9", "_", "é", "É",
                                         "’", "İ", "i", "K", "k", "ſ", "s", "Σ", "σ", "ς", "ΟΔΟ", "οδο", "ǅ", "ǆ",
                                         "\u00a0", "\u2028", "٣"]), max_size=40).map("".join)


@settings(max_examples=3000, deadline=None)
@given(_REPEAT_TEXT)
def test_collapse_repeats_prefilter_only_skips_lines_the_patterns_cannot_match(text):
    from pipeline.repair.rules.engine_output import _LOOP, _REPEAT_PHRASE, _REPEAT_WORD, _may_repeat

    if not _may_repeat(text):
        assert not any(p.search(text) for p in (_LOOP, _REPEAT_PHRASE, _REPEAT_WORD))


def test_collapse_repeats_prefilter_on_the_repeats_it_must_let_through():
    from pipeline.repair.rules.engine_output import _LOOP, _REPEAT_PHRASE, _REPEAT_WORD, _may_repeat

    for text in ("The the deal", "in in the city in the city", "books, books, books", "a b c d e f g h a b c d e f g h",
                 "capital-market capital-market deal", "(the the", "it's it's"):
        assert _may_repeat(text), text
    nine = "a b c d e f g h i a b c d e f g h i"  # nine words: longer than the patterns' phrases
    assert not _may_repeat(nine) and not any(p.search(nine) for p in (_LOOP, _REPEAT_PHRASE, _REPEAT_WORD))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(list("ab \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2028\u2029\x00\x08\ufffe\uffffé<&\"")),
                max_size=30).map("".join))
def test_line_and_space_fast_paths_equal_the_patterns(text):
    from pipeline.corpus.quality import _without_space
    from pipeline.corpus.writers import _LINE_BREAKS, _XML_BAD, _xml_text, one_line
    from xml.sax.saxutils import escape

    assert one_line(text) == _LINE_BREAKS.sub(" ", text).strip()
    assert _xml_text(text) == escape(_XML_BAD.sub("", text))
    assert _without_space(text) == _SPACE.sub("", text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(list("ab1٣²@#/:.- ") + ["\u2001", "\u2000", "é", "🇻🇪"]), max_size=20).map("".join))
def test_repair_protected_prefilter_equals_the_character_test(text):
    from pipeline.repair.repairer import _maybe_protected

    assert _maybe_protected(text) == any(c.isdigit() or c in "@#/:" or ord(c) > 0x2000 for c in text)


def test_document_context_counts_as_the_plain_definition():
    import re

    from pipeline.repair.context import _WORD, DocumentContext

    def plain(text):
        lower, capital, mixed = Counter(), Counter(), Counter()
        prev_end = True
        for m in _WORD.finditer(text):
            w = m.group()
            if w.islower():
                lower[w] += 1
            elif any(ch.isupper() for ch in w[1:]) and any(ch.islower() for ch in w):
                mixed[w] += 1
            elif w[0].isupper() and w[1:].islower() and not prev_end:
                capital[w.lower()] += 1
            prev_end = bool(re.match(r"\s*[.!?:“\"]", text[m.end():m.end() + 2]))
        return lower, capital, mixed

    for text in ["The FonPeek app. Then iPhone and McDonald's: Court rules “Big” deal", "A.B, c-D’e O'Neil",
                 "end: Next one! and ?Again  . After", "ALL CAPS MixedCase x-Y", ""]:
        ctx = DocumentContext.from_texts([text])
        assert (ctx.lower, ctx.capital, ctx.mixed) == plain(text), text


def test_sorted_counts_answer_as_the_dicts_of_every_line():
    from pipeline.resources.case_ngrams import DEFAULT_NGRAMS, SortedTable, _read_all, read_ngrams

    lazy, eager = read_ngrams(DEFAULT_NGRAMS), _read_all(DEFAULT_NGRAMS)
    assert isinstance(lazy.uni, SortedTable)
    for name in ("uni", "back", "fwd", "tri"):
        table, plain = getattr(lazy, name), getattr(eager, name)
        assert len(table) == len(plain)
        assert all(table.get(k) == v for k, v in plain.items())
        for k in list(plain)[::97]:
            for probe in (k[:-1], k + "s", k + "\t", k.upper(), k.split("\t")[0], ""):
                assert table.get(probe, (0, 0)) == plain.get(probe, (0, 0)) and (probe in table) == (probe in plain)


def test_counts_file_not_in_sorted_blocks_is_read_into_dicts(tmp_path):
    import gzip

    from pipeline.resources.case_ngrams import read_ngrams

    path = tmp_path / "counts.tsv.gz"
    lines = ["# test", "u\tzoo\t5\t1", "u\tarm\t7\t2", "b\tthe\tarm\t3\t0", "u\tart\t1\t1"]  # unsorted, split 'u'
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    ng = read_ngrams(path)
    assert isinstance(ng.uni, dict) and ng.uni == {"zoo": (5, 1), "arm": (7, 2), "art": (1, 1)}
    assert ng.back == {"the\tarm": (3, 0)} and ng.fwd == {} and ng.tri == {}
    path.write_bytes(gzip.compress(("\n".join(sorted(lines[1:3] + lines[4:])) + "\n" + lines[3] + "\n").encode()))
    ng = read_ngrams(path)
    assert not isinstance(ng.uni, dict) and ng.uni.get("arm") == (7, 2) and "zoo" in ng.uni
    assert ng.back.get("the\tarm") == (3, 0) and ng.back.get("the") is None and len(ng.tri) == 0


def test_sorted_casing_statistics_answer_as_the_dicts_and_sets_of_every_line():
    from pipeline.resources.casing import DEFAULT_STATS, _read_all, load_case_stats

    lazy, eager = load_case_stats.__wrapped__(str(DEFAULT_STATS)), _read_all(DEFAULT_STATS)
    assert not isinstance(lazy.shapes, dict)
    for name in ("shapes", "mixed", "names", "mid"):
        assert len(getattr(lazy, name)) == len(getattr(eager, name))
    assert all(lazy.shapes.get(k) == v for k, v in eager.shapes.items())
    assert all(lazy.mid.get(k) == v for k, v in eager.mid.items())
    assert all(x in lazy.names for x in eager.names) and all(x in lazy.mixed for x in eager.mixed)
    for k in list(eager.shapes)[::101] + list(eager.names)[::53] + list(eager.mixed)[::11]:
        for p in (k, k[:-1], k + "s", k.upper(), k.title(), k.split(" ")[0], ""):
            assert (lazy.shapes.get(p), lazy.mid.get(p, (0, 0)), p in lazy.names, p in lazy.mixed) == \
                (eager.shapes.get(p), eager.mid.get(p, (0, 0)), p in eager.names, p in eager.mixed)


def test_casing_file_not_in_sorted_blocks_is_read_into_dicts(tmp_path):
    import gzip

    from pipeline.resources.casing import load_case_stats

    lines = ["# comment", "w\ttime\t-6.4\t-10.1\t", "w\tcourt\t-10.1\t-11.6\t-15.7", "n\tSupreme Court",
             "m\tYouTube", "c\tcourt\t120\t40", "x\tother kind"]
    for name, text in (("unsorted", lines), ("sorted", lines[:1] + sorted(lines[1:3]) + lines[3:])):
        path = tmp_path / f"{name}.tsv.gz"
        path.write_bytes(gzip.compress(("\n".join(text) + "\n").encode()))
        cs = load_case_stats(str(path))
        assert isinstance(cs.shapes, dict) == (name == "unsorted")
        assert cs.known("Time") and cs.title_logp("court") == -11.6 and cs.lower_logp("time") == -6.4
        assert cs.title_ratio("time") == pytest.approx(0.0247, abs=1e-3) and cs.is_name("Supreme Court")
        assert cs.is_mixed_token("YouTube") and cs.mid_counts("Court") == (120, 40) and cs.mid_counts("x") == (0, 0)
        assert cs.shapes.get("time")[2] == -99.0 and not cs.known("other kind")
