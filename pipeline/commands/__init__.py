"""Sub-commands of the ``pipeline`` CLI, one module each (see pipeline/cli.py).

Every command's parser is made by ``add_command``: a description, an example and the exit statuses the
command uses (members of ``ExitCode``) in its epilog, and the global options, which are therefore accepted
after the command as well as before it (``pipeline run --config x.yaml`` = ``pipeline --config x.yaml run``).
"""
from __future__ import annotations

import argparse
import sys

from pipeline.service.run import ExitCode, exit_status_help


class HelpFormatter(argparse.HelpFormatter):
    """Wraps prose; text with its own line breaks (examples, the exit-status table) is kept as written."""

    def _fill_text(self, text, width, indent):
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def add_global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """The options every command accepts. ``suppress``: for a command's own parser, where an option that is
    not given must not overwrite the value given before the command."""
    parser.add_argument("--config", default=argparse.SUPPRESS if suppress else None, metavar="YAML",
                        help="pipeline config (default: $PIPELINE_CONFIG, else configs/pipeline.yaml, else the "
                             "packaged defaults)")


def add_command(subparsers, name: str, *, help: str, description: str, example: str,
                exit_codes: tuple[ExitCode, ...]) -> argparse.ArgumentParser:
    """A sub-command parser with the shared layout (see the module docstring)."""
    epilog = "example:\n" + "\n".join(f"  {line}" for line in example.strip().splitlines())
    epilog += "\n\n" + exit_status_help(exit_codes)
    parser = subparsers.add_parser(name, help=help, description=description, epilog=epilog,
                                   formatter_class=HelpFormatter)
    parser.exit_codes = tuple(exit_codes)
    add_global_options(parser, suppress=True)
    return parser


def usage_error(message: str) -> ExitCode:
    """Say why a command cannot start (one line on stderr) and give the status for it."""
    print(f"pipeline: {message}", file=sys.stderr)
    return ExitCode.USAGE
