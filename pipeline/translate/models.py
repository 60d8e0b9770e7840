"""Offline translation packages (the argostranslate ``.argosmodel`` format): install, list, remove, update.

Implements the package format and the package index directly, so managing packages needs neither
argostranslate nor network: a package is a zip holding one folder with ``metadata.json``, a CTranslate2
``model/`` folder and a SentencePiece (or BPE) tokenizer; the index is a JSON list of package entries with
download ``links`` (and, where given, checksums). Network use is bounded: one short-timeout attempt per
link, a one-line error when offline, downloads resumed with HTTP Range from a ``.part`` file, installs
unpacked next to the packages and switched in by ``rename``.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

DEFAULT_INDEX_URL = "https://raw.githubusercontent.com/argosopentech/argospm-index/main/index.json"
TIMEOUT_S = 10.0  # per connect and per read: an unreachable host fails in seconds, a live one may be slow
_CHUNK = 1 << 16
_INDEX_CACHE = ".index.json"  # last index read from a URL, used when the URL cannot be reached


class InstallError(RuntimeError):
    """A package could not be installed, removed or found; the message is one line for the operator."""


class NetworkError(InstallError):
    """The index or a package could not be fetched (offline, refused, timed out, interrupted)."""


def packages_dir(configured: str = "") -> Path:
    """The directory packages are installed into and loaded from.

    Order: the configured value, ``$ARGOS_PACKAGES_DIR``, argostranslate's default
    (``$XDG_DATA_HOME/argos-translate/packages``, ``~/.local/share/...`` without it).

    >>> str(packages_dir("/srv/models"))
    '/srv/models'
    """
    if configured:
        return Path(configured).expanduser()
    env = os.environ.get("ARGOS_PACKAGES_DIR")
    if env:
        return Path(env).expanduser()
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "argos-translate" / "packages"


def _version_key(version: str):
    from packaging.version import InvalidVersion, Version

    try:
        return (1, Version(version), version)
    except InvalidVersion:
        return (0, Version("0"), version)


def newer(a: str, b: str) -> bool:
    """Whether version ``a`` is newer than ``b`` (PEP 440 order; unparsable versions sort first).

    >>> newer("1.9", "1.10"), newer("1.1", "1.0"), newer("1.0", "1.0")
    (False, True, False)
    """
    return _version_key(a)[:2] > _version_key(b)[:2]


@dataclass(frozen=True)
class InstalledPackage:
    path: Path
    from_code: str
    to_code: str
    version: str
    code: str

    @property
    def label(self) -> str:
        return f"{self.code or self.path.name} {self.version}".strip()

    @property
    def name(self) -> str:
        return self.code or self.path.name

    def to_dict(self) -> dict:
        return {"path": str(self.path), "from": self.from_code, "to": self.to_code,
                "version": self.version, "code": self.code}


def _metadata(folder: Path) -> dict:
    meta = folder / "metadata.json"
    if not meta.is_file():
        raise InstallError(f"{folder}: no metadata.json, not an argostranslate package")
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InstallError(f"{meta}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InstallError(f"{meta}: not a JSON object")
    return data


def _read(path: Path) -> InstalledPackage:
    data = _metadata(path)
    return InstalledPackage(path, str(data.get("from_code") or ""), str(data.get("to_code") or ""),
                            str(data.get("package_version") or ""), str(data.get("code") or ""))


def list_packages(directory: str | Path = "") -> list[InstalledPackage]:
    """Installed translation packages in ``directory`` (folders with a metadata.json and a model)."""
    root = packages_dir(str(directory))
    if not root.is_dir():
        return []
    out = []
    for p in sorted(root.iterdir()):
        if p.name.startswith("."):  # staging, downloads and the index cache
            continue
        if p.is_dir() and (p / "metadata.json").is_file() and (p / "model").is_dir():
            try:
                out.append(_read(p))
            except (OSError, InstallError):
                continue
    return out


def find_package(src: str, tgt: str, directory: str | Path = "") -> InstalledPackage | None:
    """The installed package for ``src``->``tgt`` with the highest version, or None."""
    matches = [p for p in list_packages(directory) if (p.from_code, p.to_code) == (src, tgt)]
    return max(matches, key=lambda p: _version_key(p.version)) if matches else None


def _check_package_dir(folder: Path) -> dict:
    data = _metadata(folder)
    missing = [k for k in ("from_code", "to_code") if not data.get(k)]
    if missing:
        raise InstallError(f"{folder / 'metadata.json'}: missing {', '.join(missing)}")
    if not (folder / "model").is_dir():
        raise InstallError(f"{folder}: no model/ folder (CTranslate2 model)")
    if not ((folder / "sentencepiece.model").is_file() or (folder / "bpe.model").is_file()):
        raise InstallError(f"{folder}: no sentencepiece.model or bpe.model tokenizer")
    return data


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    """One writer at a time per packages directory (two concurrent installs of one package)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _discard(path: Path, root: Path) -> None:
    """Remove an installed folder: renamed aside first, so readers never see half of it."""
    aside = Path(tempfile.mkdtemp(dir=root, prefix=".remove-"))
    path.rename(aside / path.name)
    shutil.rmtree(aside, ignore_errors=True)


