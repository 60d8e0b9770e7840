"""Pair filters: each hard rule, duplicates, and counting by reason."""
from __future__ import annotations

import pytest

from pipeline.config import FilterConfig
from pipeline.corpus.filters import filter_pairs


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
