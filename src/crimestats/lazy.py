"""Package attributes imported on first use (PEP 562), for ``crimestats``, ``crimestats.io`` and ``crimestats.store``.

A package lists the names it exports with the submodule that defines each; :func:`loader` gives
it the ``__getattr__`` and ``__dir__`` that import a name's module when the name is first asked
for (and any submodule, asked for by its own name). So importing the package costs nothing
until something is used: ``crimestats status`` and a refresh finding nothing new never load
pandas.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import sys
from collections.abc import Callable, Mapping
from typing import Any


def loader(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``, whose ``exports`` map each name to its submodule (".read").

    A name is imported when first asked for and then kept as a plain attribute; any submodule
    of the package is an attribute too (``cs.periods``), without being exported.
    """

    def __getattr__(name: str) -> Any:
        if name in exports:
            value = getattr(importlib.import_module(exports[name], package), name)
        elif not name.startswith("_") and importlib.util.find_spec(f"{package}.{name}") is not None:
            value = importlib.import_module(f".{name}", package)
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(sys.modules[package], name, value)  # later look-ups are plain attribute reads
        return value

    def __dir__() -> list[str]:
        module = sys.modules[package]
        submodules = (info.name for info in pkgutil.iter_modules(module.__path__))
        return sorted({*vars(module), *exports, *submodules})

    return __getattr__, __dir__
