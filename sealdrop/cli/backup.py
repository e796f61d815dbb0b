"""`sealdrop backup`, `restore` and `restore-drill`: arguments in, one service call, lines out."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from sealdrop.cli.keys import read_key_file
from sealdrop.config import Config
from sealdrop.crypto.gpg import Gpg
from sealdrop.crypto.scratch import require_ram
from sealdrop.errors import RestoreRefused
from sealdrop.services import backup, restore, restore_drill


def cmd_backup(config: Config, args: argparse.Namespace) -> int:
    gpg = Gpg(require_ram(config.gpg_scratch_dir))
    recipient = backup.check_recipient(gpg, read_key_file(args.recipient_key))
    made = backup.create_backup(
        config, gpg, recipient=recipient, output_dir=Path(args.output), now=dt.datetime.now(dt.UTC)
    )
    print(made.path)
    print(f"sha256 {made.sha256}")
    counts = ", ".join(f"{n} {table}" for table, n in made.manifest.counts.items())
    print(f"{made.manifest.data_files} files, {counts}; encrypted to {recipient.fingerprint}")
    return 0


def _tar_input(args: argparse.Namespace) -> BinaryIO | None:
    if args.from_tar is None:
        return None
    if args.archive is not None:
        raise RestoreRefused("give either ARCHIVE (with --gnupghome) or --from-tar, not both")
    if args.from_tar == "-":
        return sys.stdin.buffer
    try:
        return Path(args.from_tar).open("rb")
    except OSError as exc:
        raise RestoreRefused(f"cannot read {args.from_tar}: {exc.strerror}") from None


@contextlib.contextmanager
def _archive_stream(args: argparse.Namespace) -> Iterator[tuple[BinaryIO, Callable[[], None]]]:
    tar = _tar_input(args)
    with contextlib.ExitStack() as stack:
        if tar is not None and tar is not sys.stdin.buffer:
            stack.enter_context(tar)
        yield stack.enter_context(
            restore.archive_stream(
                archive=Path(args.archive) if args.archive else None,
                gnupghome=Path(args.gnupghome) if args.gnupghome else None,
                tar=tar,
            )
        )


def cmd_restore(_config: Config | None, args: argparse.Namespace) -> int:
    with _archive_stream(args) as (stream, verified):
        done = restore.restore(
            stream,
            Path(args.to),
            verified=verified,
            force=args.force,
            database_url=args.database_url,
        )
    print(f"restored {done.manifest.data_files} files into {done.target}")
    if done.migrated_from:
        print(f"database migrated from schema {done.migrated_from}")
    if done.previous:
        print(f"the data directory it replaced is kept at {done.previous}: remove it when done")
    print("next: `sealdrop check`, then start the apps")
    return 0


def cmd_drill(_config: Config | None, args: argparse.Namespace) -> int:
    scratch = Path(args.scratch_dir or tempfile.gettempdir())
    with _archive_stream(args) as (stream, verified):
        report = restore_drill.drill(
            stream, scratch=scratch, verified=verified, database_url=args.database_url
        )
    for line in report.lines + report.problems:
        print(line)
    if report.problems:
        print(f"drill FAILED: {len(report.problems)} problem(s)")
        return 1
    print("drill passed")
    return 0


def _archive_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("archive", nargs="?", metavar="ARCHIVE", help="a .tar.gpg backup")
    parser.add_argument(
        "--gnupghome", metavar="DIR", help="a GnuPG home holding the admin's private key"
    )
    parser.add_argument(
        "--from-tar", metavar="FILE_OR_-", help="the archive already decrypted (- for stdin)"
    )
    parser.add_argument(
        "--database-url", metavar="URL", help="an empty PostgreSQL database, for a pg_dump archive"
    )


def add_commands(commands: Any) -> None:
    """`backup`, `restore` and `restore-drill` under the main parser's `commands`."""
    made = commands.add_parser("backup", help="one archive of the instance, encrypted to a key")
    made.add_argument("--output", required=True, metavar="DIR", help="where the archive goes")
    made.add_argument(
        "--recipient-key", required=True, metavar="FILE", help="the admin's public key, armored"
    )
    made.set_defaults(func=cmd_backup)
    back = commands.add_parser("restore", help="restore an archive into a data directory")
    _archive_arguments(back)
    back.add_argument("--to", required=True, metavar="DATA_DIR")
    back.add_argument("--force", action="store_true", help="replace a non-empty DATA_DIR")
    back.set_defaults(func=cmd_restore, needs_config=False)
    drill = commands.add_parser(
        "restore-drill", help="restore into a scratch folder, verify it, remove it"
    )
    _archive_arguments(drill)
    drill.add_argument("--scratch-dir", metavar="DIR", help="where to restore (default: TMPDIR)")
    drill.set_defaults(func=cmd_drill, needs_config=False)
