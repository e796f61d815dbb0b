"""The reader's commands about files and the machine: the air-gap check every offline command
passes first, a file's metadata report, and export of a cleaned copy or the original.

Registered with `reader.cli.command` when `reader.cli` is imported; nothing here opens a file
for the user, and names from sources are shown escaped.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reader import airgap, export, metadata
from reader.cli import EXIT_ERROR, EXIT_OK, PREFLIGHT, PROG, Context, command
from reader.names import shown, shown_path
from reader.vault import Item
from sealdrop.domain.items import Kind
from sealdrop.errors import ReaderRefused

WARNING = "warning (going on because of --allow-network): "


def require_offline(ctx: Context) -> None:
    """Refuse (one line) on a machine that looks online, unless --allow-network was given;
    with it, warn on one line of stderr and go on."""
    findings = airgap.require_air_gap(allow_network=ctx.args.allow_network)
    if findings:
        print(f"{PROG}: {WARNING}{airgap.one_line(findings)}", file=sys.stderr)


PREFLIGHT.append(require_offline)


def _item_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("designation", help="the source, e.g. 'amber heron' (quoted)")
    parser.add_argument("number", type=int, help="the file's number in the conversation")


def _file(ctx: Context) -> Item:
    with ctx.vault() as vault:
        item = vault.item(ctx.args.designation, ctx.args.number)
    if item.kind is not Kind.FILE:
        raise ReaderRefused(f"Item {item.number} of {shown(item.designation)} is not a file.")
    return item


@command("metadata", "report the metadata mat2 finds in a file", configure=_item_options)
def cmd_metadata(ctx: Context) -> int:
    item = _file(ctx)
    found = metadata.report(item.path, type_name=item.original_name)
    name = item.shown_name or "(no name)"
    ctx.out(f'#{item.number} "{name}" ({found.mime_type or "type unknown"}): {found.sentence}')
    for finding in found.findings:
        part = f"{shown(finding.part)}: " if finding.part else ""
        ctx.out(f"    {part}{shown(finding.key)} = {shown(finding.value)}")
    return EXIT_OK if found.problem is None else EXIT_ERROR


def _export_options(parser: argparse.ArgumentParser) -> None:
    _item_options(parser)
    parser.add_argument("--to", required=True, metavar="FOLDER", help="e.g. an export drive")
    parser.add_argument(
        "--original",
        action="store_true",
        help="copy the file as the source sent it, metadata and all (never the default)",
    )


@command("export", "write a cleaned copy of a file to a folder", configure=_export_options)
def cmd_export(ctx: Context) -> int:
    item = _file(ctx)
    name = item.original_name or f"{item.designation}-{item.number}"
    folder = Path(ctx.args.to)
    if ctx.args.original:
        done = export.export_original(item.path, name=name, folder=folder)
        ctx.out(f"Exported the original, metadata and all, to {shown_path(str(done.destination))}")
    else:
        done = export.export_cleaned(item.path, name=name, folder=folder)
        ctx.out(f"Exported a cleaned copy to {shown_path(str(done.destination))}")
    return EXIT_OK
