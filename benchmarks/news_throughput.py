"""Throughput on real news: the raw engine beside `pipeline run`, on the same articles, in one invocation.

Articles are assembled from the WMT news test sets in ../shared/data/news/ (read there, never copied into
the repository): English sentences from the *.eng files in order, with Spanish sentences from the *.spa
files embedded, by default 20 English + 5 Spanish sentences per article. The Spanish sentences come from
the far end of the Spanish files, so they are not the translations of the English ones beside them. Each
article is a title line, then paragraphs of 3-5 sentences separated by blank lines; each Spanish sentence
goes into a random place of a random paragraph (seeded, so the articles are the same on every run).

Printed, all measured in this one run:
- raw engine, three ways: one `apertium -u` call per direction for the sentences of its language (English ->
  eng-spa, Spanish -> spa-eng); one call per direction over all sentences (the issue's baseline, "on
  the same 2,500 sentences, one call per direction": every sentence through both directions, English ones
  through spa-eng too, where they are mostly unknown words and cheap); and the run's own engine work
  (each sentence into the other language, then each translation back, as the quality score's round trip
  does: real Spanish through spa-eng), wall time and sentences/s;
- `pipeline run --input ARTICLES --output FRESH` with defaults: wall time (start-up included),
  sentences/s, and the ratio raw/pipeline for each raw figure;
- the stage breakdown: seconds per stage (batch tasks record theirs in <output>/batches/*.json, busy time
  per stage: stages of different chunks overlap, so their sum can exceed the batch task's wall time, which
  is printed too; other tasks by Luigi's processing time per task class), with shares of the sum;
- a no-change rerun on the same output folder and its share of the first run;
- `pipeline translate --from en --to es --no-cache` on the English sentences through the CLI (start-up
  included) against the raw eng-spa call on the same lines.

python benchmarks/news_throughput.py [--articles 100] [--english 20] [--spanish 5] [--work DIR] [--runs 1]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NEWS = ROOT.parent / "shared" / "data" / "news"
PYTHON = str(Path(sys.executable))
PIPELINE = [PYTHON, "-m", "pipeline"]

# Runs `pipeline run` in a fresh interpreter and records Luigi's processing time per task class.
_TIMED_RUN = """
import json, sys, luigi
times = {}
@luigi.Task.event_handler(luigi.Event.PROCESSING_TIME)
def _took(task, seconds):
    times[type(task).__name__] = times.get(type(task).__name__, 0.0) + seconds
