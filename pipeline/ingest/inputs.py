"""The input set: which entries of an input folder are articles, their doc ids and checksums.

Policy: every non-hidden entry directly in the folder is an input. Regular files are read; a symlink is
followed only when it resolves to a regular file inside the input folder. Everything else (a link leading
out of the folder, a dangling or looping link, a folder, a FIFO, a device, an unreadable file, a name whose
doc id another name already has) becomes a rejected document with a machine-readable reason, so it shows
in ``rejected.jsonl`` and the report and is never opened (a FIFO would block the run).
"""
from __future__ import annotations

import errno
import functools
import hashlib
import os
import re
import stat
import unicodedata
from pathlib import Path

SKIPPED = "skipped:"  # checksum prefix of an entry that is not read; the rest is the reject reason


def doc_id_for(path: str | os.PathLike[str]) -> str:
    """A stable, filesystem-safe id for an input file, distinct for distinct names in one folder: the
    stem of a ``.txt`` file when that stem is already safe, else a slug and a hash of the whole name.

    >>> doc_id_for("seeds/000_750c02cc8be14c39.txt")
    '000_750c02cc8be14c39'
    >>> doc_id_for("in/Año nuevo.txt")
    'ano-nuevo-d93687a7'
    >>> doc_id_for("in/report.md") != doc_id_for("in/report.txt")
    True
    """
    name = Path(path).name
    stem = name[:-4] if name.endswith(".txt") else ""
    if re.fullmatch(r"[A-Za-z0-9_.-]{1,80}", stem) and not stem.startswith("."):
        return stem
    stem = Path(path).stem or name
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_stem).strip("-").lower()[:60] or "doc"
    return f"{slug}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"


def list_inputs(input_dir: str | os.PathLike[str]) -> list[Path]:
    """Every non-hidden entry directly in ``input_dir``, sorted by name (see ``skip_reason`` for which
    of them are read). For an ``s3://`` prefix: the URLs (strings) of the objects directly under it."""
    from pipeline import storage

    if storage.is_remote(input_dir):
        root = str(input_dir).rstrip("/")
        return [storage.join(root, n) for n in storage.list_files(root)  # type: ignore[misc]
                if "/" not in n and not n.startswith(".")]
    folder = Path(input_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"input folder not found: {folder}")
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


@functools.lru_cache(maxsize=64)
def _shadowed_names(folder: str, mtime_ns: int) -> frozenset[str]:
    """Names whose doc id an earlier name (in sorted order) already has; keyed by the folder's mtime,
    which changes whenever an entry is added, removed or renamed."""
    seen: set[str] = set()
    shadowed = set()
    for name in sorted(os.listdir(folder)):
        if name.startswith("."):
            continue
        doc = doc_id_for(name)
        if doc in seen:
            shadowed.add(name)
        seen.add(doc)
    return frozenset(shadowed)


def skip_reason(path: str | os.PathLike[str]) -> str | None:
    """Why the entry ``path`` of an input folder is not read as an article (None: it is read)."""
    p = Path(path)
    folder = p.parent
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        return None  # the caller sees it missing when it reads
    if stat.S_ISLNK(st.st_mode):
        try:
            target = p.resolve(strict=True)
        except FileNotFoundError:
            return "dangling_symlink"
        except (RuntimeError, OSError) as exc:  # Python < 3.13 raises RuntimeError for a loop
            if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP:
                return "symlink_loop"
            return "unreadable"
        if folder.resolve() not in target.parents:
            return "symlink_outside_input"
        st = os.stat(target)
    if stat.S_ISDIR(st.st_mode):
        return "directory"
    if stat.S_ISFIFO(st.st_mode):
        return "fifo"
    if not stat.S_ISREG(st.st_mode):
        return "special_file"
    try:
        if p.name in _shadowed_names(str(folder), os.stat(folder).st_mtime_ns):
            return "duplicate_doc_id"
    except OSError:
        pass
    return None


@functools.lru_cache(maxsize=4096)
def file_sha256(path: str, mtime_ns: int, size: int, ino: int = 0, ctime_ns: int = 0) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def input_checksum(path: str) -> str:
    """What the fingerprints of an input are built from: the file's sha256, ``missing``,
    ``unreadable:<error>`` or ``skipped:<reason>``. Never raises: one bad entry must not stop the run.
    For an ``s3://`` object: the sha256 its uploader stored in the metadata, else computed from its bytes."""
    from pipeline import storage

    if storage.is_remote(path):
        try:
            return storage.sha256_of(str(path))
        except FileNotFoundError:
            return "missing"
        except Exception as exc:  # botocore: access denied, endpoint down ...
            return f"unreadable:{type(exc).__name__}"
    reason = skip_reason(path)
    if reason:
        return SKIPPED + reason
    try:
        st = os.stat(path)
        return file_sha256(path, st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"unreadable:{errno.errorcode.get(exc.errno or 0, type(exc).__name__)}"


REASON_MESSAGES = {
    "dangling_symlink": "a symbolic link whose target does not exist",
    "symlink_loop": "a symbolic link that loops",
    "symlink_outside_input": "a symbolic link to a file outside the input folder (not followed)",
    "directory": "a folder, not a file (input folders are not searched recursively)",
    "fifo": "a named pipe (FIFO), not a file",
    "special_file": "a device or socket, not a regular file",
    "duplicate_doc_id": "another input file name gives the same document id",
    "unreadable": "cannot be read",
}
