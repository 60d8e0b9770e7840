"""Where a run's files live: a local folder or an S3-compatible bucket prefix (``s3://bucket/prefix``).

Every path here is a string: a local path, or an ``s3://`` URL (``pathlib.Path`` would fold ``s3://`` into
``s3:/``). Local paths go through :func:`pipeline.io.atomic_open` exactly as before; URLs through Luigi's own
S3 client and targets (``luigi.contrib.s3``, boto3 underneath), so the endpoint and credentials come from the
standard AWS environment (``AWS_ENDPOINT_URL``, ``AWS_PROFILE``, ``~/.aws/…``) and S3-compatible stores work.
A write is staged in a local temporary file and sent with one PUT on success: the object appears whole or
not at all, like the local rename. Uploaded objects carry their sha256 in the ``sha256`` metadata key.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import IO, Any, Iterator

from pipeline.io import atomic_open

SCHEMES = ("s3://",)
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
SHA256_KEY = "sha256"  # object metadata key (x-amz-meta-sha256)


def is_url(path: Any) -> bool:
    return bool(_URL.match(str(path)))


def is_remote(path: Any) -> bool:
    """True for an object-store URL this module serves.

    >>> is_remote("s3://corpus/nightly"), is_remote("outputs"), is_remote("/srv/out")
    (True, False, False)
    """
    return str(path).startswith(SCHEMES)


def unsupported(path: Any) -> str | None:
    """Why a URL cannot be used (None when it can, or when it is a plain path).

    >>> unsupported("s3://b/x") is None, unsupported("outputs") is None
    (True, True)
    >>> unsupported("gs://b/x").startswith("gs://")
    True
    """
    value = str(path)
    if not is_url(value) or is_remote(value):
        if is_remote(value) and not split(value)[0]:
            return f"{value}: no bucket name"
        return None
    if value.startswith("gs://"):
        return (f"{value}: gs:// URLs are not supported; use s3://bucket/prefix with "
                "AWS_ENDPOINT_URL=https://storage.googleapis.com and HMAC keys (Google Cloud Storage's "
                "S3-compatible API)")
    return f"{value}: URLs are not supported except s3:// (S3 and S3-compatible stores)"


def split(url: str) -> tuple[str, str]:
    """(bucket, key) of an ``s3://`` URL.

    >>> split("s3://corpus/nightly/work/a.jsonl")
    ('corpus', 'nightly/work/a.jsonl')
    """
    rest = str(url)[len("s3://"):]
    bucket, _, key = rest.partition("/")
    return bucket, key


def join(root: Any, *parts: str) -> str:
    """``root`` / parts, for a local folder or a URL.

    >>> join("s3://corpus/nightly/", "work", "ingest"), join("out", "work")
    ('s3://corpus/nightly/work/ingest', 'out/work')
    """
    root = str(root)
    if is_remote(root):
        return "/".join([root.rstrip("/"), *(p.strip("/") for p in parts if p)])
    return str(Path(root, *parts))


def name(path: str) -> str:
    return str(path).rstrip("/").rsplit("/", 1)[-1]


# --- the S3 client: Luigi's, one per process (boto3 objects must not cross a fork) ---------------------
_CLIENTS: dict[int, Any] = {}
_CLIENT_LOCK = threading.Lock()  # boto3 sessions are not thread-safe to create; the client is to use


def client() -> Any:
    pid = os.getpid()
    with _CLIENT_LOCK:
        if pid not in _CLIENTS:
            from luigi.contrib.s3 import S3Client

            try:
                import boto3  # noqa: F401 - luigi.contrib.s3 imports it only when first used
            except ImportError:
                raise RuntimeError("s3:// needs boto3: pip install 'mt-normalise-pipeline[s3]'") from None
            _CLIENTS.clear()
            c = S3Client()
            c.s3.meta.client  # noqa: B018 - build the boto3 resource and client now, under the lock
            _CLIENTS[pid] = c
        return _CLIENTS[pid]


def _api() -> Any:
    """The boto3 low-level client behind Luigi's (for HEAD and metadata, which Luigi does not expose)."""
    return client().s3.meta.client


