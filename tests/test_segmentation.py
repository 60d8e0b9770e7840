"""Segmentation: cases as data, seed articles, and the laws every segmentation must keep."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from pipeline.ingest.reader import ingest_file
from pipeline.segment.segmentation import segment_document

CASES = [json.loads(line) for line in (Path(__file__).parent / "data" / "segmentation_cases.jsonl").open(encoding="utf-8")]


@pytest.mark.parametrize("case", CASES, ids=[c["label"] for c in CASES])
def test_cases(case):
    segs = segment_document("d", case["input"])
    assert [[s.kind, s.text] for s in segs] == case["expected"]


def _seed(seeds_dir, prefix):
    path = next(seeds_dir.glob(f"{prefix}_*.txt"))
    rec = ingest_file(prefix, path)
    return rec, segment_document(prefix, rec.text)


def test_seed_003_tweets(seeds_dir):
    rec, segs = _seed(seeds_dir, "003")
    kinds = [s.kind for s in segs]
    assert kinds.count("tweet") == 2 and kinds.count("tweet_attribution") == 2 and kinds.count("hashtag_line") == 1
    first_tweet = next(s for s in segs if s.kind == "tweet")
    assert first_tweet.meta.thread == "1/4"
    assert first_tweet.text.startswith("Nos reunimos") and first_tweet.text.endswith("pic.twitter.com/OQeZWtNQnl")
    assert {p.kind for p in first_tweet.protected} >= {"url"}


def test_seed_000_dateline_timestamp_duplicate_lead(seeds_dir):
    rec, segs = _seed(seeds_dir, "000")
    by_kind = {}
    for s in segs:
        by_kind.setdefault(s.kind, []).append(s.text)
    assert by_kind["timestamp"] == ["03:07 GMT 21.02.2024 (Updated: 03:08 GMT 21.02.2024)"]
    assert by_kind["dateline"] == ["MOSCOW (Sputnik) -"]
    assert by_kind["heading"] == ["Lavrov: Russia Considers Promising Cooperation With Venezuela on Peaceful Atom"]
    # the teaser paragraph repeats the lead: both its sentences are marked, the lead itself is kept
    assert len(by_kind["duplicate"]) == 2 and by_kind["duplicate"][0].startswith("The Russian FM Lavrov")
    assert any(t.startswith("The Russian foreign minister is currently") for t in by_kind["sentence"])


def test_seed_004_heading(seeds_dir):
    rec, segs = _seed(seeds_dir, "004")
    assert [s.text for s in segs if s.kind == "heading"] == ["Large oil reserves"]


@given(st.lists(st.text(min_size=0, max_size=120), max_size=6))
def test_offsets_exact_and_no_text_lost(paragraphs):
    text = "\n".join(p.replace("\n", " ") for p in paragraphs)
    segs = segment_document("d", text)
    covered = []
    last = -1
    for s in segs:
        assert text[s.start:s.end] == s.text
        assert s.start >= last  # ordered, non-overlapping
        last = s.end
        covered.append((s.start, s.end))
    # every non-space character is inside a segment, except tweet thread markers kept as metadata
    markers = sum(len(s.meta.thread or "") for s in segs)
    inside = sum(len(text[a:b].replace(" ", "")) for a, b in covered)
    assert len("".join(text.split())) - inside <= markers


# --- cost: the duplicate-paragraph check is linear, and a per-document budget bounds it -------------------

def _paragraphs(n: int, near_copies: bool, seed: int = 1) -> str:
    """``n`` 30-word paragraphs from a 300-word vocabulary: unrelated ones, or near copies of one base."""
    import random

    rng = random.Random(seed)
    vocab = [f"palabra{i}" for i in range(300)]
    base = [rng.choice(vocab) for _ in range(30)]
    out = []
    for _ in range(n):
        words = list(base) if near_copies else [rng.choice(vocab) for _ in range(30)]
        if near_copies:
            for _ in range(8):  # about 75% in common: word pairs shared, but not a duplicate
                words[rng.randrange(30)] = rng.choice(vocab)
        out.append(" ".join(words) + ".")
    return "\n\n".join(out)


@pytest.mark.parametrize("near_copies", [False, True], ids=["unrelated", "near_copies"])
def test_duplicate_check_cost_grows_linearly(monkeypatch, near_copies):
    from pipeline.segment import segmentation

    comparisons = []
    real = segmentation.difflib.SequenceMatcher

    def counting(*args, **kwargs):
        comparisons.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(segmentation.difflib, "SequenceMatcher", counting)
    cost = {}
    for n in (300, 600):
        comparisons.clear()
        budget = segmentation.WorkBudget(10**12)
        segment_document("d", _paragraphs(n, near_copies), budget=budget)
        cost[n] = (len(comparisons), budget.used)
    # all pairs would be 4x for twice the paragraphs (44,850 -> 179,700 comparisons)
    assert cost[600][0] <= 2.5 * cost[300][0] + 10
    assert cost[600][1] <= 2.5 * cost[300][1]


def test_pathological_document_is_stopped_by_the_work_budget():
    from pipeline.segment.segmentation import SegmentationBudgetExceeded, WorkBudget

    text = _paragraphs(2000, near_copies=True)
    with pytest.raises(SegmentationBudgetExceeded, match="units of work"):
        segment_document("d", text, budget=WorkBudget(2_000_000))
    assert segment_document("d", _paragraphs(50, near_copies=True))  # an ordinary size goes through


def test_linear_check_finds_the_same_duplicates_as_before():
    # a teaser repeating the lead with a word changed, an exact copy, and three copies in a row
    lead = "The ministers of both countries met in Moscow on Monday to sign twelve new cooperation agreements."
    teaser = lead.replace("Monday", "Tuesday")
    other = "Officials said the talks would continue next month in Caracas with the energy ministers present."
    text = "\n\n".join([teaser, "Short line.", lead, other, other, other])
    kinds = {s.paragraph: s.kind for s in segment_document("d", text)}
    dups = {s.paragraph: s.meta.duplicate_of_paragraph for s in segment_document("d", text)
            if s.kind == "duplicate"}
    assert dups == {0: 2, 3: 4, 4: 5} and kinds[5] == "sentence"
