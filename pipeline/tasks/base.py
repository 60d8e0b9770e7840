"""Shared base for the Luigi tasks: settings, output paths, fingerprints and atomic JSON-lines I/O.

A stage's output path holds a fingerprint of everything it depends on (the input file's checksum, the
config sections of this stage and all before it, the engine identity for translation, the stage's code
version). Changing an article or a setting therefore gives new paths for exactly the affected stages and
those after them; Luigi sees them as incomplete and reruns only those. Older outputs stay until
``pipeline clean``.
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import ClassVar

import luigi
import msgspec

from pipeline import __version__ as pipeline_version
from pipeline.config import Config, load_config
from pipeline.ingest.inputs import doc_id_for, file_sha256, input_checksum, list_inputs  # noqa: F401 (re-exported)
from pipeline.records import Segment, StageHeader, decode_header, decode_segment, encode_line
from pipeline import storage
from pipeline.tasks.luigi_internals import (CachedParams, SettingParameter,  # noqa: F401 (re-exported)
                                            forget_task_instances)


class PipelineSettings(luigi.Config):
    """Defaults for every task: the ``[pipeline]`` section of luigi.cfg, or ``--pipeline-<name>`` on the
    ``luigi`` command line. Read when a task is created (``SettingParameter``), so either one reaches every
    task; a task's own ``[BuildCorpus] output_dir`` or ``--BuildCorpus-output-dir`` still wins."""

    input_dir = luigi.Parameter(default="seeds")
    output_dir = luigi.Parameter(default="outputs")
    config = luigi.Parameter(default="")
    # publish guard: a new version may have at most this share fewer pairs than the published one
    # (--allow-shrink overrides it)
    max_shrink = luigi.FloatParameter(default=0.5)

    @classmethod
    def get_task_family(cls) -> str:
        return "pipeline"  # the luigi.cfg section and command-line prefix, kept from before the rename


def setting(name: str):
    """A zero-argument reader of one ``[pipeline]`` setting, for ``SettingParameter(settings=...)``."""
    return lambda: getattr(PipelineSettings(), name)


ENGINE_MARK = "#engine="


def config_ref(path: str, engine: str | None = None) -> str:
    """The value of the tasks' ``config_path`` parameter: the config file, plus an engine override when the
    command line gives one. The override is part of the parameter (so of the task ids and, through the
    config's fingerprint, of every output path), and the config file itself is only ever read.

    >>> config_ref("configs/pipeline.yaml", "argos")
    'configs/pipeline.yaml#engine=argos'
    """
    return f"{path}{ENGINE_MARK}{engine}" if engine else path


@functools.lru_cache(maxsize=8)
def get_config(ref: str) -> Config:
    path, _, engine = (ref or "").partition(ENGINE_MARK)
    return load_config(path or None, engine=engine or None)


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


class PipelineTask(CachedParams, luigi.Task):
    """Parameters and helpers shared by every task."""

    output_dir = SettingParameter(settings=setting("output_dir"))
    config_path = SettingParameter(settings=setting("config"), significant=True)

    stage: ClassVar[str] = ""
    sections: ClassVar[tuple[str, ...]] = ()
    version: ClassVar[int] = 1  # bump when a stage's logic changes its output

    @property
    def cfg(self) -> Config:
        return get_config(self.config_path)

    @property
    def out_root(self) -> Path:
        return Path(self.output_dir)

    @classmethod
    def extra_fingerprint(cls, cfg: Config, output_dir: str) -> str:
        """What else a stage's output depends on (the translate stage: the engines' identity)."""
        return ""

    def progress(self, message: str, percent: int) -> None:
        """Status visible in luigid's web page (a no-op without a scheduler, or when a batch task runs
        this stage in-process: Luigi sets these callbacks only on the task a worker runs)."""
        if callable(getattr(self, "set_status_message", None)):
            self.set_status_message(message)
        if callable(getattr(self, "set_progress_percentage", None)):
            self.set_progress_percentage(percent)


class DocumentTask(PipelineTask):
    """One stage for one document. Subclasses set ``stage``/``sections`` and write ``requires``/``transform``."""

    doc_path = luigi.Parameter()

    @property
    def doc_id(self) -> str:
        return doc_id_for(self.doc_path)

    def upstream_fingerprint(self) -> str:
        req = self.requires()
        return req.fingerprint() if isinstance(req, DocumentTask) else input_checksum(self.doc_path)

    @classmethod
    def stage_fingerprint(cls, upstream: str, cfg: Config, output_dir: str) -> str:
        """This stage's fingerprint from its upstream's (or the input checksum): a class method, so the
        fingerprints of 10,000 documents can be computed without creating 60,000 Luigi task objects."""
        return _hash(cls.stage, str(cls.version), pipeline_version, upstream, cfg.fingerprint(*cls.sections) if cls.sections else "",
                     cls.extra_fingerprint(cfg, output_dir))

    def fingerprint(self) -> str:
        if not hasattr(self, "_fp"):
            self._upstream_fp = self.upstream_fingerprint()
            self._fp = self.stage_fingerprint(self._upstream_fp, self.cfg, self.output_dir)
        return self._fp

    def scheduled_upstream(self) -> str:
        """The upstream fingerprint (for ingest: the input checksum) this task's output path was named
        after when it was scheduled; ``run`` must produce exactly what it describes."""
        self.fingerprint()
        return self._upstream_fp

    def output(self) -> luigi.Target:
        """A ``LocalTarget`` under a local output root, an ``S3Target`` under an ``s3://`` one."""
        return storage.target(stage_path(self.output_dir, self.stage, self.doc_id, self.fingerprint()))

    # --- JSON-lines stage files: a header record, then one record per segment -------------------------
    def read_upstream(self) -> tuple[StageHeader, list[Segment]]:
        return read_stage(self.input().path)

    def write_stage(self, header: StageHeader, segments: list[Segment]) -> None:
        header = msgspec.structs.replace(header, doc=self.doc_id, stage=self.stage, fingerprint=self.fingerprint())
        with storage.open_write(self.output().path, "wb") as fh:
            fh.write(encode_line(header))
            for seg in segments:
                fh.write(encode_line(seg))


def stage_path(output_dir: str, stage: str, doc: str, fingerprint: str) -> str:
    """``<output>/work/<stage>/<doc>/<fingerprint>.jsonl``, for a folder or an ``s3://`` prefix."""
    return storage.join(output_dir, "work", stage, doc, f"{fingerprint}.jsonl")


def read_stage(path: str | Path) -> tuple[StageHeader, list[Segment]]:
    """A stage file: its header and its segments, validated against their types as they are read."""
    with storage.open_read(str(path)) as fh:
        header = decode_header(fh.readline())
        return header, [decode_segment(line) for line in fh if line.strip()]


def read_header(path: str | Path) -> StageHeader:
    with storage.open_read(str(path)) as fh:
        return decode_header(fh.readline())