@functools.lru_cache(maxsize=1)
def _s3_target_class():
    from luigi.contrib.s3 import S3Target

    class ObjectTarget(S3Target):
        """An S3Target whose ``exists`` is one HEAD request (Luigi's also LISTs the prefix when the
        object is missing, doubling the requests of every completeness check)."""

        def exists(self) -> bool:
            return head(self.path) is not None

    return ObjectTarget


def target(path: str) -> Any:
    """A Luigi target for ``path``: ``luigi.LocalTarget`` for a local path, an ``S3Target`` for a URL."""
    if is_remote(path):
        return _s3_target_class()(str(path), client=client())
    import luigi

    return luigi.LocalTarget(str(path))


# --- reads ------------------------------------------------------------------------------------------------
def _missing(exc: Exception) -> bool:
    """Whether a botocore ``ClientError`` says the object does not exist."""
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound")


def head(url: str) -> dict[str, Any] | None:
    """The object's HEAD response (None when it does not exist)."""
    from botocore.exceptions import ClientError

    bucket, key = split(url)
    try:
        return _api().head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if _missing(exc):
            return None
        raise


def exists(path: str) -> bool:
    return head(path) is not None if is_remote(path) else os.path.exists(path)


def read_bytes(path: str) -> bytes:
    """The whole file or object; ``FileNotFoundError`` when there is none."""
    if not is_remote(path):
        return Path(path).read_bytes()
    from botocore.exceptions import ClientError

    bucket, key = split(path)
    try:
        return _api().get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if _missing(exc):
            raise FileNotFoundError(path) from None
        raise


def read_text(path: str) -> str:
    return read_bytes(path).decode("utf-8")


@contextlib.contextmanager
def open_read(path: str) -> Iterator[IO[bytes]]:
    """A binary reader: the local file, or the object's bytes (stage files are one document each)."""
    if not is_remote(path):
        with open(path, "rb") as fh:
            yield fh
    else:
        yield io.BytesIO(read_bytes(path))


def list_files(root: str) -> list[str]:
    """Paths (relative to ``root``, '/'-separated) of every file below ``root``, sorted."""
    if not is_remote(root):
        base = Path(root)
        if not base.is_dir():
            return []
        return sorted(str(p.relative_to(base)).replace(os.sep, "/") for p in base.rglob("*") if p.is_file())
    return [o["path"] for o in list_objects(root)]


def list_objects(root: str) -> list[dict[str, Any]]:
    """For a URL: ``{"path": relative key, "modified": epoch seconds, "size": bytes}`` of every object."""
    bucket, key = split(root)
    prefix = key.rstrip("/") + "/" if key else ""
    out = []
    for page in _api().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        out.extend({"path": o["Key"][len(prefix):], "modified": o["LastModified"].timestamp(), "size": o["Size"]}
                   for o in page.get("Contents", []))
    return sorted(out, key=lambda o: o["path"])


def list_objects_page(root: str) -> None:
    """One ListObjectsV2 request (at most one key): raises when the bucket or endpoint cannot be used."""
    bucket, key = split(root)
    _api().list_objects_v2(Bucket=bucket, Prefix=key.rstrip("/") + "/" if key else "", MaxKeys=1)


def sha256_of(url: str) -> str:
    """An object's sha256: its ``sha256`` metadata when an uploader stored one, else computed from its bytes."""
    info = head(url)
    if info is None:
        raise FileNotFoundError(url)
    stored = (info.get("Metadata") or {}).get(SHA256_KEY, "")
    if re.fullmatch(r"[0-9a-f]{64}", stored):
        return stored
    return _computed_sha256(url, str(info.get("ETag", "")), str(info.get("LastModified", "")))


