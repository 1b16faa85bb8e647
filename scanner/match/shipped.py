"""Where the shipped signature files are: one answer for every reader of them.

pyproject maps the top-level ``signatures/`` folder to the package data ``scanner.signatures``
on install. It has no ``__init__.py``, so there it is a namespace package, whose
``importlib.resources.files()`` is a MultiplexedPath that takes one path part at a time and has
no usable ``str()``; its import spec names the real folder instead. A source checkout that was
not installed has no ``scanner.signatures``: the folder sits beside the package.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

__all__ = ["shipped_dir"]


@functools.lru_cache(maxsize=1)
def shipped_dir() -> Path:
    """The folder that holds the shipped ``*.yaml`` files and their sub-folders."""
    try:
        spec = importlib.util.find_spec("scanner.signatures")
    except ModuleNotFoundError:
        spec = None
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            return Path(location)
    return Path(__file__).resolve().parents[2] / "signatures"
