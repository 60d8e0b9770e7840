"""Object storage against a real S3 API on loopback: moto's server (``moto[server]``) started here on
127.0.0.1, reached through boto3 with AWS_ENDPOINT_URL and dummy credentials, exactly as an S3-compatible
store would be. Runs are ``pipeline`` subprocesses, each with its own local folder (PIPELINE_LOCAL_DIR):
no folder is shared between them, only the bucket (and luigid for the two-worker test)."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from conftest import SEEDS, corpus_bytes, env, free_port, needs_apertium, pipeline_cmd, write_config

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto.server")

from benchmarks import synth  # noqa: E402

pytestmark = [needs_apertium]
AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def endpoint():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    url = f"http://127.0.0.1:{port}"
    saved = {k: os.environ.get(k) for k in [*AWS, "AWS_ENDPOINT_URL", "AWS_PROFILE"]}
    os.environ.update({**AWS, "AWS_ENDPOINT_URL": url})
    os.environ.pop("AWS_PROFILE", None)
    from pipeline import storage

    storage._CLIENTS.clear()  # built from this environment on first use
    yield url
    server.stop()
    storage._CLIENTS.clear()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture
def bucket(endpoint):
    name = f"corpus-{uuid.uuid4().hex[:12]}"
    s3().create_bucket(Bucket=name)
    return name


def s3():
    return boto3.client("s3")


def s3_env(local: Path) -> dict[str, str]:
    """A run's environment: the loopback endpoint and its own local folder (cache, locks, staging)."""
    return {**env(), **AWS, "AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"], "PIPELINE_LOCAL_DIR": str(local)}


def run(config, inputs, output, local, *extra, check=True):
    proc = subprocess.run(pipeline_cmd(config, inputs, output, *extra), env=s3_env(local), capture_output=True,
                          text=True, cwd=local.parent)
    if check:
        assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def objects(bucket: str, prefix: str = "") -> dict[str, dict]:
    """{key: {etag, modified}} of every object under ``prefix``."""
    out = {}
    for page in s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            out[o["Key"]] = {"etag": o["ETag"], "modified": o["LastModified"]}
    return out


def get(bucket: str, key: str) -> bytes:
    return s3().get_object(Bucket=bucket, Key=key)["Body"].read()


def published_files(bucket: str, prefix: str) -> dict[str, bytes]:
    """Every object of the version ``latest.json`` names, by relative path (like conftest.corpus_bytes)."""
    version = json.loads(get(bucket, f"{prefix}/latest.json"))["version"]
    base = f"{prefix}/corpus-versions/{version}/"
    return {k[len(base):]: get(bucket, k) for k in objects(bucket, base)}


def test_run_publishes_to_s3_then_a_rerun_publishes_nothing(bucket, tmp_path):
    config = write_config(tmp_path)
    local_run = tmp_path / "disk"
    assert subprocess.run(pipeline_cmd(config, SEEDS, local_run), env=env(), capture_output=True).returncode == 0
    (tmp_path / "host").mkdir()
    out = f"s3://{bucket}/nightly"
    proc = run(config, SEEDS, out, tmp_path / "host")
    assert "latest.json -> corpus-versions/" in proc.stderr + proc.stdout

    latest = json.loads(get(bucket, "nightly/latest.json"))
    version = latest["version"]
    manifest = json.loads(get(bucket, f"nightly/corpus-versions/{version}/manifest.json"))
    assert latest["pairs"] == manifest["pairs"] > 0 and latest["published"]
    # every file the manifest lists is an object with that sha256 (computed here, and in its metadata)
    for name, info in manifest["files"].items():
        key = f"nightly/corpus-versions/{version}/{name}"
        data = get(bucket, key)
        assert hashlib.sha256(data).hexdigest() == info["sha256"] and len(data) == info["bytes"], name
        assert s3().head_object(Bucket=bucket, Key=key)["Metadata"]["sha256"] == info["sha256"]
    assert set(objects(bucket, f"nightly/corpus-versions/{version}/")) == \
        {f"nightly/corpus-versions/{version}/{n}" for n in [*manifest["files"], "manifest.json"]}
    # the same layout and bytes as on disk: six stage files per document, the corpus identical
    assert len(objects(bucket, "nightly/work/")) == 6 * len(list(SEEDS.iterdir()))
    assert published_files(bucket, "nightly") == corpus_bytes(local_run)
    assert os.readlink(local_run / "corpus") == f"corpus-versions/{version}"
    from pipeline.service.operations import verify_corpus

    assert verify_corpus(out) == []
    assert not (tmp_path / "s3:").exists() and not Path("s3:").exists()  # no local folder named after the URL

    # nothing changed: the rerun writes no object (task logs aside) and publishes nothing
    before = {k: v for k, v in objects(bucket).items() if "/logs/" not in k}
    run(config, SEEDS, out, tmp_path / "host")
    after = {k: v for k, v in objects(bucket).items() if "/logs/" not in k}
    assert after == before
    assert len(get(bucket, "nightly/publish-log.jsonl").splitlines()) == 1


