"""Pair filters: each hard rule, duplicates, and counting by reason."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.config import FilterConfig
from pipeline.corpus.filters import DigestSet, PairFilter, filter_pairs


@pytest.mark.parametrize("es,en,reason", [
    ("", "Hello there", "empty_side"),
    ("Hola", "   ", "empty_side"),
    ("Sí", "Y", "too_short"),
    ("Una frase corta.", "This is a very long English sentence that cannot be a translation of that short one.", "length_ratio"),
    ("The same English text copied over.", "The same English text copied over.", "untranslated_copy"),
    ("Produjo 3,5 millones de barriles.", "It produced 4.5 million barrels.", "number_mismatch"),
    ("Ver pic.twitter.com/abcDEF1 ahora.", "See pic.twitter.com/abcdef1 now.", "url_mismatch"),
])
def test_hard_rules(es, en, reason):
    r = filter_pairs([{"es": es, "en": en}])
    assert [p["reject_reason"] for p in r.rejected] == [reason] and not r.kept


@pytest.mark.parametrize("es,en", [
    ("Produjo 3,5 millones de barriles en 2020.", "It produced 3.5 million barrels in 2020."),
    ("Son 300.000 barriles.", "That is 300,000 barrels."),
    ("Hola @Fariacrt, mira pic.twitter.com/abcDEF1", "Hello @Fariacrt, look pic.twitter.com/abcDEF1"),
])
def test_good_pairs_kept(es, en):
    assert filter_pairs([{"es": es, "en": en}]).kept


def test_duplicates_and_counts():
    pairs = [{"es": "Hola mundo.", "en": "Hello world."}, {"es": "Hola mundo.", "en": "Hello world."},
             {"es": "hola, mundo", "en": "Hello, world!"}, {"es": "Son 5 casas.", "en": "There are 5 houses."},
             {"es": "Son 6 casas.", "en": "There are 6 houses."}]
    r = filter_pairs(pairs)
    assert [p["reject_reason"] for p in r.rejected] == ["duplicate", "near_duplicate", "near_duplicate"]
    assert r.counts == {"duplicate": 1, "near_duplicate": 2} and len(r.kept) == 2


def test_filters_can_be_switched_off():
    cfg = FilterConfig(check_numbers=False, dedup=False, near_dedup=False)
    pairs = [{"es": "Son 5 casas.", "en": "There are 6 houses."}] * 2
    assert len(filter_pairs(pairs, cfg).kept) == 2


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 2**64 - 1), st.integers(0, 40)), max_size=300))
def test_digest_set_behaves_as_a_set(keys):
    """The duplicate filter's compact table answers as a Python set would, through its resizes, for
    digests 0 and 2**64 - 1 and for runs of keys that land in neighbouring slots."""
    compact, plain = DigestSet(capacity=4), set()
    for k in keys:
        assert compact.add(k) == (k in plain)
        plain.add(k)
        assert len(compact) == len(plain)
    assert all(k in compact for k in plain)
    assert not any(k in compact for k in range(41, 60) if k not in plain)


def test_duplicate_digests_take_a_few_bytes_each():
    """50,000 digests (a corpus of ~10,000 articles) fit in the table's array: no object per digest."""
    import random
    import tracemalloc

    rng = random.Random(0)
    keys = [rng.getrandbits(64) for _ in range(50_000)]
    tracemalloc.start()
    try:
        table = DigestSet()
        for k in keys:
            table.add(k)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(table) == len(set(keys)) and held <= 32 * len(keys)


# pairs the hard rules keep or reject, some of them exact or near duplicates of others
_PAIRS = st.sampled_from([("Sí, claro.", "Yes, sure."), ("Si claro", "yes sure"), ("Hola 3", "Hello 4"),
                          ("La casa roja.", "The red house."), ("la casa roja", "the red house"),
                          ("Uno más.", "One more."), ("Uno más.", "Uno más."), ("", "Empty."),
                          ("Ver http://a.b/c", "See http://a.b/c")])


@settings(max_examples=200, deadline=None)
@given(before=st.lists(_PAIRS, max_size=6), after=st.lists(_PAIRS, max_size=8),
       near=st.booleans())
def test_predict_is_what_the_filter_will_do_and_changes_nothing(before, after, near):
    """The export guesses which pairs the filter will keep (to translate their round trips ahead): the
    guess from the filter's state now is what feeding the pairs in that order then does."""
    pairs = [{"es": es, "en": en} for es, en in after]
    f = PairFilter(FilterConfig(near_dedup=near))
    for es, en in before:
        f({"es": es, "en": en})
    counts = dict(f.counts)
    guess = f.predict(pairs)
    assert dict(f.counts) == counts and f.predict(pairs) == guess  # nothing remembered or counted
    assert guess == [f(p) is None for p in pairs]