def install(path: str | Path, directory: str | Path = "") -> InstalledPackage:
    """Install a ``.argosmodel`` zip or an unpacked package folder into the packages directory.

    The package is unpacked into a hidden folder inside the packages directory, validated, and renamed
    into place; a package of the same name is replaced only after the new one is complete.
    """
    src = Path(path)
    root = packages_dir(str(directory))
    with _locked(root), tempfile.TemporaryDirectory(dir=root, prefix=".install-") as tmp:
        if src.is_dir():
            folder = Path(tmp) / src.name
            shutil.copytree(src, folder)
        elif src.is_file() and zipfile.is_zipfile(src):
            with zipfile.ZipFile(src) as zf:
                for name in zf.namelist():
                    # A zip entry may not escape the extraction folder.
                    if name.startswith("/") or ".." in Path(name).parts:
                        raise InstallError(f"{src}: unsafe path in archive: {name}")
                try:
                    zf.extractall(tmp)
                except (zipfile.BadZipFile, OSError) as exc:
                    raise InstallError(f"{src}: damaged archive: {exc}") from exc
            tops = [p for p in Path(tmp).iterdir() if p.is_dir()]
            if len(tops) != 1:
                raise InstallError(f"{src}: expected one top-level folder in the archive, found {len(tops)}")
            folder = tops[0]
        elif src.exists():
            raise InstallError(f"{src}: not a zip archive (.argosmodel) nor a package folder")
        else:
            raise InstallError(f"{src}: no such file or folder")
        _check_package_dir(folder)
        if folder.name.startswith("."):
            raise InstallError(f"{src}: package folder name {folder.name!r} starts with a dot")
        target = root / folder.name
        if target.exists():
            _discard(target, root)
        # Rename is atomic on one filesystem: a reader never sees a half-unpacked package.
        folder.rename(target)
    return _read(target)


def remove(what: str, tgt: str | None = None, directory: str | Path = "") -> list[InstalledPackage]:
    """Remove installed packages: by direction (``remove("es", "en")``) or by name or folder name."""
    root = packages_dir(str(directory))
    if tgt is None:
        victims = [p for p in list_packages(root) if what in (p.code, p.path.name)]
        label = what
    else:
        victims = [p for p in list_packages(root) if (p.from_code, p.to_code) == (what, tgt)]
        label = f"{what}->{tgt}"
    if not victims:
        raise InstallError(f"no installed package matches {label} (see `pipeline models list`)")
    with _locked(root):
        for p in victims:
            if p.path.exists():
                _discard(p.path, root)
    return victims


# ---------------------------------------------------------------------------------------------------
# The index and downloads


@dataclass(frozen=True)
class IndexEntry:
    """One package listed in the index."""

    from_code: str
    to_code: str
    version: str
    links: tuple[str, ...]
    code: str = ""
    from_name: str = ""
    to_name: str = ""
    checksums: dict[str, str] = field(default_factory=dict)  # algorithm -> hex digest

    @property
    def name(self) -> str:
        return self.code or f"translate-{self.from_code}_{self.to_code}"

    @classmethod
    def from_json(cls, d: dict) -> "IndexEntry":
        """An index entry; checksums may come as ``sha256: hex``, ``checksum: "sha256:hex"`` or a
        ``checksums`` object.

        >>> IndexEntry.from_json({"from_code": "es", "to_code": "en", "package_version": "1.0",
        ...                       "links": ["http://x/p.argosmodel"], "checksum": "sha256:AB"}).checksums
        {'sha256': 'ab'}
        """
        sums: dict[str, str] = {}
        for algo in ("sha256", "sha512", "sha1", "md5"):
            if isinstance(d.get(algo), str):
                sums[algo] = d[algo]
        if isinstance(d.get("checksums"), dict):
            sums.update({k: v for k, v in d["checksums"].items() if isinstance(v, str)})
        if isinstance(d.get("checksum"), str) and ":" in d["checksum"]:
            algo, _, digest = d["checksum"].partition(":")
            sums[algo] = digest
        sums = {k.lower(): v.strip().lower() for k, v in sums.items() if k.lower() in hashlib.algorithms_available}
        links = d.get("links") or []
        return cls(str(d.get("from_code") or ""), str(d.get("to_code") or ""),
                   str(d.get("package_version") or ""), tuple(str(u) for u in links if u),
                   str(d.get("code") or ""), str(d.get("from_name") or ""), str(d.get("to_name") or ""), sums)


