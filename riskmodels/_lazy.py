"""Lazy module attributes (PEP 562), so importing a package does not import its heavy parts.

Examples
--------
>>> namespace = {}
>>> getter = lazy_getattr("demo", {"sqrt": "math"}, namespace)
>>> getter("sqrt")(9.0), "sqrt" in namespace
(3.0, True)
"""

from __future__ import annotations

import importlib


def lazy_getattr(package: str, table: dict[str, str], namespace: dict):
    """A module ``__getattr__`` that imports ``table[name]`` on first use and caches it in
    ``namespace`` (the module's ``globals()``)."""

    def __getattr__(name: str):
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__
