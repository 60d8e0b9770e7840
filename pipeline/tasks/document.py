"""Per-document tasks: ingest -> segment -> detect languages -> repair English source -> translate ->
repair translations. Each reads its upstream JSON-lines file, calls pipeline/ logic and writes its own."""
from __future__ import annotations

import json
from collections import Counter

import msgspec

from pipeline import stages
from pipeline import runtime
from pipeline.ingest.inputs import REASON_MESSAGES, SKIPPED
from pipeline.ingest.reader import Ingested, ingest_file
from pipeline.records import StageHeader, encode_line
from pipeline.segment.segmentation import SegmentationBudgetExceeded, segment_document
from pipeline.tasks.base import DocumentTask, doc_id_for, get_config, input_checksum, read_header, stage_path
from pipeline import storage


class InputChanged(RuntimeError):
    """An input changed between scheduling and reading: what was read is not what the output is named after."""


class IngestDocument(DocumentTask):
    """Decode and repair the raw article; a bad file becomes a rejected record, never a crash. What is read
    must be what the fingerprint was computed from, else the task fails and nothing is published."""

    stage = "ingest"
    sections = ("ingest",)
    # 3: documents with a line over ingest.max_line_bytes are rejected (in pipeline.ingest.reader)
    # 4: size checked before reading, UTF-32, NUL anywhere, links/FIFOs/folders rejected with a reason
    version = 4

    def requires(self):
        return []

    def run(self):
        expected = self.scheduled_upstream()
        if expected.startswith(SKIPPED):  # a link out of the folder, a FIFO ...: never opened
            reason = expected[len(SKIPPED):]
            rec = Ingested(doc=self.doc_id, path=self.doc_path, sha256="", size=0, status="rejected",
                           reason=reason, message=REASON_MESSAGES.get(reason, reason))
            read = input_checksum(self.doc_path)
        else:
            rec = ingest_file(self.doc_id, self.doc_path, self.cfg.ingest)
            if rec.sha256:  # the bytes read
                read = rec.sha256
            elif rec.reason == "unreadable":  # unreadable now: it must have been so when scheduled
                read = expected if expected == "missing" or expected.startswith("unreadable:") else "unreadable"
            else:  # too large, so not read: as it is now
                read = input_checksum(self.doc_path)
        if read != expected:
            raise InputChanged(f"{self.doc_path} changed after the run was scheduled (checksum {expected[:16]} "
                               f"then {read[:16]}); it was not processed and nothing is published: run again")
        header = msgspec.convert({**rec.to_dict(), "stage": self.stage, "fingerprint": self.fingerprint()},
                                 StageHeader)
        with storage.open_write(self.output().path, "wb") as fh:
            fh.write(encode_line(header))


class SegmentDocument(DocumentTask):
    stage = "segment"
    sections = ("ingest", "segmentation")
    version = 2  # 2: linear duplicate-paragraph check with a per-document work budget

    def requires(self):
        return self.clone(IngestDocument)

    def run(self):
        header = read_header(self.input().path)
        segments = []
        if header.status == "ok":
            try:
                segments = segment_document(self.doc_id, header.text, self.cfg.segmentation)
            except SegmentationBudgetExceeded as exc:  # one pathological file must not hold the corpus
                header = msgspec.structs.replace(header, status="rejected", reason="segmentation_budget",
                                                 message=str(exc))
        self.write_stage(msgspec.structs.replace(header, counts=dict(Counter(s.kind for s in segments))), segments)


class _SegmentStage(DocumentTask):
    """A stage that maps the segment list of one document to a new one."""

    upstream: type[DocumentTask]

    def requires(self):
        return self.clone(self.upstream)

    def run(self):
        header, segments = self.read_upstream()
        self.progress(f"{self.stage}: {len(segments)} segments", 0)
        segments = self.transform(header, segments) if segments else segments
        self.write_stage(msgspec.structs.replace(header, counts=self.counts(segments)), segments)
        self.progress(f"{self.stage}: done", 100)

    def transform(self, header, segments):
        raise NotImplementedError

    def counts(self, segments):
        return dict(Counter(s.kind for s in segments))


class DetectLanguages(_SegmentStage):
    stage = "detect"
    sections = ("ingest", "segmentation", "langid")
    upstream = SegmentDocument

    def transform(self, header, segments):
        return stages.detect_stage(segments, runtime.detector(self.cfg))

    def counts(self, segments):
        return dict(Counter(s.lang for s in segments))


def _context(segments):
    from pipeline.repair.repairer import DocumentContext

    return DocumentContext.from_texts([s.text for s in segments if s.lang == "en"])


