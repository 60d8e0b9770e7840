"""The blind real-news source of ``benchmarks/repair_bench.py --lee-wheel``: the Lee et al. (2005) documents read
from PyPI's gensim wheel. Skipped when the wheel is not at hand (set LEE_WHEEL, or download it with
``pip download --no-deps gensim==4.4.0 -d /tmp/pipdl``); nothing of it is committed."""
from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest

_found = sorted(glob.glob("/tmp/pipdl/gensim-4.4.0-*.whl"))
WHEEL = os.environ.get("LEE_WHEEL") or (_found[0] if _found else "")


@pytest.mark.skipif(not (WHEEL and Path(WHEEL).is_file()),
                    reason="gensim 4.4.0 wheel not found (set LEE_WHEEL or pip download --no-deps gensim==4.4.0 "
                           "-d /tmp/pipdl): the Lee corpus check of the repair benchmark is skipped")
def test_lee_documents_split_into_sentences():
    from benchmarks.repair_bench import lee_documents

    docs = lee_documents(WHEEL)
    assert len(docs) == 350  # 300 in lee_background.cor, 50 in lee.cor
    sents = [s for d in docs for s in d]
    assert len(sents) == 2829  # split_sentences of the segmenter, gensim 4.4.0
    assert all(s and s == s.strip() for s in sents)
    assert any("£" in s for s in sents)  # lee.cor is Latin-1
