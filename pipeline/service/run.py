"""Build and publish the corpus with Luigi (local scheduler, or a central luigid): the service behind
``pipeline run``/``rerun``/``clean``. Holds the output lock, chooses batch sizes, resolves the engine and
reports the outcome as an exit status."""
from __future__ import annotations

import argparse
import contextlib
import enum
import fcntl
import functools
import json
import os
import re
import sys
import threading
import time
from pathlib import Path
from typing import Iterator


class ExitCode(enum.IntEnum):
    """Exit statuses shared by every command (README's table and ``pipeline --help`` are built from these)."""

    OK = 0
    FAILED = 1  # a task or action failed
    USAGE = 2  # usage, config or engine error: nothing started
    REJECTED = 3  # finished and published, but at least one input document was rejected
    REFUSED = 4  # finished, but a publish guard kept the published corpus (empty input, shrink, engine down)

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]


_MEANINGS = {
    ExitCode.OK: "success",
    ExitCode.FAILED: "a task or action failed (one line on stderr says why; nothing is published)",
    ExitCode.USAGE: "usage, config or engine error: nothing was started",
    ExitCode.REJECTED: "finished and published, but at least one input document was rejected",
    ExitCode.REFUSED: "not published: a publish guard kept the published corpus (empty input folder, "
                      "a corpus shrinking by more than --max-shrink, an engine failing on every segment)",
}


def exit_status_help(codes=tuple(ExitCode)) -> str:
    """The "exit status" block of a command's help, one line per code.

    >>> print(exit_status_help((ExitCode.OK, ExitCode.USAGE)))
    exit status:
      0  OK       success
      2  USAGE    usage, config or engine error: nothing was started
    """
    return "exit status:\n" + "\n".join(f"  {int(c)}  {c.name:<9}{c.meaning}" for c in codes)


_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def path_problem(args: argparse.Namespace) -> str | None:
    """Why the --input/--output/--workers of a run cannot work (None when they can); checked first."""
    from pipeline import storage

    for name in ("input", "output"):
        value = str(getattr(args, name, "") or "")
        if _URL.match(value) and storage.unsupported(value):
            return f"--{name} {storage.unsupported(value)}"
    if getattr(args, "workers", 1) is not None and getattr(args, "workers", 1) < 1:
        return f"--workers must be 1 or more, not {args.workers}"
    if getattr(args, "max_shrink", None) is not None and not 0 <= args.max_shrink <= 1:
        return f"--max-shrink must be between 0 and 1, not {args.max_shrink}"
    if getattr(args, "input", None) and getattr(args, "output", None):
        if _URL.match(str(args.input)) or _URL.match(str(args.output)):
            inp_s, out_s = str(args.input).rstrip("/") + "/", str(args.output).rstrip("/") + "/"
            if out_s.startswith(inp_s):
                return (f"--output {args.output} is inside --input {args.input}: the pipeline would read its "
                        "own files as articles; choose an output prefix outside the input prefix")
            return None
        inp, out = Path(args.input).resolve(), Path(args.output).resolve()
        if out == inp or inp in out.parents:
            return (f"--output {args.output} is inside --input {args.input}: the pipeline would read its own "
                    "files as articles; choose an output folder outside the input folder")
    return None


def effective_config(config_path: str | None, engine: str | None, output: Path | None = None) -> str:
    """The tasks' ``config_path`` parameter: the config file, checked now (before any task starts), plus
    the ``--engine`` override as part of the reference. Nothing is written: a derived config file written
    before the output lock is taken was read half-written by a concurrent start."""
    from pipeline.config import load_config
    from pipeline.tasks.base import config_ref, get_config

    cfg = load_config(config_path)
    ref = config_ref(cfg.source, engine if engine and engine != cfg.translation.engine else None)
    get_config(ref)
    return ref


