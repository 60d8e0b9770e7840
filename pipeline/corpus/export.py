"""Corpus assembly: per-document final segments -> pairs + rejects -> filtered corpus files, English
documents, review file, report and manifest in one folder; plus the atomic ``latest`` switch."""
from __future__ import annotations

import itertools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import msgspec

from pipeline import stages
from pipeline.config import SECTIONS, Config
from pipeline.corpus.filters import PairFilter
from pipeline.ingest.reader import Ingested
from pipeline.records import Segment, StageHeader
from pipeline.corpus import schema
from pipeline.corpus.card import dataset_card
from pipeline.corpus.quality import QualityScorer
from pipeline.corpus.report import ReportBuilder
from pipeline.corpus.writers import JsonlWriter, ParallelWriter, file_digest, write_json, write_text

CORPUS_FILES = ("es-en.jsonl", "es-en.parquet", "es-en.tsv", "es-en.origin.tsv", "es-en.es", "es-en.en",
                "es-en.tmx", "provenance.jsonl", "rejected.jsonl", "review.jsonl", "README.md")


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


def _machine_translation(seg: Segment) -> schema.MachineTranslation:
    """The engine of the machine-translated side (origin -> other language)."""
    direction = f"{seg.origin}-{'en' if seg.origin == 'es' else 'es'}"
    info = seg.translation.get(direction) or next(iter(seg.translation.values()), None)
    if info is None:
        return schema.MachineTranslation(direction, "", "")
    return schema.MachineTranslation(direction, info.engine, info.version)


def _source(seg: Segment, ing: Ingested) -> schema.Source:
    a, b, exact = ing.raw_byte_range(seg.start, seg.end)
    return schema.Source(path=ing.path, start=seg.start, end=seg.end, byte_start=a, byte_end=b, exact_bytes=exact,
                         paragraph=seg.paragraph, thread=seg.meta.thread or "")


def segment_pair(seg: Segment, ing: Ingested, quality: schema.Quality) -> schema.Pair:
    return schema.Pair(id=f"{seg.doc}:{seg.index}", doc=seg.doc, segment=seg.index, kind=seg.kind,
                       translation=schema.Texts(es=seg.es or "", en=seg.en or ""), origin=seg.origin or "",
                       lang_confidence=seg.confidence, mt=_machine_translation(seg), engine=_engine_label(seg),
                       quality=quality, source=_source(seg, ing))


def segment_provenance(seg: Segment) -> schema.Provenance:
    """Language spans, engine notes, repairs and flags. Cache hits are left out so a corpus does not depend
    on what an earlier, perhaps killed, run left in the translation cache (reruns must be byte-identical)."""
    return schema.Provenance(
        id=f"{seg.doc}:{seg.index}", lang_spans=list(seg.spans),
        translations=[schema.EngineRun(d, i.engine, i.version, [n for n in i.notes if n.type != "cache_hit"])
                      for d, i in sorted(seg.translation.items())],
        repairs=[schema.Repair(r.target, r.before, [s.rule for s in r.steps], list(r.steps)) for r in seg.repairs],
        flagged=list(seg.flagged))


def _count_lines(path: Path) -> int:
    return file_digest(path)[1]


def recount(folder: Path) -> dict[str, int]:
    """Pairs and segment rejects counted from the written files (not from the loop that wrote them)."""
    seg_rejects = 0
    with open(folder / "rejected.jsonl", "rb") as fh:
        for line in fh:
            if line.strip() and _REJECT_DECODER.decode(line).segment is not None:
                seg_rejects += 1
    return {"pairs": _count_lines(folder / "es-en.jsonl"), "segment_rejects": seg_rejects}


_REJECT_DECODER = msgspec.json.Decoder(schema.Reject)


