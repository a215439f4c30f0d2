"""Re-exports imported on first use (PEP 562), so a package's ``__init__`` stays light.

A package lists ``name -> defining module``; ``from package import name`` and
``package.name`` import the module only then. Inside hospital_twin, code imports from
the defining module itself, never through a package's re-export (that keeps the import
graph free of cycles; ``tests/test_layering.py`` checks it).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package`` re-exporting ``exports`` (name -> module)."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # the next lookup is a plain global
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__


class _ModuleOnFirstUse:
    """Stands in for a module under a global name until the first attribute is read (see :func:`lazy_module`)."""

    __slots__ = ("_alias", "_name", "_namespace")

    def __init__(self, name: str, namespace: dict[str, Any], alias: str) -> None:
        self._name, self._namespace, self._alias = name, namespace, alias

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self._name)
        self._namespace[self._alias] = module  # later look-ups of the global find the module itself
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<module {self._name!r}, imported on first use>"


def lazy_module(name: str, namespace: dict[str, Any], alias: str) -> Any:
    """A stand-in for ``import name as alias`` in the module whose globals are ``namespace``.

    The module is imported when code first reads an attribute of ``alias`` (``pd.DataFrame``), and
    the stand-in then replaces itself in ``namespace`` with the module, so the functions of a module
    that pulls in a heavy library (pandas, scipy) pay for it on first use, not at start-up, and
    pay nothing more afterwards. Use it as::

        if TYPE_CHECKING:
            import pandas as pd
        else:
            pd = lazy_module("pandas", globals(), "pd")
    """
    return _ModuleOnFirstUse(name, namespace, alias)
