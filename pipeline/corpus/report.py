"""Run report: what was kept, changed and rejected, and why, as ``report.json``.

Input: the corpus pairs (with provenance), the rejects, per-document stage records and run metadata; output: one
dict. The accounting identity — every input segment is a corpus pair or a reject — is recounted from the written
files and stated in it. ``report.html`` is rendered from the published files by ``pipeline.corpus.report_html``.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from pipeline.corpus.schema import Pair, Provenance, Reject


_INPUT_KEYS = ("doc", "path", "sha256", "size", "encoding", "status", "reason")


class ReportBuilder:
    """Accumulates the report while the corpus streams past: counters and a few examples per item, plus
    one short record per input document; no pair or reject is kept."""

    def __init__(self, examples_per_item: int = 3) -> None:
        self.k = examples_per_item
        self.pairs = 0
        self.seg_rejects = 0
        self.flagged = 0
        self.segments = 0
        self.reasons: Counter[str] = Counter()
        self.rules: Counter[str] = Counter()
        self.origins: Counter[str] = Counter()
        self.languages: Counter[str] = Counter()
        self.stages: dict[str, Counter[str]] = {}
        self.rule_examples: dict[str, list[dict[str, str]]] = {}
        self.reject_examples: dict[str, list[str]] = {}
        self.inputs: list[dict[str, Any]] = []
        self.quality_bins: Counter[int] = Counter()
        self.quality_sum = 0.0

    def add_document(self, doc: dict[str, Any], segments: int = 0) -> None:
        self.inputs.append({k: doc.get(k) for k in _INPUT_KEYS})
        self.languages.update(doc.get("languages", []))
        for stage, counts in doc.get("stages", {}).items():
            self.stages.setdefault(stage, Counter()).update(counts)
        self.segments += segments

    def add_pair(self, p: Pair, prov: Provenance | None = None) -> None:
        self.pairs += 1
        self.origins[p.origin] += 1
        self.quality_bins[min(9, int(p.quality.score * 10))] += 1
        self.quality_sum += p.quality.score
        if prov is None:
            return
        self.flagged += len(prov.flagged)
        for rep in prov.repairs:
            for step in rep.steps:
                self.rules[step.rule] += 1
                ex = self.rule_examples.setdefault(step.rule, [])
                if len(ex) < self.k:
                    ex.append({"before": rep.before, "after": p.en})

    def add_reject(self, r: Reject) -> None:
        self.reasons[r.reason] += 1
        if r.segment is not None:
            self.seg_rejects += 1
        ex = self.reject_examples.setdefault(r.reason, [])
        if len(ex) < self.k:
            ex.append(r.text or (r.translation.es if r.translation else "") or r.message or "")

    def build(self, *, engines: dict[str, Any], config: dict[str, Any], filter_counts: dict[str, int],
              written: dict[str, int] | None = None, segments: int | None = None) -> dict[str, Any]:
        """``written``: pairs and segment rejects counted from the written files, and ``segments`` from the
        per-document segment stage files; the accounting identity is checked on those, so a writer that
        loses a line breaks it (the counts seen while writing are reported next to them)."""
        written = written or {"pairs": self.pairs, "segment_rejects": self.seg_rejects}
        segments = self.segments if segments is None else segments
        accounted = written["pairs"] + written["segment_rejects"]
        return {
            "counts": {
                "documents": len(self.inputs),
                "documents_rejected": sum(1 for d in self.inputs if d["status"] != "ok"),
                "segments": self.segments,
                "pairs": self.pairs,
                "segment_rejects": self.seg_rejects,
                "flagged_for_review": self.flagged,
            },
            "accounting": {
                "identity": "segments == pairs + segment_rejects",
                "segments": segments,
                "pairs_plus_rejects": accounted,
                "holds": accounted == segments and written == {"pairs": self.pairs,
                                                               "segment_rejects": self.seg_rejects},
                "counted_from": {"segments": "segment stage file headers",
                                 "pairs": "lines of es-en.jsonl",
                                 "segment_rejects": "lines of rejected.jsonl with a segment"},
                "written": written,
                "seen_while_writing": {"pairs": self.pairs, "segment_rejects": self.seg_rejects,
                                       "segments": self.segments},
            },
            "per_stage": {k: dict(v) for k, v in self.stages.items()},
            "per_language": dict(self.languages),
            "per_origin": dict(self.origins),
            "per_repair_rule": dict(self.rules.most_common()),
            "per_reject_reason": dict(self.reasons.most_common()),
            "filter_drops": dict(filter_counts),
            "quality_histogram": {f"{i / 10:.1f}-{(i + 1) / 10:.1f}": self.quality_bins[i] for i in range(10)},
            "quality_mean": round(self.quality_sum / self.pairs, 4) if self.pairs else None,
            "engines": engines,
            "inputs": self.inputs,
            "examples": {"repairs": self.rule_examples, "rejects": self.reject_examples},
            "config": config,
        }