def write_corpus(folder: Path, docs: Iterable[DocumentResult], cfg: Config, version: str,
                 scorer: Any = None) -> dict[str, Any]:
    """Write a complete corpus version into ``folder`` (which should be a fresh temporary folder).

    Streams: documents are consumed one at a time and every pair, reject and review item goes straight to
    its file; what stays in memory is counters, a few report examples, a short record per input document
    and 64-bit digests for duplicate removal. Records come out in document order. Pairs are scored by
    ``scorer`` (default: :class:`QualityScorer` with the configured engine), one batch per document.
    """
    folder.mkdir(parents=True, exist_ok=True)
    check = PairFilter(cfg.filters)
    min_quality = float(getattr(cfg.filters, "min_quality", 0.0))
    own_scorer = scorer is None
    if own_scorer:  # with the process's round-trip translator and what the batch task translated ahead
        from pipeline.corpus.quality import shared_round_trips

        scorer = (QualityScorer(cfg, shared=shared_round_trips(cfg)) if cfg.filters.round_trip
                  else QualityScorer(cfg, round_trip=False))
    report = ReportBuilder()
    engines: dict[str, Any] = {}
    segments_in_stage_files = 0
    try:
        with ParallelWriter(folder) as out, JsonlWriter(folder / "rejected.jsonl") as rejected, \
                JsonlWriter(folder / "review.jsonl") as review:
            def reject(r: schema.Reject) -> None:
                rejected.write(r)
                report.add_reject(r)

            for d in _prefetching(docs, scorer, check=check):
                h = d.header
                n_segments = len(d.segments) if d.ok else 0
                report.add_document({"doc": d.doc, "path": h.path, "sha256": h.sha256,
                                     "size": h.size, "encoding": h.encoding, "status": h.status,
                                     "reason": h.reason, "languages": [s.lang for s in d.segments],
                                     "stages": d.stage_counts}, segments=n_segments)
                # the segment stage's header states how many segments the document has
                seg_header = d.stage_counts.get("segment")
                segments_in_stage_files += sum(seg_header.values()) if seg_header is not None and d.ok \
                    else n_segments
                if not d.ok:
                    reject(schema.Reject(id=d.doc, doc=d.doc, segment=None, reason=f"document:{h.reason}",
                                         message=h.message or "", path=h.path))
                    continue
                ing = d.ingested()
                candidates: list[Segment] = []
                for seg in d.segments:
                    sid = f"{seg.doc}:{seg.index}"
                    for f in seg.flagged:
                        review.write({"id": sid, "target": f.target, "before": f.before,
                                      "items": [i.to_dict() for i in f.items]})
                    reason = stages.reject_reason(seg)
                    if not reason and (reason := check({"es": seg.es, "en": seg.en})):
                        reason = f"filter:{reason}"
                    if reason:
                        texts = schema.Texts(seg.es, seg.en) if reason.startswith("filter:") else None
                        reject(schema.Reject(id=sid, doc=seg.doc, segment=seg.index, reason=reason, kind=seg.kind,
                                             text=seg.text, lang=seg.lang, lang_confidence=seg.confidence,
                                             translation=texts, path=ing.path, source=_source(seg, ing)))
                    else:
                        candidates.append(seg)
                scores = scorer.score([(s.es, s.en) for s in candidates], [s.origin for s in candidates]) \
                    if candidates else []
                for seg, quality in zip(candidates, scores):
                    if quality.score < min_quality:
                        check.counts["min_quality"] += 1
                        reject(schema.Reject(id=f"{seg.doc}:{seg.index}", doc=seg.doc, segment=seg.index,
                                             reason="filter:min_quality", kind=seg.kind, text=seg.text, lang=seg.lang,
                                             lang_confidence=seg.confidence, translation=schema.Texts(seg.es, seg.en),
                                             quality=quality, path=ing.path, source=_source(seg, ing)))
                        continue
                    pair = segment_pair(seg, ing, quality)
                    prov = segment_provenance(seg)
                    out.write(pair, prov)
                    report.add_pair(pair, prov)
                    for direction, info in sorted(seg.translation.items()):
                        engines.setdefault(direction, {"engine": info.engine, "version": info.version})
                # one file per document: flushed to disk all at once below, not with an fsync each
                write_text(folder / "documents" / f"{d.doc}.en.txt", stages.english_document(d.segments, ing.text),
                           fsync=False)
    finally:
        if own_scorer:
            scorer.close()
    summary = report.build(engines=engines, config=_config_summary(cfg), filter_counts=dict(check.counts),
                           written=recount(folder), segments=segments_in_stage_files)
    summary["quality"] = {"model": quality_model_summary(scorer), "min_quality": min_quality,
                          "engine_error": getattr(scorer, "engine_error", None)}
    write_json(folder / "report.json", summary)
    write_text(folder / "README.md", dataset_card(summary, cfg, version))
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            sha, lines = file_digest(path)
            files[str(path.relative_to(folder))] = {"sha256": sha, "lines": lines, "bytes": path.stat().st_size}
    manifest = {"version": version, "pairs": out.count, "rejects": rejected.count, "files": files,
                "accounting_holds": summary["accounting"]["holds"], "engines": engines}
    # the manifest is written last: its presence marks the version complete, so everything else is on
    # disk before it (the per-document files were written without an fsync each)
    os.sync()
    write_json(folder / "manifest.json", manifest)
    return manifest


