"""The reader's vault commands: import what was carried over, list sources, show a
conversation, delete an item or a source.

Registered with `reader.cli.command` when `reader.cli` is imported. Import exits 0 when every
entry is in the vault, 1 when some were left out, 3 when a carried file was cut short (partial).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reader.cli import (
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_PARTIAL,
    Context,
    command,
    passphrase_option,
)
from reader.names import shown, shown_lines, shown_path
from reader.vault import Outcome
from sealdrop.errors import NoSubmissionKey, ReaderRefused


def _import_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="bundle, zip, folder or .gpg")
    passphrase_option(parser)


def _outcome_line(outcome: Outcome) -> str:
    reason = f": {outcome.reason}" if outcome.status == "failed" else ""
    return f"{outcome.status:<9} {outcome.label}{reason}"


@command("import", "decrypt what was carried over into the vault", configure=_import_options)
def cmd_import(ctx: Context) -> int:
    keyring = ctx.keyring()
    if not keyring.secret_keys():
        raise NoSubmissionKey(
            "This reader holds no Submission Key: run `sealdrop-reader keygen` or import-key."
        )
    passphrase = ctx.passphrase()
    complete, partial = True, False
    with ctx.vault() as vault:
        for raw in ctx.args.paths:
            report = vault.import_path(
                Path(raw), keyring, passphrase, progress=lambda o: ctx.out(_outcome_line(o))
            )
            if report.refused:
                ctx.out(f"refused   {shown_path(raw)}: {report.refused}")
                complete = False
            if report.partial:
                ctx.out(f"partial   {shown_path(raw)}: {report.partial}")
                partial = True
            counts = {s: report.count(s) for s in ("imported", "duplicate", "failed")}
            complete = complete and counts["failed"] == 0
            ctx.out(
                f"{shown_path(raw)}: {counts['imported']} imported, {counts['duplicate']} already "
                f"in the vault, {counts['failed']} failed"
            )
    if partial:
        return EXIT_PARTIAL
    return EXIT_OK if complete else EXIT_INCOMPLETE


@command("sources", "list the sources in the vault, newest first")
def cmd_sources(ctx: Context) -> int:
    with ctx.vault() as vault:
        sources = vault.sources()
    if not sources:
        ctx.out("The vault is empty.")
    for s in sources:
        counts = f"{s.messages} message(s), {s.files} file(s), {s.replies} reply(ies)"
        ctx.out(f"{s.designation:<32} {counts}")
    return EXIT_OK


def _designation_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("designation", help="the source, e.g. 'amber heron' (quoted)")


@command("show", "show a source's conversation", configure=_designation_option)
def cmd_show(ctx: Context) -> int:
    with ctx.vault() as vault:
        items = vault.conversation(ctx.args.designation)
        ctx.out(f"{shown(ctx.args.designation)}: {len(items)} item(s)")
        for item in items:
            marks = " [was encrypted twice]" if item.double_encrypted else ""
            marks += f" [{item.note}]" if item.note else ""
            if item.kind.value == "file":
                name = item.shown_name or "(no name)"
                ctx.out(f'#{item.number} file "{name}", {item.size} bytes{marks}')
                ctx.out(f"    stored at {item.path}")
            else:
                ctx.out(f"#{item.number} {item.kind.value}{marks}:")
                for line in shown_lines(item.text()):
                    ctx.out(f"    {line}")
    return EXIT_OK


def _delete_options(parser: argparse.ArgumentParser) -> None:
    _designation_option(parser)
    parser.add_argument("number", nargs="?", type=int, help="one item's number; omit for all")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")


@command("delete", "securely delete an item or a whole source", configure=_delete_options)
def cmd_delete(ctx: Context) -> int:
    designation, number = ctx.args.designation, ctx.args.number
    what = f"item {number} of {shown(designation)}" if number else f"source {shown(designation)}"
    if not ctx.args.yes:
        if not sys.stdin.isatty():
            raise ReaderRefused(f"Deleting {what} needs --yes when not run on a terminal.")
        if input(f"Delete {what} for good? Type yes: ").strip() != "yes":
            ctx.out("Nothing deleted.")
            return EXIT_INCOMPLETE
    with ctx.vault() as vault:
        gone = (
            [vault.delete_item(designation, number)] if number else vault.delete_source(designation)
        )
    ctx.out(f"Deleted {what}: {len(gone)} file(s) overwritten and removed.")
    return EXIT_OK
