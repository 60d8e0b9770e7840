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
