"""Operations on an output root: force a stage to rerun (``invalidate``), prune stale work files and old
corpus versions (``clean``), and the per-run task log that shows which tasks a run executed.

Inputs: an input folder, an output root and a config path (the same ones the runs use). Outputs: files
removed or moved aside under the output root; nothing upstream of the named stage is touched.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from pipeline import storage
from pipeline.tasks.corpus import ExportCorpus, PublishCorpus
from pipeline.tasks.document import CHAIN, document_chain

# Stage names in pipeline order, then the corpus-level steps. Task class names are accepted too.
STAGES = tuple(task.stage for task in CHAIN)
CORPUS_STEPS = ("export", "publish")
TASK_NAMES = {**{task.__name__: task.stage for task in CHAIN},
              ExportCorpus.__name__: "export", PublishCorpus.__name__: "publish"}


class OperationError(ValueError):
    """A rerun/clean request that cannot be honoured (unknown stage, unknown document)."""


def stage_name(task: str) -> str:
    """Normalise a stage or task class name.

    >>> stage_name("TranslateSegments"), stage_name("repair-source"), stage_name("export")
    ('translate', 'repair_source', 'export')
    """
    name = TASK_NAMES.get(task, task.replace("-", "_").lower())
    if name not in STAGES + CORPUS_STEPS:
        raise OperationError(f"unknown task {task!r}; choose one of {', '.join(STAGES + CORPUS_STEPS)} "
                             f"(or a task class name: {', '.join(TASK_NAMES)})")
    return name


def stages_from(stage: str) -> tuple[str, ...]:
    """The named document stage and every document stage after it (none for corpus steps).

    >>> stages_from("translate")
    ('translate', 'repair')
    >>> stages_from("export")
    ()
    """
    return STAGES[STAGES.index(stage):] if stage in STAGES else ()


def select_documents(input_dir: str, doc: str | None = None) -> list[Path]:
    """Input files, or the one whose doc id or file name is ``doc``."""
    from pipeline.tasks.base import doc_id_for, list_inputs

    inputs = list_inputs(input_dir)
    if doc is None:
        return inputs
    chosen = [p for p in inputs if doc in (doc_id_for(p), Path(p).name, Path(p).stem)]
    if not chosen:
        raise OperationError(f"no document {doc!r} in {input_dir} (give a doc id such as "
                             f"{doc_id_for(inputs[0]) if inputs else '000_abc'} or a file name)")
    return chosen


@dataclass
class Invalidation:
    removed: list[str] = field(default_factory=list)  # stage files deleted
    set_aside: list[str] = field(default_factory=list)  # corpus versions renamed (readers keep a valid link)


def invalidate(input_dir: str, output_dir: str, config_path: str, task: str, doc: str | None = None) -> Invalidation:
    """Make ``task`` (and everything after it) incomplete for one document or all; upstream stays.

    Stage files are content-addressed, so the rerun recomputes them under the same paths. The current
    corpus version gets the same name again, so it is renamed aside first and ``corpus`` re-pointed at the
    renamed folder: readers keep a complete corpus until the rerun publishes the new one.
    """
    stage = stage_name(task)
    if storage.is_remote(output_dir):
        return _invalidate_remote(input_dir, output_dir, config_path, stage, doc)
    out = Invalidation()
    for path in select_documents(input_dir, doc):
        for t in document_chain(str(path), output_dir, config_path):
            if t.stage in stages_from(stage):
                target = Path(t.output().path)
                if target.exists():
                    target.unlink()
                    out.removed.append(str(target))
    export = ExportCorpus(input_dir=input_dir, output_dir=output_dir, config_path=config_path)
    version = export.version_dir()
    if version.is_dir():
        aside = version.with_name(f"{version.name}.replaced-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}")
        os.rename(version, aside)
        link = Path(output_dir) / "corpus"
        if link.is_symlink() and Path(os.readlink(link)).name == version.name:
            from pipeline.corpus.export import switch_link

            switch_link(link, Path("corpus-versions") / aside.name)
        out.set_aside.append(str(aside))
    return out


def _invalidate_remote(input_dir: str, output_dir: str, config_path: str, stage: str,
                       doc: str | None) -> Invalidation:
    """``invalidate`` on object storage: objects cannot be renamed, so the current version is copied to
    ``<fp>.replaced-<time>-<pid>/`` (manifest last), ``latest.json`` re-pointed at the copy when it named
    the version, and then the original prefix deleted, manifest first (a half-deleted prefix is unfinished)."""
    from pipeline.corpus.export import read_latest, write_latest

    out = Invalidation()
    for path in select_documents(input_dir, doc):
        for t in document_chain(str(path), output_dir, config_path):
            if t.stage in stages_from(stage) and storage.exists(t.output().path):
                storage.remove(t.output().path)
                out.removed.append(t.output().path)
    export = ExportCorpus(input_dir=input_dir, output_dir=output_dir, config_path=config_path)
    version = export.version_path()
    names = storage.list_files(version)
    if "manifest.json" in names:
        aside_name = f"{storage.name(version)}.replaced-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
        aside = storage.join(output_dir, "corpus-versions", aside_name)
        for n in [n for n in names if n != "manifest.json"] + ["manifest.json"]:
            storage.copy(storage.join(version, n), storage.join(aside, n))
        latest = read_latest(output_dir)
        if latest and latest.get("version") == storage.name(version):
            write_latest(output_dir, aside_name, latest.get("published", ""),
                         {k: latest.get(k) for k in ("pairs", "rejects")},
                         {"counts": {k: latest.get(k) for k in ("documents", "documents_rejected")}})
        storage.remove(storage.join(version, "manifest.json"))
        storage.remove_tree(version)
        out.set_aside.append(aside)
    return out


@dataclass
class CleanReport:
    stage_files: list[str] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    temporaries: list[str] = field(default_factory=list)

    def total(self) -> int:
        return len(self.stage_files) + len(self.versions) + len(self.temporaries)


def current_stage_files(input_dir: str, output_dir: str, config_path: str) -> set[Path]:
    """Stage files the current inputs and config point at (everything else under work/ is stale)."""
    keep = set()
    wrap = str if storage.is_remote(output_dir) else Path
    for path in select_documents(input_dir):
        keep.update(wrap(t.output().path) for t in document_chain(str(path), output_dir, config_path))
    return keep


def published_version(output_dir: str) -> Path | None:
    link = Path(output_dir) / "corpus"
    return (link.parent / os.readlink(link)).resolve() if link.is_symlink() else None


def clean(input_dir: str, output_dir: str, config_path: str, keep: int = 2, dry_run: bool = False,
          min_age_s: float = 3600.0) -> CleanReport:
    """Prune stale stage files, all but the ``keep`` newest corpus versions (never the published one) and
    temporary files older than ``min_age_s`` (younger ones may belong to a run in progress)."""
    if storage.is_remote(output_dir):
        return _clean_remote(input_dir, output_dir, config_path, keep, dry_run, min_age_s)
    root = Path(output_dir)
    report = CleanReport()
    current = current_stage_files(input_dir, output_dir, config_path)
    now = time.time()
    for path in sorted((root / "work").glob("*/*/*")):
        if not path.is_file():
            continue
        if path.name.startswith("."):
            if now - path.stat().st_mtime > min_age_s:
                report.temporaries.append(str(path))
        elif path not in current:
            report.stage_files.append(str(path))
    published = published_version(output_dir)
    versions_dir = root / "corpus-versions"
    versions = [p for p in versions_dir.iterdir() if p.is_dir()] if versions_dir.is_dir() else []
    complete = sorted((p for p in versions if not p.name.startswith(".") and (p / "manifest.json").exists()),
                      key=lambda p: (p / "manifest.json").stat().st_mtime, reverse=True)
    kept = {published} if published else set()
    for p in complete:
        if len(kept) >= max(keep, 1):
            break
        kept.add(p.resolve())
    for p in versions:
        if p.resolve() in kept:
            continue
        if p.name.startswith(".") or not (p / "manifest.json").exists():
            if now - p.stat().st_mtime > min_age_s:
                report.temporaries.append(str(p))
        else:
            report.versions.append(str(p))
    if not dry_run:
        for f in report.stage_files:
            os.unlink(f)
        for p in report.versions + report.temporaries:
            shutil.rmtree(p) if Path(p).is_dir() else os.unlink(p)
        for d in sorted((root / "work").glob("*/*"), reverse=True):  # folders of removed documents
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()
    return report


def _clean_remote(input_dir: str, output_dir: str, config_path: str, keep: int, dry_run: bool,
                  min_age_s: float) -> CleanReport:
    """``clean`` on object storage. Uploads are single PUTs, so there are no temporary objects; a version
    prefix without a manifest (an interrupted upload) older than ``min_age_s`` is the leftover of a
    killed run. Versions are ordered by their manifest's time; ``latest.json`` names the published one."""
    from pipeline.corpus.export import read_latest

    report = CleanReport()
    work = storage.join(output_dir, "work")
    current = {p[len(work) + 1:] for p in current_stage_files(input_dir, output_dir, config_path)}
    report.stage_files = [storage.join(work, o["path"]) for o in storage.list_objects(work)
                          if o["path"] not in current]
    versions: dict[str, dict[str, float]] = {}
    for o in storage.list_objects(storage.join(output_dir, "corpus-versions")):
        name, _, rest = o["path"].partition("/")
        v = versions.setdefault(name, {"newest": 0.0})
        v["newest"] = max(v["newest"], o["modified"])
        if rest == "manifest.json":
            v["manifest"] = o["modified"]
    latest = read_latest(output_dir)
    kept = {latest["version"]} if latest and latest.get("version") else set()
    for name in sorted((n for n, v in versions.items() if "manifest" in v),
                       key=lambda n: versions[n]["manifest"], reverse=True):
        if len(kept) >= max(keep, 1):
            break
        kept.add(name)
    now = time.time()
    for name, v in sorted(versions.items()):
        prefix = storage.join(output_dir, "corpus-versions", name)
        if name in kept:
            continue
        if "manifest" not in v:
            if now - v["newest"] > min_age_s:
                report.temporaries.append(prefix)
        else:
            report.versions.append(prefix)
    local = Path(storage.local_dir(output_dir))  # this host's export staging left by a killed run
    report.temporaries += [str(p) for p in sorted(local.glob(".export-*"))
                           if p.is_dir() and now - p.stat().st_mtime > min_age_s]
    if not dry_run:
        for f in report.stage_files:
            storage.remove(f)
        for p in report.versions + report.temporaries:
            storage.remove(storage.join(p, "manifest.json"))  # first: a half-removed version is unfinished
            storage.remove_tree(p)  # a local staging folder (not an s3:// URL) goes the same way
    return report


