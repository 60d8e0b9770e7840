"""Run report: what was kept, changed and rejected, and why, as ``report.json`` and ``report.html``.

Input: the corpus pairs (with provenance), the rejects, per-document stage records and run metadata; output: one dict (also
rendered as a self-contained HTML page with SVG bar charts). The accounting identity — every input segment
is a corpus pair or a reject — is computed here and stated in both.
"""
from __future__ import annotations

import html
from collections import Counter
from typing import Any, Iterable

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


def _bars(title: str, data: dict[str, int]) -> str:
    if not data:
        return f"<h3>{html.escape(title)}</h3><p>none</p>"
    top = max(data.values()) or 1
    row_h, label_w, bar_w = 22, 260, 360
    rows = []
    for i, (k, v) in enumerate(sorted(data.items(), key=lambda kv: -kv[1])):
        y = i * row_h
        w = max(1, int(bar_w * v / top))
        rows.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{html.escape(str(k))}</text>'
                    f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{row_h - 6}" fill="#4a7bd0"/>'
                    f'<text x="{label_w + w + 4}" y="{y + 15}">{v}</text>')
    height = row_h * len(data) + 4
    return (f'<h3>{html.escape(title)}</h3><svg role="img" aria-label="{html.escape(title)}" '
            f'width="{label_w + bar_w + 60}" height="{height}" font-family="sans-serif" font-size="12">'
            + "".join(rows) + "</svg>")


def _table(rows: Iterable[Iterable[Any]], head: Iterable[str]) -> str:
    h = "".join(f"<th>{html.escape(str(c))}</th>" for c in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def _inputs_table(inputs: list[dict[str, Any]], limit: int = 500) -> str:
    """Rejected documents first, then the others, at most ``limit`` rows (report.json lists them all)."""
    rows = sorted(inputs, key=lambda d: d["status"] == "ok")
    shown = rows[:limit]
    table = _table(((d["doc"], d["status"], d.get("reason") or "", d.get("encoding") or "", d.get("size"),
                     (d.get("sha256") or "")[:16]) for d in shown),
                   ("document", "status", "reason", "encoding", "bytes", "sha256"))
    more = len(rows) - len(shown)
    return table + (f"<p>{more} more documents: see report.json.</p>" if more else "")


def render_html(report: dict[str, Any]) -> str:
    c, acc = report["counts"], report["accounting"]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Corpus report</title>",
        "<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;"
        "text-align:left;vertical-align:top}.ok{color:#176b1d}.bad{color:#b00020}</style></head><body>",
        "<h1>Corpus report</h1>",
        _table(c.items(), ("what", "count")),
        f"<p class='{'ok' if acc['holds'] else 'bad'}'>Accounting: {acc['segments']} input segments, "
        f"{acc['pairs_plus_rejects']} pairs + rejects — identity "
        f"{'holds' if acc['holds'] else 'DOES NOT HOLD'}.</p>",
        "<h2>Engines</h2>",
        _table(((k, v.get("engine"), v.get("version")) for k, v in report["engines"].items()),
               ("direction", "engine", "version")),
        "<h2>Charts</h2>",
        _bars("Pairs by original language", report["per_origin"]),
        _bars("Segments by detected language", report["per_language"]),
        _bars("Repairs by rule", report["per_repair_rule"]),
        _bars("Rejects by reason", report["per_reject_reason"]),
        _bars("Pairs by quality score", report.get("quality_histogram", {})),
        "<h2>Per stage</h2>",
        _table(((s, ", ".join(f"{k}={v}" for k, v in sorted(cnt.items())))
                for s, cnt in report["per_stage"].items()), ("stage", "counts")),
        "<h2>Examples of repairs</h2>",
        _table(((rule, ex["before"], ex["after"]) for rule, exs in report["examples"]["repairs"].items()
                for ex in exs), ("rule", "before", "after")),
        "<h2>Examples of rejects</h2>",
        _table(((reason, ex) for reason, exs in report["examples"]["rejects"].items() for ex in exs),
               ("reason", "text")),
        "<h2>Inputs</h2>",
        _inputs_table(report["inputs"]),
        "</body></html>",
    ]
    return "\n".join(parts)
