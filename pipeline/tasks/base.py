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


class pipeline(luigi.Config):  # noqa: N801 - Luigi looks the [pipeline] section up by class name
    """Defaults for every task, from the ``[pipeline]`` section of luigi.cfg."""

    input_dir = luigi.Parameter(default="seeds")
    output_dir = luigi.Parameter(default="outputs")
    config = luigi.Parameter(default="")
    # publish guard: a new version may have at most this share fewer pairs than the published one
    # (--allow-shrink overrides it)
    max_shrink = luigi.FloatParameter(default=0.5)


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


class PipelineTask(luigi.Task):
    """Parameters and helpers shared by every task."""

    output_dir = luigi.Parameter(default=pipeline().output_dir)
    config_path = luigi.Parameter(default=pipeline().config, significant=True)

    stage: ClassVar[str] = ""
    sections: ClassVar[tuple[str, ...]] = ()
    version: ClassVar[int] = 1  # bump when a stage's logic changes its output

    @classmethod
    def get_params(cls):
        """Luigi walks ``dir(cls)`` on every instantiation; with six tasks per document that dominated
        scheduling 10,000 articles. Parameters are class attributes, fixed once the class exists."""
        cached = cls.__dict__.get("_luigi_params")
        if cached is None:
            cached = tuple(super().get_params())
            cls._luigi_params = cached
        return list(cached)

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


def forget_task_instances() -> None:
    """Drop Luigi's cache of task objects. Luigi keeps every task it ever instantiated; the corpus tasks
    instantiate six per document to compute fingerprints and check completeness, so without this the
    memory of a run would grow with the corpus (about 6 kB per document). The worker keeps its own
    references to the tasks it schedules, and tasks compare by parameters, so nothing else changes."""
    luigi.task_register.Register.clear_instance_cache()


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