@functools.lru_cache(maxsize=4096)
def _computed_sha256(url: str, etag: str, modified: str) -> str:
    """Keyed by ETag and time, like the local checksum cache by mtime: a changed object is read again."""
    return hashlib.sha256(read_bytes(url)).hexdigest()


# --- writes -----------------------------------------------------------------------------------------------
def put_file(local: str | os.PathLike[str], url: str) -> str:
    """Upload a local file as one object with its sha256 in the metadata; returns the sha256."""
    h = hashlib.sha256()
    with open(local, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    digest = h.hexdigest()
    bucket, key = split(url)
    with open(local, "rb") as fh:
        _api().put_object(Bucket=bucket, Key=key, Body=fh, Metadata={SHA256_KEY: digest})
    return digest


def write_bytes(path: str, data: bytes) -> None:
    if not is_remote(path):
        with atomic_open(path, "wb") as fh:
            fh.write(data)
        return
    bucket, key = split(path)
    _api().put_object(Bucket=bucket, Key=key, Body=data,
                      Metadata={SHA256_KEY: hashlib.sha256(data).hexdigest()})


def write_text(path: str, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def open_write(path: str, mode: str = "w") -> Iterator[IO[Any]]:
    """Atomic write: :func:`atomic_open` for a local path; for a URL a local temporary file uploaded with one
    PUT when the block succeeds (nothing is sent when it fails, so no partial object can appear)."""
    if not is_remote(path):
        with atomic_open(path, mode) as fh:
            yield fh
        return
    fd, tmp = tempfile.mkstemp(prefix=".pipeline-upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8",
                       newline=None if "b" in mode else "\n") as fh:
            yield fh
        put_file(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def copy(src: str, dst: str) -> None:
    """Server-side copy of one object (its metadata, the sha256 included, goes with it)."""
    sb, sk = split(src)
    db, dk = split(dst)
    _api().copy_object(Bucket=db, Key=dk, CopySource={"Bucket": sb, "Key": sk})


def remove(path: str) -> None:
    """Delete one file or object (missing is fine)."""
    if is_remote(path):
        bucket, key = split(path)
        _api().delete_object(Bucket=bucket, Key=key)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def remove_tree(root: str) -> int:
    """Delete every file or object below ``root``; returns how many."""
    if not is_remote(root):
        import shutil

        n = len(list_files(root))
        shutil.rmtree(root, ignore_errors=True)
        return n
    bucket, key = split(root)
    keys = [f"{key.rstrip('/')}/{k}" for k in list_files(root)]
    for i in range(0, len(keys), 1000):  # DeleteObjects takes at most 1000 keys
        _api().delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[i:i + 1000]],
                                                     "Quiet": True})
    return len(keys)


def copy_tree(root: str, local: Path, names: list[str] | None = None) -> None:
    """Download the files below ``root`` (or only ``names``) into the local folder ``local``."""
    local.mkdir(parents=True, exist_ok=True)
    for rel in names if names is not None else list_files(root):
        dest = local / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            dest.write_bytes(read_bytes(join(root, rel)))
        except FileNotFoundError:
            continue


# --- per-host local state of a remote output root -----------------------------------------------------------
def local_dir(root: str) -> str:
    """Where this host keeps the local state of an output root: the root itself for a folder; for a URL
    ``$PIPELINE_LOCAL_DIR`` or ``$XDG_CACHE_HOME/pipeline/s3/<bucket>/<prefix>`` (``~/.cache`` by default).
    It holds the translation cache (SQLite: per host, never on object storage), run locks, task logs not
    yet uploaded and export staging; nothing in it has to be shared between hosts.
    """
    if not is_remote(root):
        return str(root)
    base = os.environ.get("PIPELINE_LOCAL_DIR")
    if base:
        return base
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    bucket, key = split(root)
    return os.path.join(cache, "pipeline", "s3", bucket, *[p for p in key.split("/") if p])
