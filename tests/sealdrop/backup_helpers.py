"""Helpers of the backup tests (CLI and services): a populated instance, a backup made and
decrypted as the admin does, what a tree or a database holds, a tar rewritten."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import stat
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import MetaData, select

from onion.state import State
from sealdrop.config import load_config
from sealdrop.crypto.gpg import Gpg
from sealdrop.db.engine import make_engine
from sealdrop.runtime.initialise import initialise
from sealdrop.runtime.instance import open_instance
from sealdrop.services import backup
from sealdrop.services.replies import create_reply
from sealdrop.services.submissions import accept
from tests.cli_runner import Ran, Sealdrop
from tests.harness import TODAY, ReaderKeys, instance_env, source_with_a_message
from tests.sealdrop.services.journalist_helpers import add_journalist
from tests.sealdrop.services.submission_helpers import upload

DATABASE = "sealdrop.sqlite"


@dataclass(frozen=True)
class Populated:
    sources: int
    submissions: int
    replies: int
    journalists: int


def populate(env: Mapping[str, str], reader_keys: ReaderKeys, *, sources: int = 3) -> Populated:
    """Sources with a message and a file each, a reply to each, journalists, onion state."""
    config = load_config(env)
    inst = open_instance(config)
    keys = [reader_keys.key]
    try:
        with inst.sessions() as session:
            for number in range(sources):
                login, _ = source_with_a_message(inst, session, f"tip {number}", recipients=keys)
                staged = upload(inst, login.source, "leak.pdf", os.urandom(150_000), to=keys)
                accept(
                    session,
                    inst.store,
                    inst.gpg,
                    source=login.source,
                    message="",
                    uploads=[staged],
                    recipients=keys,
                    today=TODAY,
                )
                journalist = add_journalist(session, config, f"reporter{number}")
                create_reply(
                    session,
                    inst.store,
                    inst.gpg,
                    source=login.source,
                    text=f"thanks {number}",
                    readers=keys,
                    today=TODAY,
                    journalist=journalist,
                )
    finally:
        inst.close()
    onion = State(config.data_dir / "onion").open()
    onion.clients.add("alice-laptop")
    return Populated(sources, 2 * sources, sources, sources)


def populated_template(base: Path, reader_keys: ReaderKeys) -> dict[str, str]:
    """`sealdrop init` and populate() once, in `base/data`; copy_instance() gives each test one."""
    env = instance_env(base / "data")
    initialise(load_config(env), submission_key=reader_keys.public_key)
    populate(env, reader_keys)
    return env


def copy_instance(template: Mapping[str, str], base: Path) -> dict[str, str]:
    """The template's data directory copied, modes and times kept, under `base`."""
    target = Path(tempfile.mkdtemp(prefix="d", dir=base)) / "data"
    shutil.copytree(template["SEALDROP_DATA_DIR"], target)
    return {**template, "SEALDROP_DATA_DIR": str(target)}


def decrypt_argv(admin: ReaderKeys, archive: Path, output: Path | None = None) -> list[str]:
    """The admin's workstation: gpg with the admin's private key, outside any Sealdrop code;
    the tar goes to `output`, or to stdout."""
    to_file = ["--output", str(output)] if output is not None else []
    home = str(admin.gpg.home)
    return ["gpg", "--homedir", home, "--batch", "--quiet", *to_file, "--decrypt", str(archive)]


def decrypt(admin: ReaderKeys, archive: Path, output: Path) -> Path:
    """The archive decrypted as the admin does it, into `output`."""
    subprocess.run(decrypt_argv(admin, archive, output), check=True, capture_output=True)
    return output


def files_of(root: Path) -> dict[str, bytes]:
    """Every regular file under `root` but the database, by relative path."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != DATABASE and ".staging" not in path.parts
    }


def modes_of(root: Path) -> set[int]:
    return {stat.S_IMODE(path.stat().st_mode) for path in [root, *root.rglob("*")]}


def rows_of(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, sorted, to compare two databases whole."""
    engine = make_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            return {
                name: sorted(tuple(row) for row in connection.execute(select(table)))
                for name, table in metadata.tables.items()
            }
    finally:
        engine.dispose()


def rewrite_tar(source: Path, output: Path, change: Mapping[str, bytes]) -> Path:
    """A copy of the tar `source` whose members named in `change` hold other bytes."""
    with (
        tarfile.open(source) as tar_in,
        tarfile.open(output, "w", format=tarfile.GNU_FORMAT) as out,
    ):
        for member in tar_in:
            data = tar_in.extractfile(member).read() if member.isreg() else None  # type: ignore[union-attr]
            if member.name in change:
                data = change[member.name]
                member.size = len(data)
            out.addfile(member, io.BytesIO(data) if data is not None else None)
    return output


def flip_byte(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


def run_backup(sealdrop: Sealdrop, env: Mapping[str, str], admin_key: Path, output: Path) -> Ran:
    """`sealdrop backup` into `output` (made if missing), encrypted to the key file `admin_key`."""
    output.mkdir(exist_ok=True)
    return sealdrop(env, "backup", "--output", str(output), "--recipient-key", str(admin_key))


def back_up(sealdrop: Sealdrop, env: Mapping[str, str], admin_key: Path, output: Path) -> Path:
    """run_backup, which must succeed: the archive's path (its sha256 printed below it)."""
    ran = run_backup(sealdrop, env, admin_key, output)
    assert ran.code == 0, ran.stderr
    path = Path(ran.stdout.splitlines()[0])
    assert ran.stdout.splitlines()[1].startswith("sha256 ")
    return path


def data_dir(env: dict[str, str]) -> Path:
    return Path(env["SEALDROP_DATA_DIR"])


NOW = dt.datetime(2026, 12, 1, 3, 17, 0, tzinfo=dt.UTC)


def nothing_to_verify() -> None:
    """A plain tar has no gpg verdict to wait for."""


def make_backup(env: dict[str, str], admin: ReaderKeys, output: Path) -> backup.BackupResult:
    config = load_config(env)
    gpg = Gpg(config.gpg_scratch_dir)
    recipient = backup.check_recipient(gpg, admin.public_key)
    output.mkdir(exist_ok=True)
    return backup.create_backup(config, gpg, recipient=recipient, output_dir=output, now=NOW)


def empty_env(tmp_path: Path) -> dict[str, str]:
    """The environment of an instance not made yet, in a new directory under `tmp_path`."""
    return instance_env(Path(tempfile.mkdtemp(prefix="d", dir=tmp_path)) / "data")
