"""Split the seed articles into lines and sentence-like parts for the language test (not the pipeline's
segmentation: a deliberately simple splitter so that every tweet body, attribution and hashtag line is a
part of its own)."""
from __future__ import annotations

from pathlib import Path

import regex

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
_SPLIT = regex.compile(r"(?<=[.!?”\"])\s+(?=[A-Z“\"#¿¡—])|\s+(?=— )|(?<=pic\.twitter\.com/\w+)\s+"
                       r"|(?<=^#\w+ \|)\s+")


def seed_segments() -> list[tuple[str, str]]:
    """(seed name, text) for every non-empty line and, where a line splits, each of its parts."""
    out = []
    for f in sorted(SEEDS.glob("*.txt")):
        for line in f.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if not line:
                continue
            out.append((f.stem, line))
            parts = _SPLIT.split(line)
            if len(parts) > 1:
                out.extend((f.stem, p) for p in parts if p.strip())
    return out
