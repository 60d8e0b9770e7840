"""Corpus assembly: per-document final segments -> pairs + rejects -> filtered corpus files, English
documents, review file, report and manifest in one folder; plus the atomic ``latest`` switch."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from pipeline import stages
from pipeline.config import SECTIONS, Config
from pipeline.corpus.filters import PairFilter
from pipeline.ingest.reader import Ingested
from pipeline.records import Segment, StageHeader, Translation
from pipeline.corpus.report import ReportBuilder, render_html
from pipeline.corpus.writers import JsonlWriter, ParallelWriter, file_digest, write_text

CORPUS_FILES = ("es-en.jsonl", "es-en.tsv", "es-en.es", "es-en.en", "es-en.tmx", "rejected.jsonl", "review.jsonl")


@dataclass
class DocumentResult:
    doc: str
    header: StageHeader
    segments: list[Segment]
    stage_counts: dict[str, dict] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.header.status == "ok"

    def ingested(self) -> Ingested:
        h = self.header
        return Ingested(doc=self.doc, path=h.path, sha256=h.sha256, size=h.size, encoding=h.encoding, text=h.text,
                        lines=list(h.lines))


def _engine_label(seg: Segment) -> str:
    return "; ".join(f"{d}:{i.engine} {i.version}" for d, i in sorted(seg.translation.items()))


def _published_translation(info: Translation) -> dict[str, Any]:
    """Engine, version and notes; cache hits are left out so a corpus does not depend on what an earlier,
    perhaps killed, run left in the translation cache (reruns must be byte-identical)."""
    return {"engine": info.engine, "version": info.version,
            "notes": [n.to_dict() for n in info.notes if n.type != "cache_hit"]}


def segment_pair(doc: DocumentResult, seg: Segment, ing: Ingested) -> dict[str, Any]:
    a, b, exact = ing.raw_byte_range(seg.start, seg.end)
    return {
        "id": f"{seg.doc}:{seg.index}",
        "doc": seg.doc,
        "segment": seg.index,
        "kind": seg.kind,
        "es": seg.es,
        "en": seg.en,
        "origin": seg.origin,
        "lang": seg.lang,
        "lang_confidence": seg.confidence,
        "lang_spans": [sp.to_dict() for sp in seg.spans],
        "engine": _engine_label(seg),
        "translation": {d: _published_translation(info) for d, info in seg.translation.items()},
        "repairs": [{"target": r.target, "rules": [s.rule for s in r.steps], "before": r.before,
                     "steps": [s.to_dict() for s in r.steps]} for r in seg.repairs],
        "flagged": [f.to_dict() for f in seg.flagged],
        "source": {"path": ing.path, "start": seg.start, "end": seg.end, "byte_start": a, "byte_end": b,
                   "exact_bytes": exact, "paragraph": seg.paragraph, **({"thread": seg.meta.thread}
                                                                        if seg.meta.thread else {})},
    }


def write_corpus(folder: Path, docs: Iterable[DocumentResult], cfg: Config, version: str) -> dict[str, Any]:
    """Write a complete corpus version into ``folder`` (which should be a fresh temporary folder).

    Streams: documents are consumed one at a time and every pair, reject and review item goes straight to
    its file; what stays in memory is counters, a few report examples, a short record per input document
    and 64-bit digests for duplicate removal. Records come out in document order.
    """
    folder.mkdir(parents=True, exist_ok=True)
    check = PairFilter(cfg.filters)
    report = ReportBuilder()
    engines: dict[str, Any] = {}
    with ParallelWriter(folder) as out, JsonlWriter(folder / "rejected.jsonl") as rejected, \
            JsonlWriter(folder / "review.jsonl") as review:
        def reject(r: dict[str, Any]) -> None:
            rejected.write(r)
            report.add_reject(r)

        for d in docs:
            h = d.header
            report.add_document({"doc": d.doc, "path": h.path, "sha256": h.sha256,
                                 "size": h.size, "encoding": h.encoding, "status": h.status,
                                 "reason": h.reason, "languages": [s.lang for s in d.segments],
                                 "stages": d.stage_counts}, segments=len(d.segments) if d.ok else 0)
            if not d.ok:
                reject({"doc": d.doc, "segment": None, "reason": f"document:{h.reason}",
                        "message": h.message, "path": h.path})
                continue
            ing = d.ingested()
            for seg in d.segments:
                pair = segment_pair(d, seg, ing)
                for f in seg.flagged:
                    review.write({"id": pair["id"], "target": f.target, "before": f.before,
                                  "items": [i.to_dict() for i in f.items]})
                reason = stages.reject_reason(seg)
                if reason:
                    reject({"doc": seg.doc, "segment": seg.index, "reason": reason, "kind": seg.kind,
                            "text": seg.text, "lang": seg.lang, "lang_confidence": seg.confidence,
                            "source": pair["source"]})
                elif (reason := check(pair)):
                    reject({"doc": pair["doc"], "segment": pair["segment"], "reason": f"filter:{reason}",
                            "kind": pair["kind"], "es": pair["es"], "en": pair["en"], "source": pair["source"]})
                else:
                    out.write(pair)
                    report.add_pair(pair)
                    for direction, info in pair["translation"].items():
                        engines.setdefault(direction, {"engine": info.get("engine"), "version": info.get("version")})
            write_text(folder / "documents" / f"{d.doc}.en.txt", stages.english_document(d.segments, ing.text))
    summary = report.build(engines=engines, config=_config_summary(cfg), filter_counts=dict(check.counts))
    write_text(folder / "report.json", json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    write_text(folder / "report.html", render_html(summary))
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            sha, lines = file_digest(path)
            files[str(path.relative_to(folder))] = {"sha256": sha, "lines": lines, "bytes": path.stat().st_size}
    manifest = {"version": version, "pairs": out.count, "rejects": rejected.count, "files": files,
                "accounting_holds": summary["accounting"]["holds"], "engines": engines}
    # the manifest is written last: its presence marks the version complete
    write_text(folder / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    return manifest


def _config_summary(cfg: Config) -> dict[str, Any]:
    d = {name: cfg.section_settings(name) for name in SECTIONS}
    d.pop("source", None)
    return {"source": cfg.source, "fingerprint": cfg.fingerprint(), "settings": d}


def switch_link(link: Path, target: Path) -> None:
    """Atomically point the symlink ``link`` at ``target`` (relative to the link's folder)."""
    if link.exists() and not link.is_symlink():
        raise RuntimeError(f"{link} exists and is not a symlink; move it away so the corpus can be published")
    tmp = link.parent / f".{link.name}.{os.getpid()}.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)