def _prefetching(docs: Iterable[DocumentResult], scorer: Any, size: int = 25,
                 first: int = 4, check: Any = None) -> Iterable[DocumentResult]:
    """The documents as given, in runs of ``size``; while one run is scored and written, the scorer
    translates the round trips of the next run's likely pairs in one engine pass in the background,
    instead of one engine call per document. The first run is only ``first`` documents: nothing can be
    scored before its round trips are in, so it is kept short. Which documents share a pass does not
    change a score (each document is its own engine batch), and a document whose pairs were guessed wrong
    is translated when it is scored, as before: the guess changes the time, not the result."""
    prefetch = getattr(scorer, "prefetch", None)
    it = iter(docs)
    if prefetch is None:
        yield from it
        return
    chunk = list(itertools.islice(it, max(1, first)))
    prefetch(_likely_pairs(chunk, check))
    while chunk:
        following = list(itertools.islice(it, size))
        getattr(scorer, "wait", lambda: None)()  # this chunk's round trips are in
        if following:  # guessed before this chunk goes through the filter: its pairs come first
            prefetch(_likely_pairs(following, check, before=chunk), background=True)
        yield from chunk
        chunk = following


def _likely_pairs(chunk: list[DocumentResult], check: Any = None,
                  before: list[DocumentResult] = ()) -> list[tuple[list, list]]:
    """The pairs of each document of ``chunk`` that will be scored: those no stage rejected and, with
    ``check`` (the export's :class:`PairFilter`, whose decisions guessing does not change), those it will
    keep when the documents of ``before`` and then ``chunk`` come next (the duplicates it rejects depend
    on the pairs before)."""
    docs = [d for d in [*before, *chunk] if d.ok]
    likely = [[s for s in d.segments if stages.reject_reason(s) is None] for d in docs]
    if check is not None:
        keep = iter(check.predict({"es": s.es, "en": s.en} for segs in likely for s in segs))
        likely = [[s for s in segs if next(keep)] for segs in likely]
    likely = likely[sum(1 for d in before if d.ok):]
    return [([(s.es, s.en) for s in segs], [s.origin for s in segs]) for segs in likely if segs]


def quality_model_summary(scorer: Any) -> dict[str, Any]:
    model = getattr(scorer, "model", None) or {}
    return {k: model[k] for k in ("with_round_trip", "without_round_trip", "length", "fitted_on") if k in model}


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


# --- object storage (an ``s3://`` output root): the version prefix, latest.json and the publish log ------
VERSION_PAGE_FILES = ("manifest.json", "report.json", "es-en.jsonl", "rejected.jsonl", "review.jsonl")
UPLOAD_THREADS = 8


