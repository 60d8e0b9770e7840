"""The dataset card (``README.md`` with YAML front matter, as on the Hugging Face Hub) written into every
corpus version: what the corpus is, how it was made (engines, filters, counts), which side is machine
translated, and every field. Input: the run report; output: Markdown text."""
from __future__ import annotations

from typing import Any

import yaml

from pipeline.corpus.schema import PAIR_FIELDS, hf_features


def size_category(n: int) -> str:
    """>>> size_category(42), size_category(12_000)
    ('n<1K', '10K<n<100K')
    """
    bounds = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
              (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M")]
    return next((label for bound, label in bounds if n < bound), "n>1B" if n > 1_000_000_000 else "100M<n<1B")


def front_matter(pairs: int) -> dict[str, Any]:
    return {
        "language": ["es", "en"],
        # the pipeline cannot know the licence of its input articles: the publisher sets it
        "license": "unknown",
        "task_categories": ["translation"],
        "size_categories": [size_category(pairs)],
        "pretty_name": "es-en parallel corpus (mt-normalise-pipeline)",
        "configs": [{"config_name": "default", "data_files": [{"split": "train", "path": "es-en.parquet"}]}],
        "dataset_info": {"features": hf_features(), "splits": [{"name": "train", "num_examples": pairs}]},
    }


def _engines(report: dict[str, Any]) -> str:
    rows = [f"| {d} | {v.get('engine')} | {v.get('version')} |" for d, v in sorted(report["engines"].items())]
    return "\n".join(["| direction | engine | version |", "|---|---|---|", *rows]) if rows else "none"


def dataset_card(report: dict[str, Any], cfg: Any, version: str) -> str:
    c, acc = report["counts"], report["accounting"]
    origins = report.get("per_origin", {})
    filters = report["config"]["settings"].get("filters", {})
    q = report.get("quality", {})
    fields = "\n".join(f"| `{k}` | {v} |" for k, v in PAIR_FIELDS.items())
    reasons = "\n".join(f"| `{k}` | {v} |" for k, v in report["per_reject_reason"].items()) or "| none | 0 |"
    return f"""---
{yaml.safe_dump(front_matter(c["pairs"]), sort_keys=False, allow_unicode=True).rstrip()}
---

# es-en parallel corpus, version `{version}`

Spanish-English sentence pairs built from {c["documents"]} news articles by
[mt-normalise-pipeline](https://github.com/) (ingest, segment, language identification, offline machine
translation, repair of machine-translation artefacts, filters). **One side of every pair is machine
translated**: `origin` names the original side ({origins.get("es", 0)} pairs are Spanish originals with
machine-translated English, {origins.get("en", 0)} English originals with machine-translated Spanish).
Drop the synthetic side's pairs by `origin` (or use `es-en.origin.tsv`) when you need human text on one
side.

## How it was made

Engines:

{_engines(report)}

Counts: {c["documents"]} documents ({c["documents_rejected"]} rejected whole), {acc["segments"]} segments,
{c["pairs"]} pairs, {c["segment_rejects"]} segments rejected (every segment is a pair or a line of
`rejected.jsonl`: accounting identity {"holds" if acc["holds"] else "DOES NOT HOLD"}).

Filters (config `filters`): {", ".join(f"`{k}={v}`" for k, v in sorted(filters.items()))}.
Rejects by reason:

| reason | count |
|---|---|
{reasons}

Quality: every pair has `quality.score` in [0, 1] (a logistic combination of a round trip through the
engine, language identification of each side, length ratio, number/URL agreement and untranslated words;
fitted on WMT news pairs against synthetic misaligned, copied and truncated pairs). Mean score
{report.get("quality_mean")}; pairs below `filters.min_quality` = {q.get("min_quality", 0.0)} were rejected.

## Files

- `es-en.parquet`: the pairs (the `default` config), schema below; `es-en.jsonl`: the same records as JSON
  lines (no list-typed fields, so corpora from different runs load together).
- `provenance.jsonl`: per pair (`id`, same order): language spans, engine notes, repairs with their edits,
  repairs held back for review.
- `es-en.tsv`: header line `es<TAB>en`, UTF-8, one pair per line; no tabs or line breaks inside a field; a
  field containing `"` is wrapped in `"` with inner quotes doubled (CSV quoting, as pandas and Python's csv
  read it; use `keep_default_na=False` in pandas). `es-en.origin.tsv`: the same with the columns `id`,
  `origin`, `mt_engine`, `quality` before `es`, `en`.
- `es-en.es`, `es-en.en`: Moses plain text, line-aligned, no header, no quoting.
- `es-en.tmx`: TMX 1.4b, `srclang="es"`; every unit Spanish then English, with `<prop>`s `x-origin`,
  `x-engine`, `x-engine-version`, `x-quality`, `x-doc`.
- `rejected.jsonl`, `review.jsonl`, `report.json`, `report.html`, `manifest.json`, `documents/`.

## Fields

| field | meaning |
|---|---|
{fields}

```python
from datasets import load_dataset
ds = load_dataset("parquet", data_files="es-en.parquet", split="train")   # or "json", "es-en.jsonl"
```
"""
