"""``pipeline models``: install argostranslate packages (local file/folder or the index), list them."""
from __future__ import annotations

import sys

from pipeline.config import load_config


def register(subparsers) -> None:
    p = subparsers.add_parser("models", help="manage offline argostranslate packages")
    p.add_argument("--packages-dir", default=None, help="override translation.argos.packages_dir")
    sub = p.add_subparsers(dest="models_command", metavar="ACTION")
    sub.required = True
    inst = sub.add_parser("install", help="install PATH (.argosmodel or folder) or --from-index SRC TGT")
    inst.add_argument("path", nargs="?", default=None)
    inst.add_argument("--from-index", nargs=2, metavar=("SRC", "TGT"), default=None)
    sub.add_parser("list", help="list installed packages")
    p.set_defaults(func=run)


def run(args) -> int:
    from pipeline.translate import models as argos_models

    directory = args.packages_dir
    if directory is None:
        directory = load_config(args.config).translation.argos.packages_dir
    if args.models_command == "list":
        pkgs = argos_models.list_packages(directory)
        print(f"packages dir: {argos_models.packages_dir(directory)}")
        for p in pkgs:
            print(f"{p.from_code}->{p.to_code}\t{p.label}\t{p.path}")
        if not pkgs:
            print("no argos packages installed (apertium is used where available)")
        return 0
    if bool(args.path) == bool(args.from_index):
        print("pipeline models install: give PATH or --from-index SRC TGT (one of them)", file=sys.stderr)
        return 2
    try:
        if args.path:
            pkg = argos_models.install(args.path, directory)
        else:
            pkg = argos_models.install_from_index(*args.from_index, directory=directory)
    except argos_models.InstallError as exc:
        print(f"pipeline models install: {exc}", file=sys.stderr)
        return 1
    print(f"installed {pkg.from_code}->{pkg.to_code} {pkg.label} at {pkg.path}")
    return 0
