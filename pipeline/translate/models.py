"""argostranslate package management: install (local .argosmodel, unpacked folder, or the index), list.

Works on a configurable packages directory. Uses ``argostranslate.package`` for reading packages and the
index, but never ``argostranslate.translate`` (it imports stanza/minisbd, which are not installed).
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path


def packages_dir(configured: str = "") -> Path:
    """The directory packages are installed into and loaded from.

    Order: the configured value, ``$ARGOS_PACKAGES_DIR``, argostranslate's default.
    """
    if configured:
        return Path(configured).expanduser()
    env = os.environ.get("ARGOS_PACKAGES_DIR")
    if env:
        return Path(env).expanduser()
    from argostranslate import settings

    return Path(settings.package_data_dir)


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

    def to_dict(self) -> dict:
        return {"path": str(self.path), "from": self.from_code, "to": self.to_code,
                "version": self.version, "code": self.code}


def _read(path: Path) -> InstalledPackage:
    from argostranslate.package import Package

    pkg = Package(path)  # validates metadata.json the way argostranslate does
    return InstalledPackage(path, pkg.from_code, pkg.to_code, pkg.package_version or "", pkg.code or "")


def list_packages(directory: str | Path = "") -> list[InstalledPackage]:
    """Installed translation packages in ``directory`` (folders with a metadata.json and a model)."""
    root = packages_dir(str(directory))
    if not root.is_dir():
        return []
    out = []
    for p in sorted(root.iterdir()):
        if p.is_dir() and (p / "metadata.json").is_file() and (p / "model").is_dir():
            try:
                out.append(_read(p))
            except (OSError, ValueError, KeyError):
                continue
    return out


def find_package(src: str, tgt: str, directory: str | Path = "") -> InstalledPackage | None:
    """The installed package for ``src``->``tgt`` with the highest version, or None."""
    from packaging.version import InvalidVersion, Version

    def key(p: InstalledPackage):
        try:
            return (1, Version(p.version))
        except InvalidVersion:
            return (0, Version("0"))

    matches = [p for p in list_packages(directory) if (p.from_code, p.to_code) == (src, tgt)]
    return max(matches, key=key) if matches else None


class InstallError(RuntimeError):
    pass


def _check_package_dir(folder: Path) -> None:
    meta = folder / "metadata.json"
    if not meta.is_file():
        raise InstallError(f"{folder}: no metadata.json, not an argostranslate package")
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InstallError(f"{meta}: not valid JSON: {exc}") from exc
    missing = [k for k in ("from_code", "to_code") if not data.get(k)]
    if missing:
        raise InstallError(f"{meta}: missing {', '.join(missing)}")
    if not (folder / "model").is_dir():
        raise InstallError(f"{folder}: no model/ folder (CTranslate2 model)")
    if not ((folder / "sentencepiece.model").is_file() or (folder / "bpe.model").is_file()):
        raise InstallError(f"{folder}: no sentencepiece.model or bpe.model tokenizer")


def install(path: str | Path, directory: str | Path = "") -> InstalledPackage:
    """Install a ``.argosmodel`` zip or an unpacked package folder into the packages directory."""
    from argostranslate.package import package_lock

    src = Path(path)
    dest_root = packages_dir(str(directory))
    dest_root.mkdir(parents=True, exist_ok=True)
    with package_lock, tempfile.TemporaryDirectory(dir=dest_root, prefix=".install-") as tmp:
        if src.is_dir():
            folder = src
        elif src.is_file() and zipfile.is_zipfile(src):
            with zipfile.ZipFile(src) as zf:
                for name in zf.namelist():
                    # A zip entry may not escape the extraction folder.
                    if name.startswith("/") or ".." in Path(name).parts:
                        raise InstallError(f"{src}: unsafe path in archive: {name}")
                zf.extractall(tmp)
            tops = [p for p in Path(tmp).iterdir() if p.is_dir()]
            if len(tops) != 1:
                raise InstallError(f"{src}: expected one top-level folder in the archive, found {len(tops)}")
            folder = tops[0]
        elif src.exists():
            raise InstallError(f"{src}: not a zip archive (.argosmodel) nor a package folder")
        else:
            raise InstallError(f"{src}: no such file or folder")
        _check_package_dir(folder)
        target = dest_root / folder.name
        staged = Path(tmp) / ".staged"
        shutil.copytree(folder, staged)
        if target.exists():
            shutil.rmtree(target)
        # Rename is atomic on one filesystem: a reader never sees a half-copied package.
        staged.rename(target)
    return _read(target)


def install_from_index(src: str, tgt: str, directory: str | Path = "") -> InstalledPackage:
    """Download the ``src``->``tgt`` package from argostranslate's index (needs network) and install it."""
    from argostranslate import package

    try:
        package.update_package_index()
        available = [p for p in package.get_available_packages()
                     if (p.from_code, p.to_code) == (src, tgt)]
    except Exception as exc:  # argostranslate raises bare Exceptions on network problems
        raise InstallError(f"cannot read argostranslate's package index: {exc}") from exc
    if not available:
        raise InstallError(f"argostranslate's index lists no {src}->{tgt} package (or it could not be "
                           "downloaded: this needs network)")
    try:
        downloaded = available[0].download()
    except Exception as exc:
        raise InstallError(f"download of {src}->{tgt} failed: {exc}") from exc
    return install(downloaded, directory)
