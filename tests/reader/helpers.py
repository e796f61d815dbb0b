"""The reader's test set-up: a passphrase-protected Submission Key made once, copied per test,
and a newsroom whose sources submit through the real source interface."""

from __future__ import annotations

import contextlib
import shutil
import struct
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from reader.vault import Vault
from sealdrop.crypto.compress import GzipWriter
from sealdrop.crypto.submission_key import KeyPassphrase, SubmissionKeyring
from sealdrop.db.models import Source
from sealdrop.domain.keys import Fingerprint, PublicKey
from sealdrop.runtime.instance import Instance
from sealdrop.services.bundles import bundle_source
from sealdrop.services.replies import create_reply
from source_interface import create_app
from tests.harness import TODAY
from tests.source_interface.actions import SourceActions

PASSPHRASE = KeyPassphrase("a long journalist passphrase")
# gpg-agent's own calibration makes every unlock of the key cost ~0.1 s (seconds on a loaded
# machine), once per item; the tests' key is protected with gpg's smallest count instead.
FAST_S2K = 65536


@dataclass(frozen=True)
class KeyTemplate:
    """A reader GnuPG home holding a protected Curve25519 Submission Key, made once a session."""

    gnupg: Path
    fingerprint: Fingerprint
    public: str

    @property
    def key(self) -> PublicKey:
        return PublicKey(self.fingerprint, self.public)


@contextlib.contextmanager
def key_template() -> Iterator[KeyTemplate]:
    base = Path(tempfile.mkdtemp(prefix="rkt-"))
    keyring = SubmissionKeyring(base / "gnupg", s2k_count=FAST_S2K)
    try:
        fingerprint = keyring.generate(PASSPHRASE)
        public = keyring.export_public(fingerprint)
        keyring.forget()
        yield KeyTemplate(base / "gnupg", fingerprint, public)
    finally:
        keyring.forget()
        shutil.rmtree(base, ignore_errors=True)


@dataclass
class ReaderMachine:
    """One reader's home: its keyring (a copy of the template) and its vault."""

    home: Path
    keyring: SubmissionKeyring
    fingerprint: Fingerprint

    @property
    def vault_dir(self) -> Path:
        return self.home / "vault"

    def vault(self) -> Vault:
        return Vault.open(self.vault_dir)

    def vault_files(self) -> list[str]:
        """Every file in the vault's sources and tmp folders, relative to the vault."""
        return sorted(
            str(p.relative_to(self.vault_dir))
            for p in self.vault_dir.rglob("*")
            if p.is_file() and p.parent != self.vault_dir
        )


@contextlib.contextmanager
def reader_machine(template: KeyTemplate) -> Iterator[ReaderMachine]:
    home = Path(tempfile.mkdtemp(prefix="rh-"))  # short: gpg-agent's socket lives in the home
    shutil.copytree(template.gnupg, home / "gnupg", ignore=shutil.ignore_patterns("S.*"))
    keyring = SubmissionKeyring(home / "gnupg")
    try:
        yield ReaderMachine(home, keyring, template.fingerprint)
    finally:
        keyring.forget()
        shutil.rmtree(home, ignore_errors=True)


def submit(instance: Instance, message: str, files: Sequence[tuple[bytes, str]] = ()) -> str:
    """A new source sends `message` and `files` through the source interface; its designation."""
    client = create_app(instance.config, instance=instance).test_client()
    source = SourceActions(client)
    source.create()
    response = source.submit(message, files)
    assert response.status_code == 302, response.get_data(as_text=True)
    with instance.sessions() as session:
        newest = session.scalars(select(Source).order_by(Source.id.desc())).first()
        assert newest is not None
        return newest.journalist_designation


def reply(instance: Instance, designation: str, text: str, readers: Sequence[PublicKey]) -> None:
    with instance.sessions() as session:
        source = session.scalars(
            select(Source).where(Source.journalist_designation == designation)
        ).one()
        create_reply(
            session, instance.store, instance.gpg, source=source, text=text, readers=readers,
            today=TODAY,
        )  # fmt: skip


def download(instance: Instance, designation: str, path: Path) -> Path:
    """The bundle of everything a source sent and was sent, as the journalist downloads it."""
    with instance.sessions() as session:
        source = session.scalars(
            select(Source).where(Source.journalist_designation == designation)
        ).one()
        prepared = bundle_source(
            session, instance.store, source=source, instance="Test", today=TODAY
        )
    with path.open("wb") as out:
        for chunk in prepared.chunks:
            out.write(chunk)
    return path


def encrypt_to(public: str, data: bytes, *, armor: bool = False) -> bytes:
    """`data` encrypted to `public` with the gpg command line, as a source or anyone can."""
    home = Path(tempfile.mkdtemp(prefix="rs-"))
    try:
        subprocess.run(["gpg", "--homedir", str(home), "--batch", "--import"],
                       input=public.encode(), capture_output=True, check=True)  # fmt: skip
        args = ["--armor"] if armor else []
        done = subprocess.run(
            ["gpg", "--homedir", str(home), "--batch", "--trust-model", "always", *args,
             "--recipient", _first_fingerprint(home), "--encrypt"],
            input=data, capture_output=True, check=True,
        )  # fmt: skip
        return done.stdout
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False)
        shutil.rmtree(home, ignore_errors=True)


def _first_fingerprint(home: Path) -> str:
    listing = subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--with-colons", "--list-keys"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))


def gzipped(data: bytes, name: str) -> bytes:
    """`data` as the server gzips an uploaded file, its name in the header."""
    out = bytearray()
    writer = GzipWriter(out.extend, member_name=name)
    writer.write(data)
    writer.close()
    return bytes(out)


def other_public_key() -> str:
    """A Curve25519 public key whose private half no reader holds."""
    home = Path(tempfile.mkdtemp(prefix="ro-"))
    try:
        subprocess.run(
            ["gpg", "--homedir", str(home), "--batch", "--passphrase", "", "--quick-gen-key",
             "Other <other@example.org>", "future-default", "default", "never"],
            capture_output=True, check=True,
        )  # fmt: skip
        return subprocess.run(
            ["gpg", "--homedir", str(home), "--armor", "--export"],
            capture_output=True, check=True, text=True,
        ).stdout  # fmt: skip
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False)
        shutil.rmtree(home, ignore_errors=True)


def write_files(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def snapshot(machine: ReaderMachine) -> dict[str, bytes]:
    """Every stored item of the vault and its bytes."""
    return {
        str(p.relative_to(machine.vault_dir)): p.read_bytes()
        for p in sorted((machine.vault_dir / "sources").rglob("*"))
        if p.is_file()
    }


def data_start(path: Path, info: zipfile.ZipInfo) -> int:
    """Where a zip entry's data begins in the file: after its local header, name and extra."""
    with path.open("rb") as handle:
        handle.seek(info.header_offset)
        header = handle.read(30)
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    return int(info.header_offset + 30 + name_len + extra_len)