def _one_line(exc: BaseException) -> str:
    import socket
    import urllib.error
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        exc = exc.reason if isinstance(exc.reason, BaseException) else exc
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return f"no answer within {TIMEOUT_S:g} s"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())


def _is_url(source: str) -> bool:
    import urllib.parse
    return urllib.parse.urlsplit(source).scheme in ("http", "https", "file")


def _open(url: str, headers: dict[str, str] | None = None, timeout: float = TIMEOUT_S):
    import urllib.request  # the network modules load only when they are used
    req = urllib.request.Request(url, headers={"User-Agent": "mt-normalise-pipeline", **(headers or {})})
    # One attempt: urlopen follows a few redirects but never retries.
    return urllib.request.urlopen(req, timeout=timeout)


def _parse_index(raw: bytes, where: str) -> list[IndexEntry]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InstallError(f"{where}: not a JSON package index: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("packages"), list):
        data = data["packages"]
    if not isinstance(data, list):
        raise InstallError(f"{where}: a package index is a JSON list of packages")
    entries = [IndexEntry.from_json(d) for d in data if isinstance(d, dict)]
    return [e for e in entries if e.from_code and e.to_code]


def read_index(source: str | Path | None = None, directory: str | Path = "",
               note: Callable[[str], None] | None = None) -> list[IndexEntry]:
    """The package index from a local JSON file or a URL (argos' public index by default).

    A URL that answers refreshes the cached copy in the packages directory; one that cannot be reached
    falls back to that copy (``note`` is told so), or fails with a one-line :class:`NetworkError`.
    """
    import http.client
    import urllib.error

    src = str(source or os.environ.get("PIPELINE_MODELS_INDEX") or DEFAULT_INDEX_URL)
    if not _is_url(src):
        path = Path(src).expanduser()
        try:
            return _parse_index(path.read_bytes(), str(path))
        except OSError as exc:
            raise InstallError(f"cannot read package index {path}: {_one_line(exc)}") from exc
    cache = packages_dir(str(directory)) / _INDEX_CACHE
    try:
        with _open(src) as resp:
            raw = resp.read()
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        if cache.is_file():
            if note:
                note(f"cannot reach {src} ({_one_line(exc)}); using the cached index {cache}")
            return _parse_index(cache.read_bytes(), str(cache))
        raise NetworkError(f"cannot reach the package index {src}: {_one_line(exc)} (offline? give a local "
                           "copy with --index PATH, or install a file: pipeline models install PATH.argosmodel)"
                           ) from exc
    entries = _parse_index(raw, src)
    cache.parent.mkdir(parents=True, exist_ok=True)
    from pipeline.io import atomic_open

    with atomic_open(cache, "wb") as fh:
        fh.write(raw)
    return entries


def best_entry(entries: list[IndexEntry], src: str, tgt: str) -> IndexEntry | None:
    matches = [e for e in entries if (e.from_code, e.to_code) == (src, tgt) and e.links]
    return max(matches, key=lambda e: _version_key(e.version)) if matches else None


def _safe_name(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text).strip(".") or "package"


def _verify(path: Path, sums: dict[str, str]) -> None:
    for algo, want in sums.items():
        h = hashlib.new(algo)
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        if h.hexdigest() != want:
            raise InstallError(f"checksum mismatch for {path.name}: {algo} {h.hexdigest()}, the index says "
                               f"{want} (the damaged download was deleted; try again)")


def download(entry: IndexEntry, directory: str | Path = "",
             progress: Callable[[int, int | None], None] | None = None) -> Path:
    """Download ``entry`` into a hidden file in the packages directory and return it.

    Bytes go to a ``.part`` file; an interrupted download keeps it and the next call asks for the rest
    with an HTTP Range request (a server that ignores Range sends it all again). Each link is tried once.
    The finished file is checked against the index's checksums, where it gives any.
    """
    import http.client
    import urllib.error

    if not entry.links:
        raise InstallError(f"the index gives no download link for {entry.name} {entry.version}")
    # Hidden files, not a folder: argostranslate takes every folder in the packages directory for a package.
    folder = packages_dir(str(directory))
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f".{_safe_name(entry.name)}-{_safe_name(entry.version)}.argosmodel"
    part = final.with_name(final.name + ".part")
    errors = []
    for url in entry.links:
        have = part.stat().st_size if part.exists() else 0
        try:
            resp = _open(url, {"Range": f"bytes={have}-"} if have else None)
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and have:  # nothing left to send: the .part file is complete
                break
            errors.append(f"{url}: {_one_line(exc)}")
            continue
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            errors.append(f"{url}: {_one_line(exc)}")
            continue
        with resp:
            resumed = have > 0 and resp.status == 206 and \
                resp.headers.get("Content-Range", "").startswith(f"bytes {have}-")
            length = resp.headers.get("Content-Length")
            expected = int(length) if length and length.isdigit() else None
            total = (have + expected if resumed else expected) if expected is not None else None
            got = 0
            try:
                with open(part, "ab" if resumed else "wb") as fh:
                    for chunk in iter(lambda: resp.read(_CHUNK), b""):
                        fh.write(chunk)
                        got += len(chunk)
                        if progress:
                            progress((have if resumed else 0) + got, total)
            except (OSError, http.client.HTTPException) as exc:
                errors.append(f"{url}: interrupted after {part.stat().st_size} bytes: {_one_line(exc)}")
                continue
            if expected is not None and got < expected:
                errors.append(f"{url}: connection closed after {part.stat().st_size} of {total} bytes")
                continue
        break
    else:
        kept = part.stat().st_size if part.exists() else 0
        hint = f"; {kept} bytes kept in {part}, run the command again to resume" if kept else ""
        raise NetworkError(f"download of {entry.name} {entry.version} failed: {'; '.join(errors)}{hint}")
    try:
        _verify(part, entry.checksums)
    except InstallError:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, final)
    return final


