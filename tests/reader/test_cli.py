"""`sealdrop-reader` as journalists and scripts run it: in process and as the console script."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from reader.cli import main
from sealdrop.runtime.instance import Instance
from tests.cli_runner import Ran
from tests.reader.helpers import (
    PASSPHRASE,
    KeyTemplate,
    ReaderMachine,
    download,
    encrypt_to,
    reply,
    submit,
    write_files,
)

Reader = Callable[..., Ran]
SCRIPT = Path(sys.executable).parent / "sealdrop-reader"


@pytest.fixture(params=["in-process", pytest.param("process", marks=pytest.mark.server)])
def run(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]) -> Reader:
    """`run(home, *args)`: the command with --home, and a clean environment."""

    def in_process(home: Path, *args: str) -> Ran:
        capsys.readouterr()
        code = main(["--home", str(home), *args], {"HOME": str(home)})
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    def as_process(home: Path, *args: str) -> Ran:
        done = subprocess.run(
            [str(SCRIPT), "--home", str(home), *args],
            env={"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8"},
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        return Ran(done.returncode, done.stdout, done.stderr)

    return in_process if request.param == "in-process" else as_process


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "passphrase"
    path.write_text(PASSPHRASE + "\n")
    return path


def test_import_sources_show_delete(
    run: Reader,
    reader: ReaderMachine,
    reader_key: KeyTemplate,
    newsroom: Instance,
    secret: Path,
    tmp_path: Path,
) -> None:
    designation = submit(newsroom, "Line one\nLine two", [(b"%PDF", "report.pdf")])
    reply(newsroom, designation, "Got it.", [reader_key.key])
    bundle = download(newsroom, designation, tmp_path / "b.zip")

    done = run(reader.home, "import", str(bundle), "--passphrase-file", str(secret))
    assert (done.code, done.stderr) == (0, "")
    assert done.stdout.splitlines()[-1] == f"{bundle}: 3 imported, 0 already in the vault, 0 failed"

    again = run(reader.home, "import", str(bundle), "--passphrase-file", str(secret))
    assert again.stdout.splitlines()[-1].endswith("0 imported, 3 already in the vault, 0 failed")

    listed = run(reader.home, "sources")
    assert listed.stdout.split() == [*designation.split(), "1", "message(s),", "1", "file(s),",
                                     "1", "reply(ies)"]  # fmt: skip
    shown = run(reader.home, "show", designation)
    folder = designation.replace(" ", "-").replace("'", "")
    assert shown.stdout.splitlines() == [
        f"{designation}: 3 item(s)",
        "#1 message:", "    Line one", "    Line two",
        '#2 file "report.pdf", 4 bytes',
        f"    stored at {reader.vault_dir}/sources/{folder}/0002-file",
        "#3 reply:", "    Got it.",
    ]  # fmt: skip

    refused = run(reader.home, "delete", designation, "2")
    assert refused.code == 2
    assert refused.stderr.strip().endswith("needs --yes when not run on a terminal.")
    deleted = run(reader.home, "delete", designation, "2", "--yes")
    assert (
        deleted.stdout == f"Deleted item 2 of {designation}: 1 file(s) overwritten and removed.\n"
    )
    gone = run(reader.home, "delete", designation, "--yes")
    assert (gone.code, run(reader.home, "sources").stdout) == (0, "The vault is empty.\n")


def test_errors_are_one_line(
    run: Reader, reader: ReaderMachine, reader_key: KeyTemplate, secret: Path, tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase\n")
    folder = write_files(
        tmp_path / "c", {"amber heron/1-amber-heron-msg.gpg": encrypt_to(reader_key.public, b"x")}
    )
    cases = [
        (("import", str(folder), "--passphrase-file", str(wrong)), "The key passphrase is wrong."),
        (("import", str(folder)), "No terminal to ask the passphrase on: use --passphrase-file."),
        (("show", "nobody here"), "No source 'nobody here' in this vault."),
        (("import-key", str(tmp_path / "missing"), "--passphrase-file", str(secret)),
         "Cannot read"),
        (("keygen", "--passphrase-file", str(secret)), "already holds Submission Key"),
    ]  # fmt: skip
    for args, message in cases:
        done = run(reader.home, *args)
        assert done.code == 2, (args, done)
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        assert done.stderr.startswith("sealdrop-reader: ")
        assert message in done.stderr
    assert reader.vault_files() == []


def test_a_partly_failed_import_exits_1(
    run: Reader, reader: ReaderMachine, reader_key: KeyTemplate, secret: Path, tmp_path: Path
) -> None:
    folder = write_files(
        tmp_path / "c",
        {
            "amber heron/1-amber-heron-msg.gpg": encrypt_to(reader_key.public, b"fine"),
            "amber heron/2-amber-heron-msg.gpg": b"garbage",
        },
    )
    done = run(reader.home, "import", str(folder), "--passphrase-file", str(secret))
    assert done.code == 1
    assert (
        "failed    amber heron/2-amber-heron-msg.gpg: it is not an OpenPGP message" in done.stdout
    )


@pytest.mark.slow
def test_keygen_then_import_key_elsewhere(run: Reader, secret: Path, tmp_path: Path) -> None:
    home = tmp_path / "h"
    made = run(home, "keygen", "--passphrase-file", str(secret))
    assert made.code == 0, made
    fingerprint = made.stdout.split()[3]
    public = home / "submission-key.asc"
    assert public.read_text().startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert (home.stat().st_mode & 0o777, (home / "gnupg").stat().st_mode & 0o777) == (0o700,) * 2
    short = tmp_path / "short"
    short.write_text("too short\n")
    weak = run(tmp_path / "h2", "keygen", "--passphrase-file", str(short))
    assert (weak.code, "at least 12 characters" in weak.stderr) == (2, True)

    exported = subprocess.run(
        ["gpg", "--homedir", str(home / "gnupg"), "--batch", "--pinentry-mode", "loopback",
         "--passphrase-file", str(secret), "--armor", "--export-secret-keys", fingerprint],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    subprocess.run(
        ["gpgconf", "--homedir", str(home / "gnupg"), "--kill", "gpg-agent"], check=False
    )
    key_file = tmp_path / "secret.asc"
    key_file.write_bytes(exported)
    other = tmp_path / "o"
    done = run(other, "import-key", str(key_file), "--passphrase-file", str(secret))
    assert (done.code, done.stdout, done.stderr) == (
        0,
        f"Submission Key imported: {fingerprint}\n",
        "",
    )


def test_the_vault_goes_where_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home, chosen, from_env = tmp_path / "h", tmp_path / "v1", tmp_path / "v2"
    assert main(["--home", str(home), "--vault", str(chosen), "sources"], {"HOME": "/x"}) == 0
    env = {"HOME": "/x", "SEALDROP_READER_HOME": str(home), "SEALDROP_READER_VAULT": str(from_env)}
    assert main(["sources"], env) == 0
    assert main(["sources"], {"XDG_DATA_HOME": str(tmp_path / "xdg")}) == 0
    assert capsys.readouterr().out == "The vault is empty.\n" * 3
    for vault in (chosen, from_env, tmp_path / "xdg" / "sealdrop-reader" / "vault"):
        assert (vault / "index.sqlite").is_file()
        assert vault.stat().st_mode & 0o777 == 0o700
    (tmp_path / "file").write_text("")
    assert main(["--vault", str(tmp_path / "file"), "sources"], {"HOME": "/x"}) == 2
    assert capsys.readouterr().err == (
        f"sealdrop-reader: SEALDROP_READER_VAULT: {tmp_path / 'file'} exists and is not a "
        "directory\n"
    )
