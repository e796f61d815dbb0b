"""Running site.yml from a test: an inventory of one chroot host, the keys it names, the result.

Everything the playbook needs from a newsroom is made here: a Submission public key and a
backup key (gpg, ed25519 + cv25519), journalist and SSH client keys (x25519), a passphrase.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from onion.keys import ClientKeyPair
from tests.gpg_keys import keyring, new_key, run_gpg

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = REPO / "ansible"
BIN = Path(sys.executable).parent
PASSPHRASE = "lantern quarry velvet orbit saddle pepper"
WHEELHOUSE = Path(os.environ.get("SEALDROP_TEST_CACHE", "/var/cache/sealdrop-test")) / "wheelhouse"


@dataclass(frozen=True)
class Played:
    code: int
    output: str
    seconds: float

    def recap(self) -> dict[str, dict[str, int]]:
        """PLAY RECAP counts per host: ok, changed, failed, ..."""
        found = {}
        for host, counts in re.findall(r"(?m)^(\S+)\s+:\s+(ok=.*)$", self.output):
            found[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counts)}
        return found


def public_key(home: Path, uid: str, *, expire: str = "never", when: str | None = None) -> str:
    extra = ["--faked-system-time", when] if when else []
    run_gpg(
        home,
        *extra,
        "--passphrase",
        "",
        "--quick-gen-key",
        uid,
        "future-default",
        "default",
        expire,
    )
    return run_gpg(home, "--armor", "--export", uid)


def make_keys(directory: Path) -> dict[str, Path]:
    """Key files as a newsroom has them: good ones, and the bad ones validate must refuse."""
    directory.mkdir(parents=True, exist_ok=True)
    with keyring() as home:
        files = {
            "submission": public_key(home, "Submission <s@example.org>"),
            "backup": public_key(home, "Backup admin <b@example.org>"),
            "expired": public_key(home, "Old <o@example.org>", expire="1y", when="20200101T000000"),
            "secret": run_gpg(home, "--armor", "--export-secret-keys", "Backup admin"),
            "signing-only": new_key(home, "Signer <g@example.org>", "ed25519", "sign", "never"),
            "garbage": "this is not an OpenPGP key\n",
        }
    paths = {}
    for name, text in files.items():
        paths[name] = directory / f"{name}.asc"
        paths[name].write_text(text, encoding="ascii")
    return paths


def host_vars(root: Path, keys: Mapping[str, Path]) -> dict[str, Any]:
    """One chroot host, with every variable a real inventory sets."""
    return {
        "ansible_connection": "community.general.chroot",
        "ansible_python_interpreter": "/usr/bin/python3",
        "ansible_become": False,
        "app_project_dir": str(REPO),
        "app_controller_wheelhouse": str(WHEELHOUSE),
        "app_submission_key_file": str(keys["submission"]),
        "app_admin_username": "admin",
        "app_admin_passphrase": PASSPHRASE,
        "app_admin_secret_dir": str(root.parent / "controller-secrets"),
        "app_instance_name": "Converge Test",
        "backup_recipient_key_file": str(keys["backup"]),
        "tor_journalist_clients": [
            {"name": "alice-laptop", "public_key": ClientKeyPair.generate().public_b32},
            {"name": "bob-phone", "public_key": ClientKeyPair.generate().public_b32},
        ],
        "tor_ssh_clients": [
            {"name": "admin-laptop", "public_key": ClientKeyPair.generate().public_b32}
        ],
    }


def write_inventory(path: Path, root: Path, variables: Mapping[str, Any]) -> Path:
    return write_hosts(path, {str(root): variables})


def write_hosts(path: Path, hosts: Mapping[str, Mapping[str, Any]]) -> Path:
    """An inventory whose group `sealdrop` has these hosts, each with its variables."""
    inventory = {"sealdrop": {"hosts": {name: dict(v) for name, v in hosts.items()}}}
    path.write_text(json.dumps(inventory, indent=2), encoding="utf-8")
    return path


def ansible_env() -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "ANSIBLE_CONFIG": str(ANSIBLE_DIR / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_LOCAL_TEMP": os.environ.get("TMPDIR", "/tmp") + "/ansible-local",
        "ANSIBLE_HOME": os.environ.get("TMPDIR", "/tmp") + "/ansible-home",
    }


def play(
    inventory: Path, *extra: str, playbook: Path | None = None, timeout: float = 1800
) -> Played:
    """`ansible-playbook` on site.yml (or another playbook) from the ansible directory."""
    started = time.monotonic()
    done = subprocess.run(
        [
            str(BIN / "ansible-playbook"),
            "-i",
            str(inventory),
            *extra,
            str(playbook) if playbook else "site.yml",
        ],
        cwd=ANSIBLE_DIR,
        env=ansible_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Played(done.returncode, done.stdout + done.stderr, time.monotonic() - started)
