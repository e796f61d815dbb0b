"""The fast loop skips importing a module only when its own marks deselect every test in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.fast_loop import excluded_marks, module_marks, skipped_folder
from tests.project import ROOT

# The expression `make test-fast` passes to -m, as the Makefile has it.
FAST = re.findall(r'-m "([^"]+)"', (ROOT / "Makefile").read_text())[0]


def test_the_fast_loop_expression_names_what_it_leaves_out() -> None:
    assert excluded_marks(FAST) == {"server", "e2e", "postgres", "slow", "tor", "ansible"}


@pytest.mark.parametrize("expression", ["", "slow", "not slow or e2e", "server and not slow"])
def test_any_other_expression_leaves_nothing_out_before_import(expression: str) -> None:
    assert excluded_marks(expression) == frozenset()


@pytest.mark.parametrize(
    ("source", "marks"),
    [
        ("pytestmark = pytest.mark.slow\n", {"slow"}),
        ("pytestmark = [pytest.mark.tor, pytest.mark.timeout(900)]\n", {"tor", "timeout"}),
        # Marks on single tests, or a pytestmark nested in a function, are not the module's.
        ("@pytest.mark.slow\ndef test_x() -> None: ...\n", set()),
        ("def f() -> None:\n    pytestmark = pytest.mark.slow\n", set()),
        ("pytestmark = pytest.mark.parametrize('x', [1])\n", {"parametrize"}),
    ],
)
def test_module_marks_are_read_without_importing(
    tmp_path: Path, source: str, marks: set[str]
) -> None:
    path = tmp_path / "test_module.py"
    path.write_text("import pytest\n" + source)
    assert module_marks(path) == marks


def test_the_schema_module_is_left_out_of_the_fast_loop_and_only_it_of_the_api_tests() -> None:
    api = Path(__file__).parent / "journalist_interface" / "api"
    skipped = {p.name for p in api.glob("test_*.py") if module_marks(p) & excluded_marks(FAST)}
    assert skipped == {"test_schema.py", "test_contract.py"}


def test_a_folder_is_skipped_only_when_every_module_in_it_is(tmp_path: Path) -> None:
    excluded = excluded_marks(FAST)
    (tmp_path / "deep").mkdir()
    (tmp_path / "conftest.py").write_text("import nothing_installed\n")
    (tmp_path / "test_a.py").write_text("import pytest\npytestmark = pytest.mark.e2e\n")
    (tmp_path / "deep" / "test_b.py").write_text("import pytest\npytestmark = pytest.mark.slow\n")
    assert skipped_folder(tmp_path, excluded)
    assert not skipped_folder(tmp_path, frozenset())
    (tmp_path / "deep" / "test_c.py").write_text("def test_c() -> None: ...\n")
    assert not skipped_folder(tmp_path, excluded)
    (tmp_path / "empty").mkdir()
    assert not skipped_folder(tmp_path / "empty", excluded)


def test_the_browser_and_ansible_folders_are_left_out_and_no_other() -> None:
    excluded = excluded_marks(FAST)
    tests = Path(__file__).parent
    skipped = {p.name for p in tests.rglob("*") if p.is_dir() and skipped_folder(p, excluded)}
    assert skipped == {"e2e", "ansible"}
