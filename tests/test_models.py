"""``pipeline models`` without network: a package index and packages served from 127.0.0.1.

A small HTTP server in a thread serves a fake index and a real (random-weight) package built by
tests/argos_fixture.py; it can drop the connection midway through a download and honours Range, so
resuming, checksum checks, updates and the one-line offline failure are tested end to end through the CLI.
"""
from __future__ import annotations

import hashlib
import io
import json
import socket
import subprocess
import sys
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from argos_fixture import build_package  # tests/argos_fixture.py, next to this file (like conftest)

from pipeline import cli
from pipeline.translate import models


def repack(archive: bytes, version: str) -> bytes:
    """The same package as upstream names them: folder ``translate-es_en-<version>``, code
    ``translate-es_en``, and this package_version."""
    out = io.BytesIO()
    folder = f"translate-es_en-{version.replace('.', '_')}"
    with zipfile.ZipFile(io.BytesIO(archive)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("/metadata.json"):
                meta = json.loads(data)
                meta.update(package_version=version, code="translate-es_en")
                data = json.dumps(meta).encode()
            dst.writestr(folder + "/" + info.filename.split("/", 1)[1], data)
    return out.getvalue()


@pytest.fixture(scope="module")
def archives(tmp_path_factory) -> dict[str, bytes]:
    base = build_package(tmp_path_factory.mktemp("pkg"), "es", "en").read_bytes()
    return {"1.0": repack(base, "1.0"), "1.1": repack(base, "1.1")}


class Server:
    """Serves ``files`` (path -> bytes); ``drop_after[path] = n`` closes the next answer for that path
    after n bytes. Every request's path and Range header are recorded."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.drop_after: dict[str, int] = {}
        self.honour_range = True
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10  # a stuck client cannot hold a handler thread forever

            def log_message(self, *a):
                pass

            def do_GET(self):
                server.requests.append((self.path, self.headers.get("Range")))
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                start, status = 0, 200
                rng = self.headers.get("Range")
                if rng and server.honour_range:
                    start = int(rng.removeprefix("bytes=").split("-")[0])
                    if start >= len(body):
                        self.send_error(416)
                        return
                    status = 206
                self.send_response(status)
                self.send_header("Content-Length", str(len(body) - start))
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                self.end_headers()
                cut = server.drop_after.pop(self.path, None)
                self.wfile.write(body[start:] if cut is None else body[start:start + cut])
                if cut is not None:
                    self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        # Bounded: the server shuts itself down even if a test never gets to its teardown.
        self.watchdog = threading.Timer(300, self.httpd.shutdown)
        self.watchdog.daemon = True

    def publish(self, *versions_and_archives: tuple[str, bytes], sha256: str | None = None) -> str:
        """Serve these package versions and an index listing them; return the index URL."""
        entries = []
        for version, data in versions_and_archives:
            path = f"/translate-es_en-{version}.argosmodel"
            self.files[path] = data
            entries.append({"code": "translate-es_en", "from_code": "es", "to_code": "en",
                            "from_name": "Spanish", "to_name": "English", "package_version": version,
                            "argos_version": "1.0", "type": "translate", "links": [self.url + path],
                            "sha256": sha256 or hashlib.sha256(data).hexdigest()})
        self.files["/index.json"] = json.dumps(entries).encode()
        return self.url + "/index.json"


@pytest.fixture
def server():
    s = Server()
    s.thread.start()
    s.watchdog.start()
    yield s
    s.watchdog.cancel()
    s.httpd.shutdown()
    s.httpd.server_close()


def models_cli(capsys, pkdir: Path, *args: str) -> tuple[int, str, list[str]]:
    rc = cli.main(["models", "--packages-dir", str(pkdir), *args])
    out, err = capsys.readouterr()
    return rc, out, err.splitlines()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_available_from_url_then_from_the_cached_copy(server, archives, tmp_path, capsys):
    index = server.publish(("1.0", archives["1.0"]), ("1.1", archives["1.1"]))
    rc, out, _ = models_cli(capsys, tmp_path, "available", "--index", index)
    assert rc == 0
    assert out.splitlines() == ["es->en\ttranslate-es_en 1.0", "es->en\ttranslate-es_en 1.1"]
    # The same index saved as a file, as an operator would carry it to an offline machine.
    copy = tmp_path / "index.json"
    copy.write_bytes(server.files["/index.json"])
    assert models_cli(capsys, tmp_path / "other", "available", "--index", str(copy))[1] == out
    # The URL gone: the copy cached by the last successful read is used, and stderr says so.
    server.files.clear()
    rc, out2, err = models_cli(capsys, tmp_path, "available", "--index", index)
    assert (rc, out2) == (0, out)
    assert len(err) == 1 and "using the cached index" in err[0]


def test_install_from_index_update_and_remove(server, archives, tmp_path, capsys):
    index = server.publish(("1.0", archives["1.0"]))
    rc, out, _ = models_cli(capsys, tmp_path, "install", "--from-index", "es", "en", "--index", index)
    assert rc == 0 and "installed es->en translate-es_en 1.0" in out
    assert models.find_package("es", "en", tmp_path).version == "1.0"
    # The archive is deleted once installed; the folder holds the package, the cached index and the lock.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".index.json", ".lock", "translate-es_en-1_0"]
    rc, out, _ = models_cli(capsys, tmp_path, "available", "--index", index)
    assert out.splitlines() == ["es->en\ttranslate-es_en 1.0\tinstalled"]

    server.publish(("1.0", archives["1.0"]), ("1.1", archives["1.1"]))
    assert models_cli(capsys, tmp_path, "available", "--index", index)[1].splitlines()[1] == \
        "es->en\ttranslate-es_en 1.1\tupdate (installed 1.0)"
    rc, out, _ = models_cli(capsys, tmp_path, "update", "--index", index)
    assert rc == 0 and "updated es->en 1.0 -> 1.1" in out
    assert [p.version for p in models.list_packages(tmp_path)] == ["1.1"]
    assert models_cli(capsys, tmp_path, "update", "--index", index)[1] == "all installed packages are up to date\n"

    rc, out, _ = models_cli(capsys, tmp_path, "remove", "es", "en")
    assert rc == 0 and out.startswith("removed es->en")
    assert models.list_packages(tmp_path) == []
    rc, _, err = models_cli(capsys, tmp_path, "remove", "translate-es_en")
    assert rc == 1 and err == ["pipeline models: no installed package matches translate-es_en "
                               "(see `pipeline models list`)"]


def test_remove_by_name_keeps_other_packages(archives, tmp_path, capsys):
    (tmp_path / "a.argosmodel").write_bytes(archives["1.0"])
    models.install(tmp_path / "a.argosmodel", tmp_path / "pk")
    other = build_package(tmp_path / "b", "en", "es", seed=1)
    models.install(other, tmp_path / "pk")
    rc, out, _ = models_cli(capsys, tmp_path / "pk", "remove", "translate-en_es-test")
    assert rc == 0 and "en->es" in out
    assert [(p.from_code, p.to_code) for p in models.list_packages(tmp_path / "pk")] == [("es", "en")]


@pytest.mark.parametrize("honour_range", [True, False])
def test_interrupted_download_resumes(server, archives, tmp_path, capsys, honour_range):
    data = archives["1.0"]
    index = server.publish(("1.0", data))
    server.honour_range = honour_range
    cut = len(data) // 3
    server.drop_after["/translate-es_en-1.0.argosmodel"] = cut
    rc, _, err = models_cli(capsys, tmp_path, "install", "--from-index", "es", "en", "--index", index)
    assert rc == 1 and len(err) == 1
    assert f"connection closed after {cut} of {len(data)} bytes" in err[0]
    assert "run the command again to resume" in err[0]
    assert models.list_packages(tmp_path) == []
    (part,) = [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    assert part.read_bytes() == data[:cut]

    rc, out, _ = models_cli(capsys, tmp_path, "install", "--from-index", "es", "en", "--index", index)
    assert rc == 0 and "installed es->en" in out
    downloads = [r for p, r in server.requests if p.endswith(".argosmodel")]
    assert downloads == [None, f"bytes={cut}-"]  # the second attempt asked only for the rest
    # Resumed or sent again in full (server ignoring Range), the bytes passed the index's sha256.
    assert models.find_package("es", "en", tmp_path).version == "1.0"


def test_checksum_mismatch_installs_nothing_and_discards_the_download(server, archives, tmp_path, capsys):
    index = server.publish(("1.0", archives["1.0"]), sha256="0" * 64)
    rc, _, err = models_cli(capsys, tmp_path, "install", "--from-index", "es", "en", "--index", index)
    assert rc == 1 and len(err) == 1 and "checksum mismatch" in err[0] and "0" * 64 in err[0]
    assert models.list_packages(tmp_path) == []
    assert not [p for p in tmp_path.iterdir() if ".argosmodel" in p.name]  # the next attempt starts afresh


@pytest.mark.parametrize("args", [["available"], ["install", "--from-index", "es", "en"], ["update"]])
def test_unreachable_index_fails_in_one_line(tmp_path, capsys, args):
    url = f"http://127.0.0.1:{closed_port()}/index.json"
    rc, out, err = models_cli(capsys, tmp_path, *args, "--index", url)
    assert (rc, out) == (1, "")
    assert err == [f"pipeline models: cannot reach the package index {url}: Connection refused (offline? give "
                   "a local copy with --index PATH, or install a file: pipeline models install PATH.argosmodel)"]


def test_unreachable_package_link_fails_in_one_line(tmp_path, capsys):
    link = f"http://127.0.0.1:{closed_port()}/p.argosmodel"
    index = tmp_path / "index.json"
    index.write_text(json.dumps([{"from_code": "es", "to_code": "en", "package_version": "1.0",
                                  "code": "translate-es_en", "links": [link]}]))
    rc, _, err = models_cli(capsys, tmp_path / "pk", "install", "--from-index", "es", "en", "--index", str(index))
    assert rc == 1
    assert err == [f"pipeline models: download of translate-es_en 1.0 failed: {link}: Connection refused"]


def test_failed_reinstall_keeps_the_installed_package(archives, tmp_path):
    good = tmp_path / "good.argosmodel"
    good.write_bytes(archives["1.0"])
    installed = models.install(good, tmp_path / "pk")
    bad = tmp_path / "bad.argosmodel"
    with zipfile.ZipFile(bad, "w") as zf:  # same folder name, no model/
        zf.writestr(f"{installed.path.name}/metadata.json", json.dumps({"from_code": "es", "to_code": "en"}))
    with pytest.raises(models.InstallError, match="no model/ folder"):
        models.install(bad, tmp_path / "pk")
    assert models.list_packages(tmp_path / "pk") == [installed]
    assert sorted(p.name for p in (tmp_path / "pk").iterdir()) == [".lock", installed.path.name]


def test_management_does_not_need_argostranslate(archives, tmp_path):
    # A plain `pip install` of the project has no argostranslate: block its import and manage packages.
    (tmp_path / "p.argosmodel").write_bytes(archives["1.0"])
    code = ("import sys; sys.modules['argostranslate'] = None\n"
            "from pipeline import cli\n"
            f"assert cli.main(['models', '--packages-dir', {str(tmp_path / 'pk')!r}, 'install', "
            f"{str(tmp_path / 'p.argosmodel')!r}]) == 0\n"
            f"assert cli.main(['models', '--packages-dir', {str(tmp_path / 'pk')!r}, 'list']) == 0\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "es->en\ttranslate-es_en 1.0" in res.stdout