from pipeline.cli import main
code = main(sys.argv[2:])
json.dump(times, open(sys.argv[1], "w"))
sys.exit(code)
"""


def read_lines(pattern: str) -> list[str]:
    lines: list[str] = []
    for path in sorted(NEWS.glob(pattern)):
        lines += [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    return lines


def build_articles(out: Path, articles: int, english: int, spanish: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """Write the articles; returns (English sentences, Spanish sentences) used, in order."""
    eng, spa = read_lines("*.eng"), read_lines("*.spa")
    need_en, need_es = articles * english, articles * spanish
    if need_en > len(eng) or need_en + need_es > len(spa):
        raise SystemExit(f"{articles} articles need {need_en} English and {need_es} Spanish sentences; "
                         f"the news files have {len(eng)} and {len(spa)}")
    rng = random.Random(seed)
    spa_pool = spa[len(spa) - need_es:]  # far from the translations of the English sentences used
    out.mkdir(parents=True, exist_ok=True)
    used_en, used_es = [], []
    for a in range(articles):
        en = eng[a * english:(a + 1) * english]
        es = spa_pool[a * spanish:(a + 1) * spanish]
        title, body = en[0], en[1:]
        paragraphs, i = [], 0
        while i < len(body):
            n = rng.randint(3, 5)
            paragraphs.append(body[i:i + n])
            i += n
        for s in es:
            para = rng.choice(paragraphs)
            para.insert(rng.randint(0, len(para)), s)
        text = title + "\n\n" + "\n\n".join(" ".join(p) for p in paragraphs) + "\n"
        (out / f"{a:05d}_news.txt").write_text(text, encoding="utf-8")
        used_en += en
        used_es += es
    return used_en, used_es


CPU = {"last": 0.0}  # CPU seconds (user + system, children included) of the last timed command


def timed(cmd: list[str], stdin: str | None = None, cwd: Path = ROOT) -> tuple[float, subprocess.CompletedProcess]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU["last"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return time.monotonic() - started, proc


def raw_engine(lines: list[str], mode: str, outputs: list | None = None) -> float:
    seconds, proc = timed(["apertium", "-u", mode], "\n".join(lines) + "\n")
    CPU["raw"] = CPU.get("raw", 0.0) + CPU["last"]
    if proc.returncode != 0:
        raise SystemExit(f"apertium {mode} failed: {proc.stderr[-500:]}")
    if outputs is not None:
        outputs[:] = proc.stdout.splitlines()[:len(lines)]
    return seconds


def raw_run_work(en: list[str], es: list[str]) -> float:
    """The engine work of a default run, done by raw apertium: each sentence translated into the other
    language, then each translation translated back (the corpus quality score's round trip). Unlike the
    issue's baseline, the back direction reads real text of its language (Spanish translations through
    spa-eng), which costs the engine far more than English sentences through spa-eng (mostly unknown words)."""
    to_es: list[str] = []
    to_en: list[str] = []
    seconds = raw_engine(en, "eng-spa", to_es) + raw_engine(es, "spa-eng", to_en)
    return seconds + raw_engine(to_es, "spa-eng") + raw_engine(to_en, "eng-spa")


def stage_breakdown(task_times: dict[str, float], output: Path) -> dict[str, float]:
    """Seconds per stage: a batch task (ProcessDocuments) is split into the stages it ran, as recorded in
    its batch file; other tasks count by class."""
    out = {k: v for k, v in task_times.items() if k != "ProcessDocuments"}
    batches = sorted((output / "batches").glob("*.json")) if (output / "batches").is_dir() else []
    staged = 0.0
    for path in batches:
        for stage, seconds in json.loads(path.read_text()).get("seconds", {}).items():
            out[f"stage {stage}"] = out.get(f"stage {stage}", 0.0) + seconds
            staged += seconds
    if "ProcessDocuments" in task_times:  # what the batch tasks spent outside their stages
        out["ProcessDocuments (rest)"] = max(0.0, task_times["ProcessDocuments"] - staged)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=100)
    ap.add_argument("--english", type=int, default=20)
    ap.add_argument("--spanish", type=int, default=5)
    ap.add_argument("--runs", type=int, default=1, help="repeat raw engine and fresh pipeline runs; medians")
    ap.add_argument("--work", default=None, help="scratch folder (default: a temporary one, removed after)")
    args = ap.parse_args(argv)
    if not NEWS.is_dir() or not any(NEWS.glob("*.eng")):
        print(f"skipped: news data not found in {NEWS} (see ../shared/data/README.md)")
        return 0
    if shutil.which("apertium") is None:
        print("skipped: apertium is not installed (scripts/setup.sh installs apertium-eng-spa)")
        return 0
    work = Path(args.work or tempfile.mkdtemp(prefix="news-throughput-"))
    try:
        articles = work / "articles"
        shutil.rmtree(articles, ignore_errors=True)
        en, es = build_articles(articles, args.articles, args.english, args.spanish)
        sentences = len(en) + len(es)
        raw_runs, pipe_runs, stage_times, rerun = [], [], {}, 0.0
        raw_cpu: list[float] = []
        both_runs: list[float] = []
        work_runs: list[float] = []
        work_cpu: list[float] = []
        pipe_cpu: list[float] = []
        for r in range(args.runs):
            CPU["raw"] = 0.0
            raw_runs.append(raw_engine(en, "eng-spa") + raw_engine(es, "spa-eng"))
            raw_cpu.append(CPU["raw"])
            both_runs.append(raw_engine(en + es, "eng-spa") + raw_engine(en + es, "spa-eng"))
            CPU["raw"] = 0.0
            work_runs.append(raw_run_work(en, es))
            work_cpu.append(CPU["raw"])
            out = work / f"out-{r}"
            shutil.rmtree(out, ignore_errors=True)
            times_file = work / f"stages-{r}.json"
            seconds, proc = timed([PYTHON, "-c", _TIMED_RUN, str(times_file), "run", "--input", str(articles),
                                   "--output", str(out), "--no-progress"])
            if proc.returncode not in (0, 3):
                raise SystemExit(f"pipeline run failed ({proc.returncode}): {proc.stderr[-2000:]}")
            pipe_runs.append(seconds)
            pipe_cpu.append(CPU["last"])
            stage_times = json.loads(times_file.read_text())
            rerun, _ = timed([*PIPELINE, "run", "--input", str(articles), "--output", str(out), "--no-progress"])
        raw, pipe = statistics.median(raw_runs), statistics.median(pipe_runs)
        print(f"articles: {args.articles} ({len(en)} English + {len(es)} Spanish sentences) in {articles}")
        print(f"raw engine (apertium -u, one call per direction): {raw:.2f} s, {sentences / raw:.0f} sentences/s"
              f"  runs: {', '.join(f'{x:.2f}' for x in raw_runs)}")
        print(f"pipeline run (defaults, fresh output): {pipe:.2f} s, {sentences / pipe:.0f} sentences/s"
              f"  runs: {', '.join(f'{x:.2f}' for x in pipe_runs)}")
        both = statistics.median(both_runs)
        print(f"raw engine, each direction over all {sentences} sentences (the issue's baseline): {both:.2f} s"
              f"  runs: {', '.join(f'{x:.2f}' for x in both_runs)}")
        done = statistics.median(work_runs)
        print(f"raw engine, the run's own engine work (each sentence translated, then each translation back, "
              f"4 calls): {done:.2f} s, CPU {statistics.median(work_cpu):.2f} s"
              f"  runs: {', '.join(f'{x:.2f}' for x in work_runs)}")
        print(f"ratio raw/pipeline: {raw / pipe:.2f} (sentences of each direction's language); "
              f"{both / pipe:.2f} (each direction over all sentences); {done / pipe:.2f} (the run's own engine work)")
        rc, pc = statistics.median(raw_cpu), statistics.median(pipe_cpu)
        print(f"CPU seconds (user+system, all processes; less sensitive to other load): raw {rc:.2f} (each "
              f"direction's sentences), pipeline {pc:.2f}, ratio {rc / pc:.2f}; load average at the end: "
              f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
        breakdown = stage_breakdown(stage_times, work / f"out-{args.runs - 1}")
        total = sum(breakdown.values()) or 1.0
        staged = sum(s for name, s in breakdown.items() if name.startswith("stage "))
        if "ProcessDocuments" in stage_times:  # stages of a batch overlap (helper thread), so say both
            print(f"batch tasks: {stage_times['ProcessDocuments']:.2f} s wall for {staged:.2f} s of stage work "
                  f"(the stages before translation run for the next chunk while the engine translates)")
        print(f"stage breakdown (last run; stages of batch tasks from <output>/batches/*.json, other tasks by "
              f"Luigi's processing time; {total:.2f} s in all, "
              f"{pipe_runs[-1] - sum(stage_times.values()):.2f} s start-up and "
              f"scheduling):")
        for name, s in sorted(breakdown.items(), key=lambda kv: -kv[1]):
            print(f"  {name:22s} {s:7.2f} s  {100 * s / total:5.1f}%")
        print(f"no-change rerun: {rerun:.2f} s = {100 * rerun / pipe_runs[-1]:.1f}% of the first run")
        # alternated, --runs times each: one pair of runs says little on a machine with other load
        trs, raws = [], []
        for _ in range(args.runs):
            tr, proc = timed([*PIPELINE, "translate", "--from", "en", "--to", "es", "--no-cache"],
                             "\n".join(en) + "\n")
            if proc.returncode != 0:
                raise SystemExit(f"pipeline translate failed: {proc.stderr[-2000:]}")
            trs.append(tr)
            raws.append(raw_engine(en, "eng-spa"))
        tr, raw_en = statistics.median(trs), statistics.median(raws)
        print(f"pipeline translate en->es, {len(en)} lines through the CLI: {tr:.2f} s (runs: "
              f"{', '.join(f'{t:.2f}' for t in trs)}); raw apertium -u eng-spa on the same lines: {raw_en:.2f} s "
              f"(runs: {', '.join(f'{t:.2f}' for t in raws)}); CLI/raw {tr / raw_en:.2f} (medians)")
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
