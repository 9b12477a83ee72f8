"""Package layout rules: no import cycles (between packages or modules), no private cross-module imports.

The imports are read from the source with :mod:`ast` (every ``import``, also those
inside functions), so a cycle hidden behind a lazy import is found too. Each rule is
first checked on a small package written to a temporary folder, so the detectors
are shown to fail where they should.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "riskmodels"


def module_files(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file under ``root`` (a package folder)."""
    mods = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def _target(mods: dict, module: str, node: ast.ImportFrom) -> str | None:
    if not node.level:
        return node.module
    base = module.split(".")
    if mods[module].name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph(root: Path) -> tuple[dict[str, set], list[tuple[str, str, str]]]:
    """Module -> imported package modules, and every (importer, module, private name) imported."""
    mods = module_files(root)
    top = root.name
    edges: dict[str, set] = {m: set() for m in mods}
    private: list[tuple[str, str, str]] = []
    for module, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        bound = {}  # local name -> package module it is bound to
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == top:
                        edges[module].add(alias.name)
                        if alias.asname:
                            bound[alias.asname] = alias.name
            elif isinstance(node, ast.ImportFrom):
                target = _target(mods, module, node)
                if not target or target.split(".")[0] != top:
                    continue
                for alias in node.names:
                    full = f"{target}.{alias.name}"
                    if full in mods:
                        edges[module].add(full)
                        bound[alias.asname or alias.name] = full
                    else:
                        edges[module].add(target)
                        if alias.name.startswith("_") and not alias.name.startswith("__"):
                            private.append((module, target, alias.name))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in bound and bound[node.value.id] != module
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                private.append((module, bound[node.value.id], node.attr))
    return edges, private


def cycles(graph: dict[str, set]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan), each sorted."""
    index: dict = {}
    low: dict = {}
    stack: list = []
    on_stack: set = set()
    found: list = []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
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
                found.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def module_cycles(root: Path) -> list[list[str]]:
    """Cycles between modules; a module importing its own package's ``__init__`` does not count."""
    edges, _ = import_graph(root)
    top = root.name
    graph = {a: {b for b in bs if b != top and not a.startswith(b + ".")} for a, bs in edges.items() if a != top}
    return cycles(graph)


def package_cycles(root: Path) -> list[list[str]]:
    """Cycles between the first-level packages/modules (``riskmodels.models`` ...), the root excluded."""
    edges, _ = import_graph(root)
    top = root.name

    def first(name):
        return ".".join(name.split(".")[:2])

    graph: dict[str, set] = {}
    for a, bs in edges.items():
        for b in bs:
            pa, pb = first(a), first(b)
            if pa != pb and top not in (pa, pb):
                graph.setdefault(pa, set()).add(pb)
    return cycles(graph)


@pytest.fixture
def toy_package(tmp_path) -> Path:
    """pkg.a <-> pkg.b (a lazy import), pkg.c imports a private name, pkg.d reads a private attribute,
    pkg.e calls a private method that pkg.b defines (pkg.b calling it is its own business)."""
    root = tmp_path / "pkg"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    (root / "__init__.py").write_text("")
    (root / "a" / "__init__.py").write_text("from pkg.a.x import f\n")
    (root / "a" / "x.py").write_text("from pkg.b.y import g\n\ndef f():\n    return g()\n")
    (root / "b" / "__init__.py").write_text("")
    (root / "b" / "y.py").write_text("def g():\n    from pkg.a import x\n    return x\n\ndef _h():\n    return 1\n")
    (root / "c.py").write_text("from pkg.b.y import _h\n")
    (root / "d.py").write_text("from pkg.b import y\n\nvalue = y._h()\n")
    (root / "b" / "z.py").write_text("class K:\n    def _m(self):\n        return self._m\n\n\n"
                                     "def g(obj):\n    return obj._m()\n")
    (root / "e.py").write_text("def f(obj):\n    return obj._m(), obj._not_ours(), super()._m\n")
    return root


def test_the_detectors_find_a_cycle_and_private_imports(toy_package):
    assert package_cycles(toy_package) == [["pkg.a", "pkg.b"]]
    assert module_cycles(toy_package) == [["pkg.a.x", "pkg.b.y"]]
    _, private = import_graph(toy_package)
    assert sorted(private) == [("pkg.c", "pkg.b.y", "_h"), ("pkg.d", "pkg.b.y", "_h")]
    assert private_attribute_access(toy_package) == [("pkg.d", "_h"), ("pkg.e", "_m")]


