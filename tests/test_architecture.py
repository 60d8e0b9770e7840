"""The shape of the code: imports only go down the layers, and there is no import cycle.

Every ``import pipeline...`` in every module counts, including imports inside functions (a lazy import is
still a dependency). Layers, lowest first, as README's architecture section draws them.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "pipeline"

# (module-name prefix, layer). The longest matching prefix decides a module's layer.
LAYERS = {
    "pipeline": 0, "pipeline.records": 0, "pipeline.protect": 0, "pipeline.io": 0, "pipeline.storage": 0,
    "pipeline.resources": 0,
    "pipeline.repair.registry": 1, "pipeline.repair.context": 1, "pipeline.repair.rules": 1,
    "pipeline.config": 2,
    "pipeline.ingest": 3, "pipeline.segment": 3, "pipeline.langid": 3, "pipeline.translate": 3,
    "pipeline.repair": 3,
    "pipeline.stages": 4, "pipeline.runtime": 4,
    "pipeline.corpus": 5,
    "pipeline.tasks": 6,
    "pipeline.service": 7,
    "pipeline.commands": 8, "pipeline.cli": 8, "pipeline.__main__": 8,
}
STAGE_PACKAGES = ("pipeline.ingest", "pipeline.segment", "pipeline.langid", "pipeline.translate",
                  "pipeline.repair")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer(module: str) -> int:
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return LAYERS[best]


def imports_of(path: Path) -> set[str]:
    """Modules of this package that ``path`` imports (anywhere in the file)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    this = module_name(path)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "pipeline"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import
                base = this.split(".")[: -node.level + (1 if path.name == "__init__.py" else 0) or None]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            if mod.split(".")[0] != "pipeline":
                continue
            for a in node.names:  # "from pipeline.translate import models": the submodule is the import
                sub = f"{mod}.{a.name}"
                found.add(sub if _exists(sub) else mod)
    return found - {this}


def _exists(module: str) -> bool:
    p = PKG.parent / Path(*module.split("."))
    return p.with_suffix(".py").is_file() or (p / "__init__.py").is_file()


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted(PKG.rglob("*.py"))}


def test_imports_only_go_down_the_layers():
    wrong = [f"{m} (layer {layer(m)}) imports {d} (layer {layer(d)})"
             for m, deps in graph().items() for d in deps if layer(d) > layer(m)]
    assert not wrong, "\n".join(wrong)


def test_stage_packages_do_not_import_each_other():
    def stage(m: str) -> str | None:
        return next((s for s in STAGE_PACKAGES if m == s or m.startswith(s + ".")), None)

    wrong = [f"{m} imports {d}" for m, deps in graph().items() for d in deps
             if stage(m) and stage(d) and stage(m) != stage(d)]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles():
    g = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in g.get(v, ()):
            if w not in g:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in g:
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_the_checks_see_a_cycle_and_an_upward_import(tmp_path, monkeypatch):
    """The checks above can fail: a planted upward import is found."""
    g = graph()
    assert any(d.startswith("pipeline.config") for d in g["pipeline.corpus.filters"]), \
        "expected corpus.filters to import config (the check below relies on a real edge)"
    planted = {**g, "pipeline.config": g["pipeline.config"] | {"pipeline.tasks.base"}}
    wrong = [m for m, deps in planted.items() for d in deps if layer(d) > layer(m)]
    assert wrong == ["pipeline.config"]


@pytest.mark.parametrize("module", sorted(LAYERS))
def test_every_layer_entry_names_a_real_module(module):
    assert _exists(module), f"{module} is listed in LAYERS but does not exist"
