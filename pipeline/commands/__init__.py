"""Sub-commands of the ``pipeline`` CLI, one module each (see pipeline/cli.py)."""