@contextlib.contextmanager
def output_lock(output: Path) -> Iterator[None]:
    """One local-scheduler run per output folder at a time (luigid gives the same guarantee centrally)."""
    output.mkdir(parents=True, exist_ok=True)
    with open(output / ".pipeline.lock", "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"pipeline: another run is using {output}; waiting for it to finish ...", file=sys.stderr)
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class RunProgress:
    """A progress bar in documents for ``pipeline run``: documents whose last stage file exists, of all the
    inputs, then the export and the publish, with the rate and the time left (tqdm, on stderr).

    It watches the output files the run will write (named by their fingerprints, known before it starts),
    so it counts the same whether the stages run in this process, in forked workers or on another host of a
    central scheduler; a document done by an earlier run counts at once.
    """

    POLL_S = 1.0

    def __init__(self, export, file=None):
        from tqdm import tqdm

        from pipeline.tasks.base import doc_id_for
        from pipeline.tasks.document import RepairTranslations

        docs = export.document_fingerprints()
        root = Path(export.output_dir) / "work" / RepairTranslations.stage
        self._pending = {root / doc_id_for(p) / f"{fp}.jsonl" for p, fp in docs.items()}
        self._documents = len(docs)
        self._version = export.version_dir()
        self._link = Path(export.output_dir) / "corpus"
        self._done = 0
        self._stop = threading.Event()
        self._bar = functools.partial(
            tqdm, total=self._documents + 2, file=file or sys.stderr, dynamic_ncols=True, unit="step",
            mininterval=0.5, bar_format="{desc} {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}, {rate_fmt}]")
        self._thread = threading.Thread(target=self._watch, name="run-progress", daemon=True)

    def _count(self) -> tuple[int, str]:
        finished = {p for p in self._pending if p.exists()}
        self._pending -= finished
        self._done += len(finished)
        exported = (self._version / "manifest.json").is_file()
        published = exported and self._link.is_symlink() and self._link.resolve() == self._version.resolve()
        return self._done + exported + published, (f"pipeline: {self._done}/{self._documents} documents"
                                                    + (", exported" if exported else "")
                                                    + (", published" if published else ""))

    def poll(self) -> None:
        """Count what is done now and redraw."""
        steps, text = self._count()
        self.bar.set_description_str(text, refresh=False)
        self.bar.update(steps - self.bar.n)

    def _watch(self) -> None:
        while not self._stop.wait(self.POLL_S):
            self.poll()

    def __enter__(self) -> "RunProgress":
        steps, text = self._count()  # done by earlier runs: not part of the rate and the time left
        self.bar = self._bar(initial=steps, desc=text)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.poll()
        self.bar.close()


def _progress(args: argparse.Namespace, export):
    """The run's progress bar (on a terminal, or with --progress), else nothing."""
    from pipeline import storage

    wanted = getattr(args, "progress", False) or (not args.no_progress and sys.stderr.isatty())
    # it counts the run's final stage files on disk; for object storage it would poll the bucket
    return RunProgress(export) if wanted and not storage.is_remote(export.output_dir) else contextlib.nullcontext()


_TASK_LOG_ON = False
_FAILURES: dict[str, str] = {}


def check_output_folder(output: Path, root: str | None = None) -> str | None:
    """Why ``output`` cannot hold a run (None when it can): checked before any task starts. For an
    ``s3://`` root, ``output`` is this host's local folder for it and the bucket must answer a listing."""
    from pipeline import storage

    if root is not None and storage.is_remote(root):
        try:
            storage.list_objects_page(root)
        except Exception as exc:  # botocore's errors: no such bucket, no credentials, endpoint down
            return f"{type(exc).__name__}: {exc}"
    try:
        output.mkdir(parents=True, exist_ok=True)
        probe = output / f".write-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def batch_size(requested: int | None, workers: int, documents: int) -> int:
    """Documents per task: as requested, else one batch of all documents for small single-worker runs (one
    engine pass per direction for the whole batch) and smaller batches otherwise. Per-document tasks cost Luigi ~0.17 s per
    document at 1,000 documents (236 s vs 69 s batched), and a multi-worker run forks a fresh process per
    task that reloads the models.

    >>> batch_size(None, 1, 200), batch_size(None, 1, 10_000), batch_size(None, 2, 100), batch_size(0, 2, 9)
    (200, 200, 13, 0)
    """
    if requested is not None:
        return max(0, requested)
    if workers <= 1 and documents <= 200:
        return max(1, documents)  # one batch: one engine pass per direction for all documents
    return max(1, min(200, -(-documents // (4 * max(1, workers)))))


def _log_task_starts() -> None:
    """Record every task start under <output>/logs/ (once per process: handlers are global in Luigi)."""
    global _TASK_LOG_ON
    if _TASK_LOG_ON:
        return
    import luigi

    from pipeline.service.operations import log_task_start

    @luigi.Task.event_handler(luigi.Event.START)
    def _started(task):
        if getattr(task, "output_dir", None):
            log_task_start(task.output_dir, task)

    @luigi.Task.event_handler(luigi.Event.FAILURE)
    def _failed(task, exception):  # the one line an operator needs, without reading Luigi's traceback
        _FAILURES[task.task_id] = f"{type(exception).__name__}: {exception}"

    _TASK_LOG_ON = True


def output_root(value: str) -> str:
    """The tasks' ``output_dir`` for an ``--output`` value: the folder as a path, an ``s3://`` URL as given.

    >>> output_root("outputs/"), output_root("s3://corpus/nightly/")
    ('outputs', 's3://corpus/nightly')
    """
    from pipeline import storage

    return str(value).rstrip("/") if storage.is_remote(value) else str(Path(value))


def _published(root: str) -> str | None:
    """What is published: the ``corpus`` link's target, or for an ``s3://`` root the version prefix
    ``latest.json`` names (``corpus-versions/<fp>``)."""
    from pipeline import storage

    if storage.is_remote(root):
        from pipeline.corpus.export import read_latest

        latest = read_latest(root)
        return f"corpus-versions/{latest['version']}" if latest and latest.get("version") else None
    link = Path(root) / "corpus"
    return os.readlink(link) if link.is_symlink() else None


def task_log_states(root: str) -> dict[str, tuple[int, int]]:
    """{file name: (size, mtime_ns)} of this host's local task logs of an ``s3://`` root."""
    from pipeline import storage

    logs = Path(storage.local_dir(root)) / "logs"
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns)
            for p in (sorted(logs.glob("tasks-*.jsonl")) if logs.is_dir() else [])}


def upload_task_logs(root: str, before: dict[str, tuple[int, int]]) -> None:
    """Copy this host's task logs of an ``s3://`` root (kept locally while tasks run: objects cannot be
    appended to) that changed since ``before`` to ``<root>/logs/``, where ``read_task_logs`` finds every
    host's. A run that started no task uploads nothing."""
    from pipeline import storage

    logs = Path(storage.local_dir(root)) / "logs"
    for name, state in task_log_states(root).items():
        if before.get(name) != state:
            storage.put_file(logs / name, storage.join(root, "logs", name))


def run(args: argparse.Namespace) -> int:
    import luigi

    from pipeline import runtime
    from pipeline.corpus import quality
    from pipeline.tasks import BuildCorpus
    from pipeline.tasks.base import get_config, list_inputs
    from pipeline.tasks.luigi_internals import forget_task_instances

    from pipeline import storage

    remote = storage.is_remote(args.output)
    out = output_root(args.output)  # the tasks' output_dir
    output = Path(storage.local_dir(out))  # locks, translation cache: this host's folder
    problem = path_problem(args)
    if problem:
        print(f"pipeline: {problem}", file=sys.stderr)
        return ExitCode.USAGE
    try:
        inputs = list_inputs(args.input)
    except FileNotFoundError as exc:
        print(f"pipeline: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    if not inputs and not getattr(args, "allow_empty", False):
        print(f"pipeline: no input files in {args.input} (an unmounted share?); the published corpus is "
              "unchanged. Pass --allow-empty to publish an empty corpus.", file=sys.stderr)
        return ExitCode.REFUSED
    problem = check_output_folder(output, out)
    if problem:
        where = out if remote else f"folder {output}"
        print(f"pipeline: cannot write to output {where}: {problem}", file=sys.stderr)
        return ExitCode.USAGE
    config_path = effective_config(args.config, args.engine, output)
    cfg = get_config(config_path)
    guards = {"allow_empty": bool(getattr(args, "allow_empty", False)),
              "allow_shrink": bool(getattr(args, "allow_shrink", False))}
    if getattr(args, "max_shrink", None) is not None:
        guards["max_shrink"] = args.max_shrink
    task = BuildCorpus(input_dir=str(args.input), output_dir=out, config_path=config_path,
                       batch_size=batch_size(getattr(args, "batch_size", None), args.workers, len(inputs)),
                       **guards)
    try:
        # Opening the translation cache switches a new SQLite file to WAL, which fails with "database is
        # locked" when two hosts/runs start at once; one at a time here, and later opens find it in WAL.
        with open(output / ".engine-init.lock", "a+") as init_lock:
            fcntl.flock(init_lock, fcntl.LOCK_EX)
            engines = runtime.engine_identity(cfg, out)
    except Exception as exc:  # EngineUnavailable and friends: say how to get an engine, start nothing
        print(f"pipeline: no translation engine: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    # the documents' output paths hold the engine identity: taken now, while the translator is open
    progress = _progress(args, task.requires().requires())
    # Luigi forks worker processes: a SQLite connection (the translation cache) inherited across fork
    # is unsafe and stalled --workers 2 runs on lock waits (100 articles: 189 s instead of ~12 s).
    # Close it here; every worker process opens its own on first use.
    runtime.translator(cfg, out).close()
    runtime.translator.cache_clear()
    for direction, info in engines.items():
        print(f"engine {direction}: {info['engine']} {info['version']}", file=sys.stderr)
    print(f"{len(inputs)} input file(s) in {args.input}", file=sys.stderr)
    _log_task_starts()
    _FAILURES.clear()
    # tasks cache their fingerprints; a second run in the same process must see changed inputs
    forget_task_instances()
    task = task.clone()
    # every task in this process: the batch task may translate the export's round trips ahead
    quality.HANDOFF["enabled"] = not args.scheduler_url and args.workers == 1
    started = time.monotonic()
    logs_before = task_log_states(out) if remote else {}
    link = output / "corpus"
    before = _published(out)
    lock = contextlib.nullcontext() if args.scheduler_url else output_lock(output)
    with lock, progress:
        if args.scheduler_url:
            # stay until the whole graph is done, even when another host runs the last tasks, so the
            # command returns only once the corpus is published
            luigi.configuration.get_config().set("worker", "keep_alive", "true")
            kwargs = {"scheduler_url": args.scheduler_url}
        else:
            kwargs = {"local_scheduler": True}
        try:
            result = luigi.build([task], workers=args.workers, detailed_summary=True, log_level="WARNING",
                                 **kwargs)
        finally:
            quality.close_shared_round_trips()
            quality.HANDOFF["enabled"] = False
    elapsed = time.monotonic() - started
    if remote:
        upload_task_logs(out, logs_before)
    ok = result.scheduling_succeeded and result.status.name in ("SUCCESS", "SUCCESS_WITH_RETRY")
    if args.scheduler_url and not ok and result.status.name == "NOT_RUN":
        # with a central scheduler, tasks another host ran count as "not run" here; what matters is
        # whether the corpus this run asked for is now published
        forget_task_instances()
        ok = BuildCorpus(input_dir=str(args.input), output_dir=out, config_path=config_path,
                         **guards).complete()
    if not ok:
        print(result.summary_text, file=sys.stderr)
        for task_id, error in _FAILURES.items():
            print(f"pipeline: {task_id} failed: {error}", file=sys.stderr)
        after = _published(out)
        link = storage.join(out, "latest.json") if remote else link
        if after is not None and after == before:
            print(f"pipeline: the published corpus is unchanged: {link} -> {after}", file=sys.stderr)
        elif after is not None:  # e.g. another host published while this run failed: say so, honestly
            print(f"pipeline: the published corpus changed during this run: {link} -> {after}", file=sys.stderr)
        else:
            print("pipeline: no corpus is published", file=sys.stderr)
        print(f"pipeline: run did not complete ({result.status.name})", file=sys.stderr)
        refused = _FAILURES and all(e.startswith("PublishRefused:") for e in _FAILURES.values())
        return ExitCode.REFUSED if refused else ExitCode.FAILED
    corpus = storage.join(out, "latest.json") if remote else str(output / "corpus")
    folder = storage.join(out, _published(out)) if remote else corpus
    manifest = json.loads(storage.read_text(storage.join(folder, "manifest.json")))
    report = json.loads(storage.read_text(storage.join(folder, "report.json")))
    counts = report["counts"]
    print(f"published {corpus} -> {_published(out)} in {elapsed:.1f}s: {manifest['pairs']} pairs, "
          f"{manifest['rejects']} rejects, {counts['documents']} documents "
          f"({counts['documents_rejected']} rejected); accounting "
          f"{'holds' if report['accounting']['holds'] else 'DOES NOT HOLD'}")
    for d in report["inputs"]:
        if d["status"] != "ok":
            print(f"  rejected document {d['path']}: {d['reason']}", file=sys.stderr)
    return ExitCode.REJECTED if counts["documents_rejected"] else ExitCode.OK

