"""``pipeline models``: offline translation packages: install, list, available, remove, update.

Exit status: OK, FAILED (the action failed; one line on stderr says why), USAGE.
"""
from __future__ import annotations

import argparse
import sys

from pipeline.commands import HelpFormatter, add_command, add_global_options
from pipeline.config import load_config
from pipeline.service.run import ExitCode


def register(subparsers) -> None:
    p = add_command(subparsers, "models", help="manage offline translation packages (argos format)",
                    description="Install, list, look up, remove and update offline translation packages "
                                "(argos .argosmodel format) in translation.argos.packages_dir.",
                    example="pipeline models install --from-index es en\n"
                            "pipeline models list --packages-dir /opt/argos-packages",
                    exit_codes=(ExitCode.OK, ExitCode.FAILED, ExitCode.USAGE))
    p.add_argument("--packages-dir", default=None, metavar="DIR",
                   help="packages folder (default: translation.argos.packages_dir from the config)")
    # Also accepted after the action (`pipeline models list --packages-dir D`).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--packages-dir", default=argparse.SUPPRESS, metavar="DIR",
                        help="packages folder (also accepted before the action)")
    indexed = argparse.ArgumentParser(add_help=False, parents=[common])
    indexed.add_argument("--index", default=None, metavar="URL|PATH",
                         help="package index: a URL or a local copy of the JSON (default: "
                              "$PIPELINE_MODELS_INDEX or argos' public index; an unreachable URL falls back "
                              "to the copy cached by the last successful read)")
    sub = p.add_subparsers(dest="models_command", metavar="ACTION", help="what to do with the packages")
    sub.required = True

    def action(name, parents, help, example):
        parser = sub.add_parser(name, parents=parents, help=help, description=help[0].upper() + help[1:] + ".",
                                epilog=f"example:\n  pipeline models {example}", formatter_class=HelpFormatter)
        add_global_options(parser, suppress=True)
        return parser

    inst = action("install", [indexed], "install PATH (.argosmodel or folder) or --from-index SRC TGT",
                  "install translate-es_en-1_0.argosmodel")
    inst.add_argument("path", nargs="?", default=None, help="a .argosmodel file or an unpacked package folder")
    inst.add_argument("--from-index", nargs=2, metavar=("SRC", "TGT"), default=None,
                      help="download the SRC->TGT package listed in the index (resumable, checksum-verified)")
    action("list", [common], "list installed packages", "list")
    action("available", [indexed], "list the packages in the index", "available --index index.json")
    rm = action("remove", [common], "remove installed packages: SRC TGT, or NAME", "remove es en")
    rm.add_argument("what", nargs="+", metavar="SRC TGT | NAME", help="language pair, or a package name")
    action("update", [indexed], "install newer versions listed in the index", "update")
    p.set_defaults(func=run)


def _err(msg: str) -> None:
    print(f"pipeline models: {msg}", file=sys.stderr)


def _progress():
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int | None) -> None:
        of = f" of {total / 1e6:.1f}" if total else ""
        print(f"\rdownloading: {done / 1e6:.1f}{of} MB", end="", file=sys.stderr, flush=True)
    return show


def run(args) -> int:
    from pipeline.translate import models as m

    directory = args.packages_dir
    if directory is None:
        directory = load_config(args.config).translation.argos.packages_dir
    action = args.models_command
    try:
        if action == "list":
            return _list(m, directory)
        if action == "available":
            return _available(m, directory, args.index)
        if action == "remove":
            return _remove(m, directory, args.what)
        if action == "update":
            return _update(m, directory, args.index)
        return _install(m, directory, args)
    except m.InstallError as exc:
        if sys.stderr.isatty():
            print(file=sys.stderr)  # end a progress line
        _err(str(exc))
        return ExitCode.FAILED


def _list(m, directory) -> int:
    pkgs = m.list_packages(directory)
    print(f"packages dir: {m.packages_dir(directory)}")
    for p in pkgs:
        print(f"{p.from_code}->{p.to_code}\t{p.label}\t{p.path}")
    if not pkgs:
        print("no argos packages installed (apertium is used where available)")
    return ExitCode.OK


def _available(m, directory, index) -> int:
    entries = m.read_index(index, directory, note=_err)
    installed = {}
    for p in m.list_packages(directory):
        installed.setdefault((p.from_code, p.to_code), []).append(p.version)
    for e in sorted(entries, key=lambda e: (e.from_code, e.to_code, m._version_key(e.version))):
        have = installed.get((e.from_code, e.to_code), [])
        state = ("installed" if e.version in have else
                 f"update (installed {max(have, key=m._version_key)})" if have and
                 all(m.newer(e.version, v) for v in have) else "")
        print(f"{e.from_code}->{e.to_code}\t{e.name} {e.version}\t{state}".rstrip())
    if not entries:
        print("the index lists no packages")
    return ExitCode.OK


def _remove(m, directory, what) -> int:
    if len(what) > 2:
        _err("remove takes SRC TGT or one NAME")
        return ExitCode.USAGE
    for p in m.remove(*what, directory=directory):
        print(f"removed {p.from_code}->{p.to_code} {p.label} from {p.path}")
    return ExitCode.OK


def _update(m, directory, index) -> int:
    todo = m.updates(m.read_index(index, directory, note=_err), directory)
    for u in todo:
        new = m.apply_update(u, directory, _progress())
        print(f"updated {new.from_code}->{new.to_code} {u.installed.version} -> {new.version} at {new.path}")
    if not todo:
        print("all installed packages are up to date")
    return ExitCode.OK


def _install(m, directory, args) -> int:
    if bool(args.path) == bool(args.from_index):
        _err("install: give PATH or --from-index SRC TGT (one of them)")
        return ExitCode.USAGE
    if args.path:
        pkg = m.install(args.path, directory)
    else:
        pkg = m.install_from_index(*args.from_index, directory=directory, index=args.index, note=_err,
                                   progress=_progress())
    print(f"installed {pkg.from_code}->{pkg.to_code} {pkg.label} at {pkg.path}")
    return ExitCode.OK
