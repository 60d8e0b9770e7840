"""Corpus-level tasks: export every document's pairs into a versioned corpus folder, publish it by an
atomic switch of ``<output>/corpus``, and the ``BuildCorpus`` wrapper that scheduled runs call."""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import luigi

from pipeline.tasks.base import (PipelineTask, _hash, doc_id_for, forget_task_instances, read_header, list_inputs,
                                 pipeline, read_stage)
from pipeline.tasks.document import RepairTranslations, document_chain, document_fingerprint, final_output
from pipeline.corpus import export as corpus_logic
from pipeline.corpus import report_html


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

    def document_requirements(self) -> list[luigi.Task]:
        if self.batch_size <= 0:
            return self.doc_tasks()
        paths = self.input_paths()  # no per-document task objects
        return [ProcessDocuments(doc_paths=paths[i:i + self.batch_size], output_dir=self.output_dir,
                                 config_path=self.config_path)
                for i in range(0, len(paths), self.batch_size)]


class ProcessDocuments(PipelineTask):
    """All six stages for a batch of documents in one Luigi task; each stage still writes its own
    per-document file, and only stages whose file is missing run."""

    doc_paths = luigi.ListParameter()

    def complete(self):
        return all(final_output(p, self.output_dir, self.config_path).exists() for p in self.doc_paths)

    def run(self):
        for i, path in enumerate(self.doc_paths):
            for task in document_chain(path, self.output_dir, self.config_path):
                if not task.complete():
                    task.run()
            forget_task_instances()
            self.progress(f"{i + 1}/{len(self.doc_paths)} documents", int(100 * (i + 1) / len(self.doc_paths)))


class ExportCorpus(CorpusTask):
    """Pairs, rejects, English documents and the report, written to corpus-versions/<fingerprint>/."""

    stage = "export"
    sections = ("filters",)
    version = 1

    def requires(self):
        return self.document_requirements()

    def fingerprint(self) -> str:
        if not hasattr(self, "_fp"):
            self._fp = _hash(self.stage, str(self.version), self.cfg.fingerprint(*self.sections),
                             *sorted(f"{doc_id_for(p)}={document_fingerprint(p, self.output_dir, self.config_path)}"
                                     for p in self.input_paths()))
        return self._fp

    def version_dir(self) -> Path:
        return self.out_root / "corpus-versions" / self.fingerprint()

    def output(self):
        return luigi.LocalTarget(str(self.version_dir() / "manifest.json"))

    def run(self):
        final = self.version_dir()
        tmp = final.parent / f".tmp-{final.name}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        paths = self.input_paths()

        def documents():  # one document in memory at a time: write_corpus consumes them as it goes
            for i, path in enumerate(paths):
                task = RepairTranslations(doc_path=path, output_dir=self.output_dir, config_path=self.config_path)
                header, segments = read_stage(Path(task.output().path))
                yield corpus_logic.DocumentResult(task.doc_id, header, segments, _stage_counts(path, self.output_dir, self.config_path))
                if i % 50 == 0:
                    forget_task_instances()
                    self.progress(f"exporting {i}/{len(paths)} documents", int(80 * i / max(1, len(paths))))

        try:
            manifest = corpus_logic.write_corpus(tmp, documents(), self.cfg, version=self.fingerprint())
            # The page compares with the version published before this one (the one `corpus` points at now).
            report_html.write_report(tmp, report_html.previous_version(final), exporting=True)
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
    """Point ``<output>/corpus`` at the exported version; readers never see a half-written corpus."""

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
        version = self.requires().version_dir()
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

    def requires(self):
        if not hasattr(self, "_publish"):
            self._publish = PublishCorpus(input_dir=self.input_dir, output_dir=self.output_dir,
                                          config_path=self.config_path, batch_size=self.batch_size)
        return self._publish
