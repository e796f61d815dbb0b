"""The playbook is lint-clean (ansible-lint's production profile, yamllint) and parses."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.ansible.deploy import ANSIBLE_DIR, BIN, ansible_env

pytestmark = [pytest.mark.ansible, pytest.mark.slow]


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=ANSIBLE_DIR,
        env=ansible_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


def test_yamllint_is_clean() -> None:
    done = run(str(BIN / "yamllint"), "--strict", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ansible_lint_production_profile_is_clean() -> None:
    done = run(str(BIN / "ansible-lint"), "--profile", "production", "--nocolor")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_playbook_parses_with_the_example_inventory() -> None:
    done = run(str(BIN / "ansible-playbook"), "--syntax-check", "site.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_syntax_error_is_caught(tmp_path: Path) -> None:
    # The syntax check is no formality: a misspelt module fails it.
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "---\n- name: Broken\n  hosts: localhost\n  tasks:\n"
        "    - name: A module that does not exist\n      ansible.builtin.no_such_module: {}\n",
        encoding="utf-8",
    )
    done = run(str(BIN / "ansible-playbook"), "--syntax-check", str(broken))
    assert done.returncode != 0
    assert "no_such_module" in done.stdout + done.stderr
