"""Fast paths that must agree exactly with the plain definitions they replace (speed changes only)."""
from __future__ import annotations

from collections import Counter

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

    import regex

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