# --- task log: one line per task a run started, so "ran exactly once" can be checked across hosts --------
def task_log_path(output_dir: str) -> Path:
    # for an s3:// root, this host's folder for it: uploaded to <root>/logs/ when the run ends
    return Path(storage.local_dir(output_dir)) / "logs" / f"tasks-{socket.gethostname()}-{os.getpid()}.jsonl"


def log_task_start(output_dir: str, task) -> None:
    path = task_log_path(output_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"task_id": task.task_id, "family": task.task_family, "host": socket.gethostname(),
                       "pid": os.getpid(), "started": time.time()}) + "\n"
    # O_APPEND writes of one short line are atomic, so concurrent workers never interleave records
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def read_task_logs(output_dir: str) -> list[dict]:
    """Every task start recorded under ``<output>/logs/``, across all runs and hosts."""
    records: list[dict] = []
    if storage.is_remote(output_dir):
        logs = storage.join(output_dir, "logs")
        for name in storage.list_files(logs):
            if name.startswith("tasks-") and name.endswith(".jsonl"):
                text = storage.read_text(storage.join(logs, name))
                records.extend(json.loads(line) for line in text.splitlines() if line.strip())
        return records
    for path in sorted((Path(output_dir) / "logs").glob("tasks-*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            records.extend(json.loads(line) for line in fh if line.strip())
    return records


def describe(paths: Iterable[str], root: str) -> list[str]:
    return [os.path.relpath(p, root) for p in paths]


def verify_corpus(corpus: str | os.PathLike[str]) -> list[str]:
    """Problems with a published corpus: every file its manifest lists must exist with the recorded
    sha256 and line count. Resolves the ``corpus`` link once, as a consumer should, so a publish that
    happens meanwhile cannot mix two versions. An empty list means the corpus is whole.
    """
    from pipeline.corpus.writers import file_digest

    if storage.is_remote(corpus):
        return _verify_remote(str(corpus))
    folder = Path(corpus)
    if folder.is_symlink():
        folder = folder.parent / os.readlink(folder)
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [f"{folder}: no manifest.json"]
    except json.JSONDecodeError as exc:
        return [f"{folder}/manifest.json: not JSON ({exc})"]
    problems = []
    for name, info in sorted(manifest.get("files", {}).items()):
        try:
            sha, lines = file_digest(folder / name)
        except FileNotFoundError:
            problems.append(f"{name}: missing")
            continue
        if sha != info["sha256"] or lines != info["lines"]:
            problems.append(f"{name}: sha256/lines differ from the manifest")
    return problems


def _verify_remote(url: str) -> list[str]:
    """``verify_corpus`` for an ``s3://`` output root (or its ``latest.json``, or a version prefix): resolve
    ``latest.json`` once, then check every object the manifest lists against its sha256 and line count."""
    import tempfile

    from pipeline.corpus.export import read_latest
    from pipeline.corpus.writers import file_digest

    root = url[:-len("/latest.json")] if url.endswith("/latest.json") else url.rstrip("/")
    if "/corpus-versions/" in root:
        folder = root
    else:
        latest = read_latest(root)
        if not latest or not latest.get("version"):
            return [f"{root}: no latest.json (nothing published)"]
        folder = storage.join(root, "corpus-versions", latest["version"])
    try:
        manifest = json.loads(storage.read_text(storage.join(folder, "manifest.json")))
    except FileNotFoundError:
        return [f"{folder}: no manifest.json"]
    except json.JSONDecodeError as exc:
        return [f"{folder}/manifest.json: not JSON ({exc})"]
    problems = []
    with tempfile.TemporaryDirectory(prefix="pipeline-verify-") as tmp:
        local = Path(tmp) / "object"
        for name, info in sorted(manifest.get("files", {}).items()):
            try:
                local.write_bytes(storage.read_bytes(storage.join(folder, name)))
            except FileNotFoundError:
                problems.append(f"{name}: missing")
                continue
            sha, lines = file_digest(local)
            if sha != info["sha256"] or lines != info["lines"]:
                problems.append(f"{name}: sha256/lines differ from the manifest")
    return problems