def install_entry(entry: IndexEntry, directory: str | Path = "",
                  progress: Callable[[int, int | None], None] | None = None) -> InstalledPackage:
    """Download and install one index entry; the downloaded archive is deleted once installed."""
    archive = download(entry, directory, progress)
    pkg = install(archive, directory)
    archive.unlink(missing_ok=True)
    return pkg


def install_from_index(src: str, tgt: str, directory: str | Path = "", index: str | Path | None = None,
                       note: Callable[[str], None] | None = None,
                       progress: Callable[[int, int | None], None] | None = None) -> InstalledPackage:
    """Download the newest ``src``->``tgt`` package listed in the index and install it."""
    entry = best_entry(read_index(index, directory, note), src, tgt)
    if entry is None:
        raise InstallError(f"the package index lists no {src}->{tgt} package")
    return install_entry(entry, directory, progress)


@dataclass(frozen=True)
class Update:
    installed: InstalledPackage
    available: IndexEntry


def updates(entries: list[IndexEntry], directory: str | Path = "") -> list[Update]:
    """Installed packages for which the index lists a newer version of the same direction."""
    out = []
    newest: dict[tuple[str, str], InstalledPackage] = {}
    for p in list_packages(directory):
        key = (p.from_code, p.to_code)
        if key not in newest or newer(p.version, newest[key].version):
            newest[key] = p
    for (src, tgt), pkg in sorted(newest.items()):
        entry = best_entry(entries, src, tgt)
        if entry is not None and newer(entry.version, pkg.version):
            out.append(Update(pkg, entry))
    return out


def apply_update(update: Update, directory: str | Path = "",
                 progress: Callable[[int, int | None], None] | None = None) -> InstalledPackage:
    """Install the newer version, then remove the older folders of that direction (if named apart)."""
    new = install_entry(update.available, directory, progress)
    root = packages_dir(str(directory))
    with _locked(root):
        for p in list_packages(root):
            if (p.from_code, p.to_code) == (new.from_code, new.to_code) and p.path != new.path \
                    and newer(new.version, p.version):
                _discard(p.path, root)
    return new