class _RepairStage(_SegmentStage):
    version = 6  # 2: Title Case rules of December 2026 (graded context margin, document evidence);
    # 3: collapse_repeats keeps repetition that grammar makes ('whatever happens happens', 'on it it will');
    # 4: lone nouns with strong lower-case evidence after a determiner, by the tagger;
    # 5: the same after a sentence's first function word ('This Opinion is'); a short line with every word
    # capitalised is a headline ('Can Islam Be French?'); 6: names after 'called the', a preposition as a
    # name after a preposition, no verb slot after the copula, 'theCompetitiveness Plan' keeps its capital

    @classmethod
    def extra_fingerprint(cls, cfg, output_dir):
        # the optional tagger (extra 'tagger') changes some case repairs: installing or removing it makes
        # the repaired outputs stale
        return runtime.tagger_identity()


class RepairSource(_RepairStage):
    """Repair English originals before translating them, so the Spanish side is built from clean text."""

    stage = "repair_source"
    sections = ("ingest", "segmentation", "langid", "repairs")
    upstream = DetectLanguages

    def transform(self, header, segments):
        return stages.repair_source_stage(segments, runtime.repairer(self.cfg), _context(segments))

    def counts(self, segments):
        return {"repaired": sum(1 for s in segments if s.repairs), "flagged": sum(1 for s in segments if s.flagged)}


class TranslateSegments(_SegmentStage):
    stage = "translate"
    version = 2  # 2: a piece that continues its segment's sentence keeps a lower-case first word (continue_case)
    sections = ("ingest", "segmentation", "langid", "repairs", "translation")
    upstream = RepairSource

    @classmethod
    def extra_fingerprint(cls, cfg, output_dir):
        # installing an argos package switches 'auto' to it: outputs made by the old engine go stale
        return json.dumps(runtime.engine_identity(cfg, output_dir), sort_keys=True)

    def transform(self, header, segments):
        return stages.translate_stage(segments, runtime.translator(self.cfg, self.output_dir), _names(segments))

    @classmethod
    def run_many(cls, tasks: list["TranslateSegments"]) -> None:
        """``run`` for several documents with one engine pass per direction for all of them (what each
        document gets is what its own ``run`` gives when they run one after the other)."""
        if not tasks:
            return
        docs = [t.read_upstream() for t in tasks]
        stages.translate_documents([(segments, _names(segments)) for _, segments in docs],
                                   runtime.translator(tasks[0].cfg, tasks[0].output_dir))
        for t, (header, segments) in zip(tasks, docs):
            t.write_stage(msgspec.structs.replace(header, counts=t.counts(segments)), segments)

    def counts(self, segments):
        c = Counter()
        for s in segments:
            for direction, info in s.translation.items():
                c[f"{direction}:{'ok' if info.text is not None else info.reason}"] += 1
        return dict(c)


def _names(segments):
    from pipeline.translate.translator import NameIndex

    return NameIndex.from_texts([s.en or s.text for s in segments if s.lang == "en"])


class RepairTranslations(_RepairStage):
    stage = "repair"
    sections = ("ingest", "segmentation", "langid", "repairs", "translation")
    upstream = TranslateSegments

    def transform(self, header, segments):
        return stages.repair_translation_stage(segments, runtime.repairer(self.cfg), _context(segments))

    def counts(self, segments):
        return {"repaired": sum(1 for s in segments if s.repairs), "flagged": sum(1 for s in segments if s.flagged)}


CHAIN: tuple[type[DocumentTask], ...] = (IngestDocument, SegmentDocument, DetectLanguages, RepairSource,
                                          TranslateSegments, RepairTranslations)


def document_chain(doc_path: str, output_dir: str, config_path: str) -> list[DocumentTask]:
    """The stage tasks of one document, oldest first (the one definition of the per-document chain)."""
    return [stage(doc_path=doc_path, output_dir=output_dir, config_path=config_path) for stage in CHAIN]


def document_fingerprint(doc_path: str, output_dir: str, config_path: str) -> str:
    """The fingerprint of a document's last stage (``RepairTranslations``), computed without Luigi task
    objects; equal to ``RepairTranslations(...).fingerprint()``."""
    cfg = get_config(config_path)
    fp = input_checksum(doc_path)
    for stage in CHAIN:
        fp = stage.stage_fingerprint(fp, cfg, output_dir)
    return fp


def final_output(doc_path: str, output_dir: str, config_path: str) -> str:
    """Where ``RepairTranslations`` writes this document (a path or an ``s3://`` URL): its presence means
    the document is done."""
    return stage_path(output_dir, RepairTranslations.stage, doc_id_for(doc_path),
                      document_fingerprint(doc_path, output_dir, config_path))
