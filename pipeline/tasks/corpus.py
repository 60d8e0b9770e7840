"""Corpus-level tasks: export every document's pairs into a versioned corpus folder, publish it by an
atomic switch of ``<output>/corpus``, and the ``BuildCorpus`` wrapper that scheduled runs call."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import luigi
import luigi.util

from pipeline import __version__ as pipeline_version
from pipeline import runtime, storage
from pipeline.tasks.base import (PipelineTask, _hash, doc_id_for, forget_task_instances, read_header, list_inputs,
                                 read_stage, setting, stage_path)
from pipeline.tasks.luigi_internals import SettingFloatParameter, SettingParameter
from pipeline.tasks.document import (CHAIN, InputChanged, RepairTranslations, TranslateSegments, document_chain,
                                     document_fingerprint, final_output)
from pipeline.corpus import export as corpus_logic
from pipeline.corpus import report_html
from pipeline.corpus import quality as corpus_quality
from pipeline.corpus.guards import PublishPolicy, publish_refusal


class PublishRefused(RuntimeError):
    """A publish guard stopped the switch; the message says which and which flag overrides it."""


class CorpusTask(PipelineTask):
    input_dir = SettingParameter(settings=setting("input_dir"))
    # 0: six Luigi tasks per document. N > 0: one ProcessDocuments task per N documents (same per-document
    # files and fingerprints, so switching is free), which keeps 10,000+ articles cheap for the scheduler.
    batch_size = luigi.IntParameter(default=0, significant=False)

    def input_paths(self) -> list[str]:
        return [str(p) for p in list_inputs(self.input_dir)]

    def document_requirements(self, paths: list[str] | None = None) -> list[luigi.Task]:
        if paths is None:
            paths = self.input_paths()
        if self.batch_size <= 0:
            return [self.clone(RepairTranslations, doc_path=p) for p in paths]
        # batches: no per-document task objects
        return [self.clone(ProcessDocuments, doc_paths=paths[i:i + self.batch_size])
                for i in range(0, len(paths), self.batch_size)]


def batch_name(doc_paths) -> str:
    """A short, readable name for a batch of documents: first document, how many more, and a digest of
    the whole list (so two batches never share a name).

    >>> batch_name(["in/a.txt", "in/b.txt", "in/c.txt"])
    'a.txt+2-813b725f'
    """
    paths = list(doc_paths)
    first = Path(paths[0]).name if paths else "empty"
    return f"{first}+{len(paths) - 1}-{_hash(*paths)[:8]}"


def start_engines(translator) -> None:
    """Start the translator's persistent engines for both directions now (apertium's programs then load
    their dictionaries while this process prepares the first documents); an engine that cannot start is
    left for the first translation, which reports it."""
    for src, tgt in (("en", "es"), ("es", "en")):
        try:
            translator.start(src, tgt)
        except Exception:  # noqa: BLE001 - reported by the first batch that needs the engine
            pass


def chunk_sizes(n: int, size: int = 25, first: int = 4) -> list[int]:
    """Documents per engine pass for a batch of ``n``: ``size``, except at both ends, where the sizes
    double from ``first`` up and halve down again. Nothing overlaps the first chunk's earlier stages (the
    engine waits for them) or the last chunk's translation and what follows it (the export waits), so
    both are kept short; in between, a chunk's stages before translation take about as long as the
    previous chunk's translation. Which documents share a pass does not change a translation.

    >>> chunk_sizes(100), chunk_sizes(200)
    ([4, 8, 16, 22, 22, 16, 8, 4], [4, 8, 16, 24, 24, 24, 24, 24, 24, 16, 8, 4])
    >>> chunk_sizes(57), chunk_sizes(10), chunk_sizes(3), chunk_sizes(0)
    ([4, 8, 17, 16, 8, 4], [6, 4], [3], [])
    >>> all(sum(chunk_sizes(n)) == n and max(chunk_sizes(n), default=0) <= 25 for n in range(300))
    True
    """
    ramp, s = [], max(1, first)
    while s < size:
        ramp.append(s)
        s *= 2
    head: list[int] = []
    tail: list[int] = []
    left = n
    for s in ramp:  # each end takes its next size while enough is left for it
        for end in (head, tail):
            if left >= s:
                end.append(s)
                left -= s
    k = -(-left // size)  # the middle in as few chunks of at most ``size`` as it takes, as even as can be
    middle = [left // k + (j < left % k) for j in range(k)] if k else []
    if len(middle) == 1 and head and middle[0] < first and head[-1] + middle[0] <= size:
        head[-1] += middle.pop()  # no pass of a document or two
    return head + middle + tail[::-1]


class ProcessDocuments(PipelineTask):
    """All six stages for a batch of documents in one Luigi task, stage by stage across the batch: the
    translation stage sends every document of the batch through the engine in one pass per direction.
    Each stage still writes its own per-document file, and only stages whose file is missing run.

    The scheduler (luigid's page) knows the task by ``batch`` (see ``batch_name``); the list of documents
    is a hidden parameter, written to ``<output>/batches/<batch>.json`` when the task runs."""

    batch = luigi.Parameter(default="")
    doc_paths = luigi.ListParameter(significant=False, visibility=luigi.parameter.ParameterVisibility.HIDDEN)

    def __init__(self, *args, **kwargs):
        if not kwargs.get("batch") and "doc_paths" in kwargs:
            kwargs["batch"] = batch_name(kwargs["doc_paths"])
        super().__init__(*args, **kwargs)

    def complete(self):
        return all(storage.exists(final_output(p, self.output_dir, self.config_path)) for p in self.doc_paths)

    def write_batch_list(self, seconds: dict[str, float] | None = None) -> str:
        """``<output>/batches/<batch>.json`` (a folder or an ``s3://`` prefix): the documents, and after a run
        the seconds each stage took."""
        path = storage.join(self.output_dir, "batches", f"{self.batch}.json")
        if seconds is not None or not storage.exists(path):
            record = {"batch": self.batch, "doc_paths": list(self.doc_paths)}
            if seconds is not None:
                record["seconds"] = {k: round(v, 3) for k, v in seconds.items()}
            storage.write_bytes(path, json.dumps(record, indent=1).encode())
        return path

    CHUNK = 25  # documents per engine pass; the next chunk's earlier stages run meanwhile
    FIRST = 4  # the first and last chunks are smaller (see ``chunk_sizes``)

    def run(self):
        """The stages before translation run for the next chunk of documents in a helper thread while the
        engine translates the current one (the engine's processes and this process's Python then use both
        cores); the stage after translation follows in the same helper thread. Chunks are translated in
        order, so each document's result is what stage-by-stage gives it (a segment an earlier document
        translates is a cache hit for a later one, as before)."""
        self.write_batch_list()
        chains = [document_chain(p, self.output_dir, self.config_path) for p in self.doc_paths]
        steps, n = len(CHAIN), len(chains)
        t = CHAIN.index(TranslateSegments)
        seconds = dict.fromkeys((stage.stage for stage in CHAIN), 0.0)  # time in each stage, either thread

        def run_stages(chunk, ks) -> None:
            for k in ks:
                started = time.monotonic()
                for task in [chain[k] for chain in chunk if not chain[k].complete()]:
                    task.run()
                seconds[CHAIN[k].stage] += time.monotonic() - started

        handoff = corpus_quality.round_trip_handoff(self.cfg)  # None unless the export runs in this process

        def finish(chunk) -> None:
            run_stages(chunk, range(t + 1, steps))
            if handoff is not None:  # the quality score's round trips, translated while later chunks run
                last = [(chain[-1], read_stage(chain[-1].output().path)) for chain in chunk]
                likely = corpus_logic._likely_pairs([corpus_logic.DocumentResult(task.doc_id, header, segs)
                                                     for task, (header, segs) in last])
                handoff.start(likely)
                handoff.warm_langid(runtime.detector(self.cfg), likely)  # while the engine translates

        chunks, i = [], 0
        for size in chunk_sizes(n, self.CHUNK, self.FIRST):
            chunks.append(chains[i:i + size])
            i += size
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="batch-stages")
        pending = []
        try:
            prepared = pool.submit(run_stages, chunks[0], range(t)) if chunks else None
            if any(not chain[t].complete() for chain in chains):  # their dictionaries load meanwhile
                start_engines(runtime.translator(self.cfg, self.output_dir))
            for i, chunk in enumerate(chunks):
                prepared.result()
                if i + 1 < len(chunks):
                    prepared = pool.submit(run_stages, chunks[i + 1], range(t))
                started = time.monotonic()
                TranslateSegments.run_many([chain[t] for chain in chunk if not chain[t].complete()])
                seconds[TranslateSegments.stage] += time.monotonic() - started
                pending.append(pool.submit(finish, chunk))
                done = min(n, (i + 1) * self.CHUNK)
                self.progress(f"translate: {done}/{n} documents", int(95 * done / n))
            for f in pending:
                f.result()
            self.progress(f"repair: {n}/{n} documents", 100)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        self.write_batch_list(seconds)
        forget_task_instances()


class ExportCorpus(CorpusTask):
    """Pairs, rejects, English documents and the report, written to corpus-versions/<fingerprint>/."""

    stage = "export"
    # the quality score uses the engine (round trip) and the language detector
    sections = ("filters", "translation", "langid")
    version = 3  # 3: the round trip translates the machine-translated side back (it translated the original
    # again, so compared the engine with itself: round_trip 1.0 for most pairs)

    def requires(self):
        self.fingerprint()
        return self.document_requirements(list(self._docs))  # the inputs as scheduled, not as they are now

    def document_fingerprints(self) -> dict[str, str]:
        """{input path: fingerprint of its last stage}, from the input folder as it is now."""
        return {p: document_fingerprint(p, self.output_dir, self.config_path) for p in self.input_paths()}

    def fingerprint(self) -> str:
        """Taken once, when the run is scheduled; with it the input set it describes (``_docs``), which the
        export reads and which must still hold when the version is written and published."""
        if not hasattr(self, "_fp"):
            self._docs = self.document_fingerprints()
            self._fp = _hash(self.stage, str(self.version), pipeline_version, self.cfg.fingerprint(*self.sections),
                             corpus_quality.MODEL_PATH.read_text(encoding="utf-8"),
                             *sorted(f"{doc_id_for(p)}={fp}" for p, fp in self._docs.items()))
        return self._fp

    def verify_inputs(self) -> None:
        """Raise ``InputChanged`` when the input folder no longer matches what the fingerprint describes
        (a file added, removed or edited since scheduling): the version id must mean this content."""
        self.fingerprint()
        now = self.document_fingerprints()
        if now == self._docs:
            return
        changes = [f"added {p}" for p in sorted(set(now) - set(self._docs))]
        changes += [f"removed {p}" for p in sorted(set(self._docs) - set(now))]
        changes += [f"changed {p}" for p in sorted(set(now) & set(self._docs)) if now[p] != self._docs[p]]
        raise InputChanged(f"inputs changed during the run ({'; '.join(changes[:5])}"
                           f"{f' and {len(changes) - 5} more' if len(changes) > 5 else ''}); "
                           "nothing published: run again")

    def version_dir(self) -> Path:
        return self.out_root / "corpus-versions" / self.fingerprint()

    def version_path(self) -> str:
        """The version's folder or, under an ``s3://`` output, its prefix."""
        return storage.join(self.output_dir, "corpus-versions", self.fingerprint())

    def output(self):
        return storage.target(storage.join(self.version_path(), "manifest.json"))

    def run(self):
        remote = storage.is_remote(self.output_dir)
        # object storage: the version is built in this host's local folder, as on disk, then uploaded
        root = Path(storage.local_dir(self.output_dir)) / f".export-{os.getpid()}" if remote else self.out_root
        final = root / "corpus-versions" / self.fingerprint()
        tmp = final.parent / f".tmp-{final.name}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        self.verify_inputs()
        docs = self._docs  # the documents the fingerprint names, not whatever the folder holds by now
        paths = list(docs)

        def documents():  # one document in memory at a time (a few ahead on object storage)
            for i, result in enumerate(_document_results(paths, docs, self.output_dir, self.config_path)):
                yield result
                if i % 50 == 0:
                    forget_task_instances()
                    self.progress(f"exporting {i}/{len(paths)} documents", int(80 * i / max(1, len(paths))))

        try:
            manifest = corpus_logic.write_corpus(tmp, documents(), self.cfg, version=self.fingerprint())
            # its file list has an entry per document; only the two counts are needed from here on
            manifest = {"pairs": manifest["pairs"], "rejects": manifest["rejects"]}
            # The page compares with the version published before this one (the one `corpus` points at now).
            previous = corpus_logic.stage_previous(self.output_dir, final) if remote \
                else report_html.previous_version(final)
            report_html.write_report(tmp, previous, exporting=True)
            self.verify_inputs()
        except BaseException:  # disk full, killed worker ...: leave no half-written version behind
            shutil.rmtree(root if remote else tmp, ignore_errors=True)
            raise
        if remote:  # every file, then manifest.json: a prefix without a manifest is an unfinished upload
            try:
                corpus_logic.upload_version(tmp, self.version_path())
            finally:
                shutil.rmtree(root, ignore_errors=True)
        else:
            try:
                os.rename(tmp, final)  # atomic: the version folder appears complete or not at all
            except OSError:
                if (final / "manifest.json").exists():  # an overlapping run published the same version
                    shutil.rmtree(tmp, ignore_errors=True)
                else:
                    raise
        self.progress(f"exported {len(paths)} documents: {manifest['pairs']} pairs, {manifest['rejects']} rejects",
                      100)


PREFETCH = 8  # documents read ahead by threads when the stage files are objects (each read is a request)


def _document_results(paths: list[str], docs: dict[str, str], output_dir: str, config_path: str):
    """The export's input, in input order: each document's final segments and its per-stage counts. On
    object storage the seven reads per document are network round trips, so up to ``PREFETCH`` documents
    are read ahead by threads (the paths are worked out here, in this thread: Luigi's task cache is not
    thread-safe); locally they are read one after the other, as before."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    def load(doc: str, final: str, stage_files: list[tuple[str, str]]) -> corpus_logic.DocumentResult:
        header, segments = read_stage(final)
        return corpus_logic.DocumentResult(doc, header, segments, _stage_counts(stage_files))

    def jobs():
        for path in paths:
            doc = doc_id_for(path)
            yield (doc, stage_path(output_dir, RepairTranslations.stage, doc, docs[path]),
                   [(t.stage, t.output().path) for t in document_chain(path, output_dir, config_path)])

    if not storage.is_remote(output_dir):
        for job in jobs():
            yield load(*job)
        return
    with ThreadPoolExecutor(PREFETCH) as pool:
        pending: deque = deque()
        for job in jobs():
            pending.append(pool.submit(load, *job))
            if len(pending) > PREFETCH:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _stage_counts(stage_files: list[tuple[str, str]]) -> dict[str, dict]:
    """Counts recorded in the header of every stage file of one document, oldest stage first."""
    out = {}
    for stage, path in stage_files:
        try:
            header = read_header(path)
        except FileNotFoundError:
            continue
        out[stage] = {header.status: 1} if stage == "ingest" else header.counts
    return out


class PublishCorpus(CorpusTask):
    """Point ``<output>/corpus`` at the exported version; readers never see a half-written corpus. The
    publish guards (pipeline.corpus.guards) may refuse the switch; the flags below override them."""

    allow_empty = luigi.BoolParameter(default=False, significant=False)
    allow_shrink = luigi.BoolParameter(default=False, significant=False)
    max_shrink = SettingFloatParameter(settings=setting("max_shrink"), significant=False)

    def requires(self):
        if not hasattr(self, "_export"):  # kept: its fingerprint covers every document
            self._export = self.clone(ExportCorpus)
        return self._export

    def link(self) -> Path:
        return self.out_root / "corpus"

    def complete(self):
        if storage.is_remote(self.output_dir):  # latest.json names this version, and its manifest is there
            latest = corpus_logic.read_latest(self.output_dir)
            export = self.requires()
            return bool(latest) and latest.get("version") == export.fingerprint() and \
                storage.exists(storage.join(export.version_path(), "manifest.json"))
        target = self.requires().version_dir()
        return self.link().is_symlink() and self.link().resolve() == target.resolve() and target.is_dir()

    def run(self):
        if storage.is_remote(self.output_dir):
            return self.run_remote()
        export = self.requires()
        version = export.version_dir()
        export.verify_inputs()
        current = self.link().resolve() if self.link().is_symlink() else None
        refusal = publish_refusal(version, current, PublishPolicy(self.allow_empty, self.allow_shrink,
                                                                  self.max_shrink))
        if refusal:
            raise PublishRefused(f"not published: {refusal} (version {version.name} is kept)")
        corpus_logic.switch_link(self.link(), Path("corpus-versions") / version.name)
        manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
        with open(self.out_root / "publish-log.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"published": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                 "version": version.name, "pairs": manifest.get("pairs")}) + "\n")

    def run_remote(self):
        """Object storage: the guards read the two versions' manifest and report, then ``latest.json`` is
        written (one PUT, after the manifest: it never names an unfinished version) and the log appended."""
        export = self.requires()
        name = export.fingerprint()
        export.verify_inputs()
        latest = corpus_logic.read_latest(self.output_dir)
        with tempfile.TemporaryDirectory(prefix="pipeline-publish-") as tmp:
            new, current = Path(tmp) / name, None
            storage.copy_tree(export.version_path(), new, ["manifest.json", "report.json"])
            if latest and latest.get("version"):
                current = Path(tmp) / "published"
                storage.copy_tree(storage.join(self.output_dir, "corpus-versions", latest["version"]), current,
                                  ["manifest.json", "report.json"])
            refusal = publish_refusal(new, current, PublishPolicy(self.allow_empty, self.allow_shrink,
                                                                  self.max_shrink))
            if refusal:
                raise PublishRefused(f"not published: {refusal} (version {name} is kept)")
            manifest = json.loads((new / "manifest.json").read_text(encoding="utf-8"))
            report = json.loads((new / "report.json").read_text(encoding="utf-8"))
        published = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        corpus_logic.write_latest(self.output_dir, name, published, manifest, report)
        corpus_logic.append_publish_log(self.output_dir, {"published": published, "version": name,
                                                          "pairs": manifest.get("pairs")})


@luigi.util.inherits(PublishCorpus)
class BuildCorpus(luigi.WrapperTask):
    """Everything: process new or changed articles, export, publish (PublishCorpus's parameters)."""

    def requires(self):
        if not hasattr(self, "_publish"):  # kept, like PublishCorpus's export: one fingerprint per run
            self._publish = self.clone_parent()
        return self._publish
