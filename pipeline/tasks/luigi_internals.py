"""Every place the project leans on Luigi internals, in one module, with why.

Luigi's public API does not cover three things the pipeline needs at 10,000+ documents or for settings
that resolve when a task is created; each override below relies on a private detail of Luigi.
``tests/test_luigi_internals.py`` pins the supported Luigi range (``pyproject.toml``) and checks that each
detail still behaves as assumed, so an upgrade that changes one fails there, loudly, and not as a slow or
wrong run.

- ``CachedParams.get_params``: Luigi walks ``dir(cls)`` on every task instantiation; with six tasks per
  document that dominated scheduling 10,000 articles. Parameters are class attributes, fixed once the class
  exists, so the list is cached per class (relies on ``Task.get_params`` returning the class's Parameter
  attributes and on nothing adding parameters to a class after its first instantiation).
- ``forget_task_instances``: Luigi keeps every task object it ever created (``Register``'s instance cache);
  the corpus tasks create six per document for fingerprints and completeness checks, so a run's memory
  would grow with the corpus (about 6 kB per document). Clearing it is safe: the worker holds its own
  references, and tasks compare by parameters.
- ``SettingMixin``: a parameter whose default is read from the ``[pipeline]`` settings when a task is
  created (after the task's own ``--Task-param`` flag and ``[Task] param`` config entry), not when the
  module is imported. It adds one step to ``Parameter._value_iterator``, Luigi's private, ordered list of
  value sources; ``Parameter(config_path=...)`` would read the section too, but warns on every use and
  ignores ``--pipeline-<name>`` on the command line.
"""
from __future__ import annotations

from typing import Callable

import luigi
import luigi.task_register

# pyproject.toml pins the same range; tests/test_luigi_internals.py checks that they agree
SUPPORTED_LUIGI = (">=3.5", "<3.9")


class CachedParams:
    """Mixin for ``luigi.Task`` subclasses: ``get_params`` computed once per class."""

    @classmethod
    def get_params(cls):
        cached = cls.__dict__.get("_luigi_params")
        if cached is None:
            cached = tuple(super().get_params())
            cls._luigi_params = cached
        return list(cached)


def forget_task_instances() -> None:
    """Drop Luigi's cache of task objects (see the module docstring)."""
    luigi.task_register.Register.clear_instance_cache()


class SettingMixin:
    """A Luigi parameter whose last-resort default is ``settings()`` (a ``luigi.Config`` attribute read
    at instantiation). ``settings`` is a zero-argument callable returning the value."""

    def __init__(self, *args, settings: Callable[[], object], **kwargs):
        super().__init__(*args, **kwargs)  # no default: Luigi yields "no value", then we do
        self._settings = settings

    def _value_iterator(self, task_name, param_name):
        yield from super()._value_iterator(task_name, param_name)
        yield (self._settings(), None)


class SettingParameter(SettingMixin, luigi.Parameter):
    """A string parameter defaulting to a ``[pipeline]`` setting."""


class SettingFloatParameter(SettingMixin, luigi.FloatParameter):
    """A float parameter defaulting to a ``[pipeline]`` setting."""
