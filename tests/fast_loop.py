"""What `make test-fast` may skip importing: modules whose own marks it leaves out."""

from __future__ import annotations

import ast
from pathlib import Path


def excluded_marks(markexpr: str) -> frozenset[str]:
    """The marks `-m "not a and not b ..."` leaves out; empty for any other form of expression."""
    terms = [term.split() for term in markexpr.split(" and ")] if markexpr else []
    if not terms or any(len(term) != 2 or term[0] != "not" for term in terms):
        return frozenset()
    return frozenset(name for _, name in terms)


def module_marks(path: Path) -> frozenset[str]:
    """The names in a test module's top-level `pytestmark` (`pytest.mark.NAME`, called or not)."""
    tree = ast.parse(path.read_bytes(), filename=str(path))
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
