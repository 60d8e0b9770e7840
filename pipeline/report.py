"""Run report: what was kept, changed and rejected, and why, as ``report.json`` and ``report.html``.

Input: the corpus pairs, the rejects, per-document stage records and run metadata; output: one dict (also
rendered as a self-contained HTML page with SVG bar charts). The accounting identity — every input segment
is a corpus pair or a reject — is computed here and stated in both.
"""
from __future__ import annotations

import html
from collections import Counter
from typing import Any, Iterable


def build_report(*, pairs: list[dict[str, Any]], rejects: list[dict[str, Any]],
                 documents: list[dict[str, Any]], segments_total: int, engines: dict[str, Any],
                 config: dict[str, Any], filter_counts: dict[str, int], examples_per_item: int = 3) -> dict[str, Any]:
    reasons = Counter(r["reason"] for r in rejects)
    seg_rejects = sum(1 for r in rejects if r.get("segment") is not None)
    rules: Counter[str] = Counter()
    rule_examples: dict[str, list[dict[str, str]]] = {}
    for p in pairs:
        for rep in p.get("repairs", []):
            for step in rep.get("steps", []):
                rules[step["rule"]] += 1
                ex = rule_examples.setdefault(step["rule"], [])
                if len(ex) < examples_per_item:
                    ex.append({"before": rep.get("before", ""), "after": p["en"]})
    flagged = sum(len(p.get("flagged", [])) for p in pairs)
    reject_examples: dict[str, list[str]] = {}
    for r in rejects:
        ex = reject_examples.setdefault(r["reason"], [])
        if len(ex) < examples_per_item:
            ex.append(r.get("text") or r.get("es") or r.get("en") or r.get("message") or "")
    accounted = len(pairs) + seg_rejects
    return {
        "counts": {
            "documents": len(documents),
            "documents_rejected": sum(1 for d in documents if d["status"] != "ok"),
            "segments": segments_total,
            "pairs": len(pairs),
            "segment_rejects": seg_rejects,
            "flagged_for_review": flagged,
        },
        "accounting": {
            "identity": "segments == pairs + segment_rejects",
            "segments": segments_total,
            "pairs_plus_rejects": accounted,
            "holds": accounted == segments_total,
        },
        "per_stage": _per_stage(documents),
        "per_language": dict(Counter(d for doc in documents for d in doc.get("languages", []))),
        "per_origin": dict(Counter(p["origin"] for p in pairs)),
        "per_repair_rule": dict(rules.most_common()),
        "per_reject_reason": dict(reasons.most_common()),
        "filter_drops": dict(filter_counts),
        "engines": engines,
        "inputs": [{k: d.get(k) for k in ("doc", "path", "sha256", "size", "encoding", "status", "reason")}
                   for d in documents],
        "examples": {"repairs": rule_examples, "rejects": reject_examples},
        "config": config,
    }


def _per_stage(documents: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    stages: dict[str, Counter[str]] = {}
    for d in documents:
        for stage, counts in d.get("stages", {}).items():
            stages.setdefault(stage, Counter()).update(counts)
    return {k: dict(v) for k, v in stages.items()}


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
        _table(((d["doc"], d["status"], d.get("reason") or "", d.get("encoding") or "", d.get("size"),
                 (d.get("sha256") or "")[:16]) for d in report["inputs"]),
               ("document", "status", "reason", "encoding", "bytes", "sha256")),
        "</body></html>",
    ]
    return "\n".join(parts)
