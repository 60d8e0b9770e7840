"""Corpus-level tasks: export every document's pairs into a versioned corpus folder, publish it by an
atomic switch of ``<output>/corpus``, and the ``BuildCorpus`` wrapper that scheduled runs call."""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import luigi

from pipeline import __version__ as pipeline_version
from pipeline.tasks.base import (PipelineTask, _hash, doc_id_for, forget_task_instances, read_header, list_inputs,
                                 pipeline, read_stage)
from pipeline.tasks.document import (CHAIN, InputChanged, RepairTranslations, TranslateSegments, document_chain,
                                     document_fingerprint, final_output)
from pipeline.io import atomic_open
from pipeline.corpus import export as corpus_logic
from pipeline.corpus import report_html
from pipeline.corpus import quality as corpus_quality
from pipeline.corpus.guards import PublishPolicy, publish_refusal


class PublishRefused(RuntimeError):
    """A publish guard stopped the switch; the message says which and which flag overrides it."""


class CorpusTask(PipelineTask):
    input_dir = luigi.Parameter(default=pipeline().input_dir)
    # 0: six Luigi tasks per document. N > 0: one ProcessDocuments task per N documents (same per-document
    # files and fingerprints, so switching is free), which keeps 10,000+ articles cheap for the scheduler.
    batch_size = luigi.IntParameter(default=0, significant=False)

    def input_paths(self) -> list[str]:
        return [str(p) for p in list_inputs(self.input_dir)]

    def doc_tasks(self) -> list[RepairTranslations]:
        return [RepairTranslations(doc_path=p, output_dir=self.output_dir, config_path=self.config_path)
                for p in self.input_paths()]

    def document_requirements(self, paths: list[str] | None = None) -> list[luigi.Task]:
        if paths is None:
            paths = self.input_paths()
        if self.batch_size <= 0:
            return [RepairTranslations(doc_path=p, output_dir=self.output_dir, config_path=self.config_path)
                    for p in paths]
        # batches: no per-document task objects
        return [ProcessDocuments(doc_paths=paths[i:i + self.batch_size], output_dir=self.output_dir,
                                 config_path=self.config_path)
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
        return all(final_output(p, self.output_dir, self.config_path).exists() for p in self.doc_paths)

    def write_batch_list(self, seconds: dict[str, float] | None = None) -> Path:
        """``<output>/batches/<batch>.json``: the documents, and after a run the seconds each stage took."""
        path = self.out_root / "batches" / f"{self.batch}.json"
        if seconds is not None or not path.exists():
            record = {"batch": self.batch, "doc_paths": list(self.doc_paths)}
            if seconds is not None:
                record["seconds"] = {k: round(v, 3) for k, v in seconds.items()}
            with atomic_open(str(path), "wb") as fh:
                fh.write(json.dumps(record, indent=1).encode())
        return path

    def run(self):
        self.write_batch_list()
        chains = [document_chain(p, self.output_dir, self.config_path) for p in self.doc_paths]
        steps, n = len(CHAIN), len(chains)
        seconds: dict[str, float] = {}
        for k, stage in enumerate(CHAIN):
            started = time.monotonic()
            todo = [chain[k] for chain in chains if not chain[k].complete()]
            if stage is TranslateSegments:
                TranslateSegments.run_many(todo)  # one engine pass per direction for the whole batch
            else:
                for task in todo:
                    task.run()
            seconds[stage.stage] = time.monotonic() - started
            self.progress(f"{stage.stage}: {n}/{n} documents", int(100 * (k + 1) / steps))
        self.write_batch_list(seconds)
        forget_task_instances()


class ExportCorpus(CorpusTask):
    """Pairs, rejects, English documents and the report, written to corpus-versions/<fingerprint>/."""

    stage = "export"
    # the quality score uses the engine (round trip) and the language detector
    sections = ("filters", "translation", "langid")
    version = 2

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

    def output(self):
        return luigi.LocalTarget(str(self.version_dir() / "manifest.json"))

    def run(self):
        final = self.version_dir()
        tmp = final.parent / f".tmp-{final.name}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        self.verify_inputs()
        docs = self._docs  # the documents the fingerprint names, not whatever the folder holds by now
        paths = list(docs)

        def documents():  # one document in memory at a time: write_corpus consumes them as it goes
            for i, path in enumerate(paths):
                doc = doc_id_for(path)
                final = self.out_root / "work" / RepairTranslations.stage / doc / f"{docs[path]}.jsonl"
                header, segments = read_stage(final)
                yield corpus_logic.DocumentResult(doc, header, segments, _stage_counts(path, self.output_dir, self.config_path))
                if i % 50 == 0:
                    forget_task_instances()
                    self.progress(f"exporting {i}/{len(paths)} documents", int(80 * i / max(1, len(paths))))

        try:
            manifest = corpus_logic.write_corpus(tmp, documents(), self.cfg, version=self.fingerprint())
            # The page compares with the version published before this one (the one `corpus` points at now).
            report_html.write_report(tmp, report_html.previous_version(final), exporting=True)
            self.verify_inputs()
        except BaseException:  # disk full, killed worker ...: leave no half-written version behind
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        try:
            os.rename(tmp, final)  # atomic: the version folder appears complete or not at all
        except OSError:
            if (final / "manifest.json").exists():  # an overlapping run published the same version
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                raise
        self.progress(f"exported {len(paths)} documents: {manifest['pairs']} pairs, {manifest['rejects']} rejects",
                      100)


def _stage_counts(doc_path: str, output_dir: str, config_path: str) -> dict[str, dict]:
    """Counts recorded in the header of every stage file of one document, oldest stage first."""
    out = {}
    for t in document_chain(doc_path, output_dir, config_path):
        try:
            header = read_header(Path(t.output().path))
        except FileNotFoundError:
            continue
        out[t.stage] = {header.status: 1} if t.stage == "ingest" else header.counts
    return out


class PublishCorpus(CorpusTask):
    """Point ``<output>/corpus`` at the exported version; readers never see a half-written corpus. The
    publish guards (pipeline.corpus.guards) may refuse the switch; the flags below override them."""

    allow_empty = luigi.BoolParameter(default=False, significant=False)
    allow_shrink = luigi.BoolParameter(default=False, significant=False)
    max_shrink = luigi.FloatParameter(default=pipeline().max_shrink, significant=False)

    def requires(self):
        if not hasattr(self, "_export"):  # kept: its fingerprint covers every document
            self._export = ExportCorpus(input_dir=self.input_dir, output_dir=self.output_dir,
                                        config_path=self.config_path, batch_size=self.batch_size)
        return self._export

    def link(self) -> Path:
        return self.out_root / "corpus"

    def complete(self):
        target = self.requires().version_dir()
        return self.link().is_symlink() and self.link().resolve() == target.resolve() and target.is_dir()

    def run(self):
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


class BuildCorpus(luigi.WrapperTask):
    """Everything: process new or changed articles, export, publish."""

    input_dir = luigi.Parameter(default=pipeline().input_dir)
    output_dir = luigi.Parameter(default=pipeline().output_dir)
    config_path = luigi.Parameter(default=pipeline().config)
    batch_size = luigi.IntParameter(default=0, significant=False)
    allow_empty = luigi.BoolParameter(default=False, significant=False)
    allow_shrink = luigi.BoolParameter(default=False, significant=False)
    max_shrink = luigi.FloatParameter(default=pipeline().max_shrink, significant=False)

    def requires(self):
        if not hasattr(self, "_publish"):
            self._publish = PublishCorpus(input_dir=self.input_dir, output_dir=self.output_dir,
                                          config_path=self.config_path, batch_size=self.batch_size,
                                          allow_empty=self.allow_empty, allow_shrink=self.allow_shrink,
                                          max_shrink=self.max_shrink)
        return self._publish