def test_kill_9_then_rerun_gives_the_same_manifest(bucket, tmp_path):
    config = write_config(tmp_path)
    inputs = tmp_path / "in"
    synth.generate(inputs, 12, seed=5)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    run(config, inputs, f"s3://{bucket}/ref", tmp_path / "a")  # the same inputs, uninterrupted
    out = f"s3://{bucket}/killed"
    proc = subprocess.Popen(pipeline_cmd(config, inputs, out, "--batch-size", "3"), env=s3_env(tmp_path / "b"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(objects(bucket, "killed/work/")) < 20 and proc.poll() is None:
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 0 < len(objects(bucket, "killed/work/")) < 6 * 12
    assert "killed/latest.json" not in objects(bucket, "killed/")  # killed before publishing
    for key in objects(bucket, "killed/work/"):  # every stage object that exists is whole
        lines = get(bucket, key).splitlines()
        assert lines and json.loads(lines[0])["stage"] == key.split("/")[2]
    run(config, inputs, out, tmp_path / "b")
    ref = json.loads(get(bucket, "ref/latest.json"))["version"]
    assert json.loads(get(bucket, "killed/latest.json"))["version"] == ref
    assert get(bucket, f"killed/corpus-versions/{ref}/manifest.json") == \
        get(bucket, f"ref/corpus-versions/{ref}/manifest.json")


def test_an_interrupted_upload_leaves_no_manifest_and_clean_removes_it(bucket, tmp_path, monkeypatch):
    from pipeline import storage
    from pipeline.corpus import export
    from pipeline.service import operations

    folder = tmp_path / "version"
    (folder / "documents").mkdir(parents=True)
    for i in range(5):
        (folder / "documents" / f"d{i}.en.txt").write_text(f"text {i}\n", encoding="utf-8")
    (folder / "manifest.json").write_text('{"version": "v1"}\n', encoding="utf-8")
    prefix = f"s3://{bucket}/out/corpus-versions/v1"
    real_put, calls = storage.put_file, []

    def failing_put(local, url):
        calls.append(url)
        if len(calls) == 3:
            raise ConnectionError("connection reset (simulated)")
        return real_put(local, url)

    monkeypatch.setattr(storage, "put_file", failing_put)
    monkeypatch.setattr(export, "UPLOAD_THREADS", 1)
    with pytest.raises(ConnectionError):
        export.upload_version(folder, prefix)
    monkeypatch.setattr(storage, "put_file", real_put)
    keys = objects(bucket, "out/corpus-versions/v1/")
    assert keys and "out/corpus-versions/v1/manifest.json" not in keys  # unfinished: no manifest
    # a reader ignores it: nothing is published, verify says so
    assert operations.verify_corpus(f"s3://{bucket}/out") == [f"s3://{bucket}/out: no latest.json (nothing published)"]
    report = operations.clean(str(SEEDS), f"s3://{bucket}/out", write_config(tmp_path), min_age_s=0)
    assert report.temporaries == [prefix] and not objects(bucket, "out/corpus-versions/")
    # uploading again completes it, manifest last
    assert export.upload_version(folder, prefix) == 6
    assert storage.read_text(f"{prefix}/manifest.json") == '{"version": "v1"}\n'


def test_inputs_from_s3_use_the_objects_checksums(bucket, tmp_path):
    config = write_config(tmp_path)
    seeds = sorted(SEEDS.iterdir())
    for i, p in enumerate(seeds):  # one with a stored sha256, the others without (computed)
        extra = {"Metadata": {"sha256": hashlib.sha256(p.read_bytes()).hexdigest()}} if i == 0 else {}
        s3().put_object(Bucket=bucket, Key=f"in/{p.name}", Body=p.read_bytes(), **extra)
    (tmp_path / "host").mkdir()
    run(config, f"s3://{bucket}/in", f"s3://{bucket}/out", tmp_path / "host")
    files = published_files(bucket, "out")
    report = json.loads(files["report.json"])
    assert [d["path"] for d in report["inputs"]] == [f"s3://{bucket}/in/{p.name}" for p in seeds]
    assert [d["sha256"] for d in report["inputs"]] == [hashlib.sha256(p.read_bytes()).hexdigest() for p in seeds]
    local_run = tmp_path / "disk"
    assert subprocess.run(pipeline_cmd(config, SEEDS, local_run), env=env(), capture_output=True).returncode == 0
    for name in ("es-en.es", "es-en.en"):  # same text as from the local folder (paths differ elsewhere)
        assert files[name] == (local_run / "corpus" / name).read_bytes()
    # editing one object makes exactly that document's stage files new
    before = objects(bucket, "out/work/")
    s3().put_object(Bucket=bucket, Key=f"in/{seeds[1].name}", Body=seeds[1].read_bytes() + b"\nOne more line.\n")
    run(config, f"s3://{bucket}/in", f"s3://{bucket}/out", tmp_path / "host")
    new = set(objects(bucket, "out/work/")) - set(before)
    assert len(new) == 6 and all(f"/{seeds[1].stem}/" in k for k in new)
    # the new version's page compares with the one published before it, as on disk
    first = json.loads(files["manifest.json"])["version"]
    second = json.loads(get(bucket, "out/latest.json"))["version"]
    page = get(bucket, f"out/corpus-versions/{second}/report.html").decode("utf-8")
    assert second != first and first in page  # the identity table: this version beside the previous one


def test_rerun_and_clean_on_s3(bucket, tmp_path):
    config = write_config(tmp_path)
    (tmp_path / "host").mkdir()
    out = f"s3://{bucket}/out"
    run(config, SEEDS, out, tmp_path / "host")
    version = json.loads(get(bucket, "out/latest.json"))["version"]
    doc = sorted(SEEDS.iterdir())[0].stem
    before = objects(bucket, "out/work/")
    time.sleep(1.1)  # S3 times have one-second resolution
    proc = subprocess.run([sys.executable, "-m", "pipeline", "--config", config, "rerun", "translate", "--doc", doc,
                           "--input", str(SEEDS), "--output", out, "--no-progress"], env=s3_env(tmp_path / "host"),
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    after = objects(bucket, "out/work/")
    assert set(after) == set(before)
    rewritten = {k for k in after if after[k]["modified"] != before[k]["modified"]}
    assert rewritten == {k for k in after if f"/{doc}/" in k and k.split("/")[2] in ("translate", "repair")}
    assert json.loads(get(bucket, "out/latest.json"))["version"] == version  # same content, same id
    versions = {k.split("/")[2] for k in objects(bucket, "out/corpus-versions/")}
    assert len(versions) == 2 and any(v.startswith(f"{version}.replaced-") for v in versions)

    # clean: the set-aside version, a stale stage file and an unfinished upload go; the published stays
    s3().put_object(Bucket=bucket, Key=f"out/work/ingest/{doc}/0000000000000000.jsonl", Body=b"{}\n")
    s3().put_object(Bucket=bucket, Key="out/corpus-versions/ffffffffffffffff/es-en.jsonl", Body=b"")
    proc = subprocess.run([sys.executable, "-m", "pipeline", "--config", config, "clean", "--keep", "1",
                           "--min-age", "0", "--input", str(SEEDS), "--output", out], env=s3_env(tmp_path / "host"),
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "removed corpus version: corpus-versions/" in proc.stdout
    assert {k.split("/")[2] for k in objects(bucket, "out/corpus-versions/")} == {version}
    assert set(objects(bucket, "out/work/")) == set(before)
    from pipeline.service.operations import verify_corpus

    assert verify_corpus(out) == []


@pytest.mark.slow
def test_two_workers_on_one_luigid_without_a_shared_folder(bucket, luigid, tmp_path):  # noqa: F811
    articles = 24
    config = write_config(tmp_path)
    inputs = tmp_path / "in"
    synth.generate(inputs, articles, seed=3)
    hosts = [tmp_path / f"host{i}" for i in range(3)]
    for h in hosts:
        h.mkdir()
    out = f"s3://{bucket}/shared"
    workers = [subprocess.Popen(pipeline_cmd(config, inputs, out, "--scheduler-url", luigid, "--workers", "1",
                                             "--batch-size", "0"),
                                env=s3_env(h), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=h)
               for h in hosts[:2]]
    single = run(config, inputs, f"s3://{bucket}/single", hosts[2])
    outs = [(w.wait(timeout=600), w.stderr.read()) for w in workers]
    assert single.returncode == 0
    assert [rc for rc, _ in outs] == [0, 0], [err[-2000:] for _, err in outs]

    from pipeline.service import operations

    records = operations.read_task_logs(out)
    starts = Counter(r["task_id"] for r in records)
    assert max(starts.values()) == 1, [t for t, n in starts.items() if n > 1][:5]
    assert Counter(r["family"] for r in records)["TranslateSegments"] == articles
    assert len({r["pid"] for r in records}) == 2  # both workers did part of the work
    assert len(objects(bucket, "shared/work/")) == 6 * articles
    assert published_files(bucket, "shared") == published_files(bucket, "single")
    assert operations.verify_corpus(out) == []
    for h in hosts[:2]:  # each host kept only its own local state (translation cache, locks, task log)
        assert not any((h / d).exists() for d in ("work", "corpus", "corpus-versions"))
        assert any(h.rglob("*.sqlite3*"))