def test_no_import_cycle_between_packages():
    assert package_cycles(ROOT) == []


def test_no_import_cycle_between_modules():
    assert module_cycles(ROOT) == []


def test_no_module_imports_a_private_name_from_another_module():
    _, private = import_graph(ROOT)
    assert private == []


def test_no_package_calls_a_private_name_of_another_package():
    assert private_attribute_access(ROOT) == []


def test_a_private_call_planted_across_packages_is_found(tmp_path):
    """The rule on the real tree: a copy of riskmodels with spark.kmv calling KMVModel's private
    ``_input_rules`` (the access the Spark fit used to make) is flagged, and only that."""
    import shutil

    copy = tmp_path / "riskmodels"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns("__pycache__", "standalone"))
    kmv = copy / "spark" / "kmv.py"
    kmv.write_text(kmv.read_text(encoding="utf-8") + "\n\ndef planted(model):\n    return model._input_rules()\n",
                   encoding="utf-8")
    assert private_attribute_access(copy) == [("riskmodels.spark.kmv", "_input_rules")]


def test_the_production_scorer_imports_numpy_and_the_standard_library_only():
    edges, _ = import_graph(ROOT)
    assert edges["riskmodels.scoring"] <= {"riskmodels.errors"}


def scorer_package_imports(root: Path) -> list[tuple[str, str]]:
    """(module, import) for every import of the scorer package ``root/scoring`` that is not the
    standard library, numpy, riskmodels.errors or a relative import of the package's own modules."""
    import sys

    found = []
    package = root / "scoring"
    for module, path in module_files(root).items():
        if not path.is_relative_to(package):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                if node.level != 1 or (node.module or "") not in {p.stem for p in package.glob("*.py")}:
                    found.append((module, "." * node.level + (node.module or "")))
                continue
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) else []
            found.extend((module, name) for name in names if name.split(".")[0] not in
                         sys.stdlib_module_names and name not in ("numpy", "riskmodels.errors"))
    return found


def test_the_scorer_package_detector_finds_foreign_and_absolute_imports(tmp_path):
    root = tmp_path / "pkg"
    (root / "scoring").mkdir(parents=True)
    (root / "scoring" / "__init__.py").write_text("")
    (root / "scoring" / "a.py").write_text("import json\nimport numpy as np\nfrom .b import f\n")
    (root / "scoring" / "b.py").write_text("import pandas\nfrom pkg.scoring.a import g\n"
                                           "from ..other import h\n")
    assert scorer_package_imports(root) == [("pkg.scoring.b", "pandas"), ("pkg.scoring.b", "pkg.scoring.a"),
                                            ("pkg.scoring.b", "..other")]


def test_the_scorer_package_imports_numpy_the_standard_library_and_its_own_modules_only():
    # within the package only relative imports: the build concatenates the modules into one file
    assert scorer_package_imports(ROOT) == []


def _first_package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def private_attribute_access(root: Path) -> list[tuple[str, str]]:
    """(module, name) of every ``obj._name`` read in one first-level package on a name another one defines.

    A private name is *defined* by a package where one of its modules has ``def _name``,
    ``class _name``, a class-body or module assignment to ``_name``, or an assignment to
    ``self._name`` / ``cls._name``. An access on ``self``, ``cls`` or ``super()`` is the
    object's own business; names no package defines (third-party internals) are not judged.
    """
    mods = module_files(root)
    trees = {m: ast.parse(p.read_text(encoding="utf-8")) for m, p in mods.items()}
    defined: dict[str, set] = {}
    for module, tree in trees.items():
        names = defined.setdefault(_first_package(module), set())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                  and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                names.add(node.attr)
    everywhere = set().union(*defined.values()) if defined else set()
    found = []
    for module, tree in trees.items():
        own = defined[_first_package(module)]
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                continue
            target = node.value
            if isinstance(target, ast.Name) and target.id in ("self", "cls"):
                continue
            if isinstance(target, ast.Call) and isinstance(target.func, ast.Name) and target.func.id == "super":
                continue
            if node.attr in everywhere and node.attr not in own:
                found.append((module, node.attr))
    return sorted(set(found))