def read_latest(output_root: str) -> dict[str, Any] | None:
    """The ``latest.json`` pointer of an object-store output root (None before the first publish). A
    reader resolves it once and then reads only ``corpus-versions/<version>/``."""
    from pipeline import storage

    try:
        data = json.loads(storage.read_text(storage.join(output_root, "latest.json")))
    except FileNotFoundError:
        return None
    return data if isinstance(data, dict) else None


def write_latest(output_root: str, version: str, published: str, manifest: dict[str, Any],
                 report: dict[str, Any]) -> None:
    """Point ``latest.json`` at ``version`` (one PUT: readers see the old pointer or the new one)."""
    from pipeline import storage

    counts = report.get("counts", {}) if isinstance(report.get("counts"), dict) else {}
    pointer = {"version": version, "published": published, "pairs": manifest.get("pairs"),
               "rejects": manifest.get("rejects"), "documents": counts.get("documents"),
               "documents_rejected": counts.get("documents_rejected"),
               "manifest": f"corpus-versions/{version}/manifest.json"}
    storage.write_text(storage.join(output_root, "latest.json"), json.dumps(pointer, sort_keys=True) + "\n")


def append_publish_log(output_root: str, record: dict[str, Any]) -> None:
    """Add a line to ``publish-log.jsonl`` (objects cannot be appended to: read, add, write back; publishes
    are serialised by the scheduler, one ``PublishCorpus`` per version)."""
    from pipeline import storage

    url = storage.join(output_root, "publish-log.jsonl")
    try:
        before = storage.read_bytes(url)
    except FileNotFoundError:
        before = b""
    storage.write_bytes(url, before + (json.dumps(record) + "\n").encode("utf-8"))


def upload_version(folder: Path, prefix: str) -> int:
    """Upload a finished local version folder under ``prefix``: every file (sha256 in its metadata), then
    ``manifest.json`` last, so the manifest's presence still means the version is complete. A version whose
    manifest is already there (an overlapping run, same fingerprint, same content) is left as it is.
    Returns the number of objects written."""
    from concurrent.futures import ThreadPoolExecutor

    from pipeline import storage

    manifest_url = storage.join(prefix, "manifest.json")
    if storage.exists(manifest_url):
        return 0
    names = [n for n in storage.list_files(str(folder)) if n != "manifest.json"]
    with ThreadPoolExecutor(UPLOAD_THREADS) as pool:
        list(pool.map(lambda n: storage.put_file(folder / n, storage.join(prefix, n)), names))
    storage.put_file(folder / "manifest.json", manifest_url)
    return len(names) + 1


def stage_previous(output_root: str, version_dir: Path) -> Path | None:
    """For an object-store root: fetch ``publish-log.jsonl`` and the files the report page compares (of the
    version published before ``version_dir``'s) next to the local ``version_dir``, laid out as on disk, so
    the page is the same as a local run's; returns the local copy of that version, or None."""
    from pipeline import storage
    from pipeline.corpus.report_html import publish_log

    root = version_dir.parent.parent
    try:
        log = storage.read_bytes(storage.join(output_root, "publish-log.jsonl"))
    except FileNotFoundError:
        return None
    root.mkdir(parents=True, exist_ok=True)
    (root / "publish-log.jsonl").write_bytes(log)
    names = [r.get("version") for r in publish_log(version_dir)]
    if version_dir.name in names:
        names = names[:len(names) - 1 - names[::-1].index(version_dir.name)]
    for name in reversed(names):
        if isinstance(name, str) and name and name != version_dir.name:
            remote = storage.join(output_root, "corpus-versions", name)
            if storage.exists(storage.join(remote, "manifest.json")):
                storage.copy_tree(remote, version_dir.parent / name, list(VERSION_PAGE_FILES))
                return version_dir.parent / name
    return None
