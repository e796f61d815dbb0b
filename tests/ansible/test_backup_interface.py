"""The backup role calls `sealdrop backup` with options the installed CLI accepts."""

from __future__ import annotations

import argparse
import re
import shlex

import pytest

from sealdrop.cli.main import _parser
from tests.ansible.deploy import ANSIBLE_DIR

pytestmark = pytest.mark.ansible

ROLE = ANSIBLE_DIR / "roles" / "backup"


def exec_start() -> list[str]:
    """The unit's ExecStart with the role's defaults put in."""
    text = (ROLE / "defaults" / "main.yml").read_text(encoding="utf-8")
    defaults = dict(re.findall(r"(?m)^(\w+): \"?([^\"\n]*)\"?$", text))
    unit = (ROLE / "templates" / "sealdrop-backup.service.j2").read_text(encoding="utf-8")
    line = next(x for x in unit.splitlines() if x.startswith("ExecStart="))
    filled = re.sub(r"\{\{ (\w+) \}\}", lambda m: str(defaults[m.group(1)]), line)
    return shlex.split(filled.removeprefix("ExecStart="))


def test_the_backup_unit_runs_a_command_sealdrop_accepts() -> None:
    argv = exec_start()
    assert argv[0] == "/opt/sealdrop/venv/bin/sealdrop" and argv[1] == "backup"
    commands = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    if "backup" not in commands.choices:
        pytest.skip("this tree has no `sealdrop backup` yet (it comes with the backup work)")
    args = _parser().parse_args(argv[1:])
    assert (args.output, args.recipient_key) == (
        "/var/backups/sealdrop",
        "/etc/sealdrop/backup-recipient.pub.asc",
    )
