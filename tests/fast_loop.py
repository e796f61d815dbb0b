"""What `make test-fast` may skip importing: modules whose own marks it leaves out, and folders
(their conftest.py with them) where it leaves out every module."""

from __future__ import annotations

import ast
import functools
from pathlib import Path


def excluded_marks(markexpr: str) -> frozenset[str]:
    """The marks `-m "not a and not b ..."` leaves out; empty for any other form of expression."""
    terms = [term.split() for term in markexpr.split(" and ")] if markexpr else []
    if not terms or any(len(term) != 2 or term[0] != "not" for term in terms):
        return frozenset()
    return frozenset(name for _, name in terms)


@functools.cache
def module_marks(path: Path) -> frozenset[str]:
    """The names in a test module's top-level `pytestmark` (`pytest.mark.NAME`, called or not).

    Kept per path for the run: a folder's check reads every module under it. A module that
    never names `pytestmark` (most) is not parsed at all.
    """
    source = path.read_bytes()
    if b"pytestmark" not in source:
        return frozenset()
    tree = ast.parse(source, filename=str(path))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "pytestmark" for target in node.targets
        ):
            for part in ast.walk(node.value):
                if (
                    isinstance(part, ast.Attribute)
                    and isinstance(part.value, ast.Attribute)
                    and part.value.attr == "mark"
                ):
                    names.add(part.attr)
    return frozenset(names)


def skipped_folder(folder: Path, excluded: frozenset[str]) -> bool:
    """Whether every test module under `folder` carries one of the `excluded` marks (a folder
    with no test module is never skipped: its conftest may serve the others)."""
    modules = list(folder.rglob("test_*.py"))
    return bool(excluded) and bool(modules) and all(module_marks(m) & excluded for m in modules)
