"""The `sealdrop-reader` command: a thin layer over reader.vault and the Submission keyring.

Each subcommand is one function registered with @command (in this module, or one it imports);
checks in PREFLIGHT (the air-gap check, which refuses unless --allow-network) run before every
command registered with offline=True. Errors are one
line on stderr: exit 2 for an error, 1 when an import left some entries out, 3 when a bundle or
zip was cut short and only its whole entries were imported (partial), 0 otherwise.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from reader.names import shown, shown_lines, shown_path
from reader.settings import ReaderPaths, make_private_dir, resolve_paths
from reader.vault import Outcome, Vault
from sealdrop.crypto.submission_key import Algorithm, KeyPassphrase, SubmissionKeyring
from sealdrop.errors import KeyPassphraseWrong, NoSubmissionKey, ReaderRefused, SealdropError

PROG = "sealdrop-reader"
MIN_NEW_PASSPHRASE = 12
EXIT_OK, EXIT_INCOMPLETE, EXIT_ERROR, EXIT_PARTIAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


@dataclass
class Context:
    """What a command gets: resolved paths, the environment and the streams it may use."""

    paths: ReaderPaths
    env: Mapping[str, str]
    args: argparse.Namespace
    out: Callable[[str], None] = print

    def keyring(self) -> SubmissionKeyring:
        return SubmissionKeyring(make_private_dir(self.paths.home) / "gnupg")

    def vault(self) -> Vault:
        return Vault.open(self.paths.vault)

    def passphrase(self, prompt: str = "Key passphrase: ", *, new: bool = False) -> KeyPassphrase:
        """From --passphrase-file (its first line), else asked on the terminal; never argv."""
        given = getattr(self.args, "passphrase_file", None)
        if given:
            try:
                lines = Path(given).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as error:
                raise KeyPassphraseWrong(f"Cannot read the passphrase file: {error}.") from None
            text = lines[0] if lines else ""
        elif sys.stdin.isatty():
            text = getpass.getpass(prompt)
            if new and getpass.getpass("Again, to be sure: ") != text:
                raise KeyPassphraseWrong("The two passphrases differ; nothing was done.")
        else:
            raise KeyPassphraseWrong("No terminal to ask the passphrase on: use --passphrase-file.")
        if new and len(text) < MIN_NEW_PASSPHRASE:
            raise KeyPassphraseWrong(
                f"Choose a passphrase of at least {MIN_NEW_PASSPHRASE} characters."
            )
        return KeyPassphrase(text)


Run = Callable[[Context], int]
Configure = Callable[[argparse.ArgumentParser], None]


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    run: Run
    configure: Configure | None = None
    offline: bool = True  # runs the preflight checks (the air-gap check) first


COMMANDS: dict[str, Command] = {}
# Checks run before every `offline` command, in order; each raises a SealdropError to refuse.
PREFLIGHT: list[Callable[[Context], None]] = []


def command(
    name: str, help: str, *, configure: Configure | None = None, offline: bool = True
) -> Callable[[Run], Run]:
    """Register a subcommand: adding one is this decorator on one function."""

    def register(run: Run) -> Run:
        COMMANDS[name] = Command(name, help, run, configure, offline)
        return run

    return register


def _passphrase_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--passphrase-file", metavar="FILE", help="read the key passphrase from FILE's first line"
    )


# --- keys ---------------------------------------------------------------------------------


def _keygen_options(parser: argparse.ArgumentParser) -> None:
    _passphrase_option(parser)
    parser.add_argument(
        "--algorithm", choices=[a.value for a in Algorithm], default=Algorithm.CURVE25519.value
    )
    parser.add_argument("--name", default="Sealdrop Submission Key", help="the key's user id")
    parser.add_argument(
        "--public-key-out", metavar="FILE", help="where to write the public key (default: home)"
    )


@command(
    "keygen", "make the Submission Key pair and export its public key", configure=_keygen_options
)
def cmd_keygen(ctx: Context) -> int:
    keyring = ctx.keyring()
    held = keyring.secret_keys()
    if held:
        raise ReaderRefused(
            f"This reader already holds Submission Key {held[0].fingerprint}; nothing was made."
        )
    passphrase = ctx.passphrase("New key passphrase: ", new=True)
    try:
        fingerprint = keyring.generate(
            passphrase, uid=ctx.args.name, algorithm=Algorithm(ctx.args.algorithm)
        )
    finally:
        keyring.forget()
    out = Path(ctx.args.public_key_out or ctx.paths.home / "submission-key.asc")
    out.write_text(keyring.export_public(fingerprint), encoding="ascii")
    ctx.out(f"Submission Key made: {fingerprint}")
    ctx.out(f"Public key written to {out}: give it to the server (sealdrop init/keys add).")
    return EXIT_OK


def _import_key_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the private key (armored or binary)")
    _passphrase_option(parser)


@command("import-key", "import an existing Submission private key", configure=_import_key_options)
def cmd_import_key(ctx: Context) -> int:
    try:
        data = Path(ctx.args.file).read_bytes()
    except OSError as error:
        raise ReaderRefused(f"Cannot read {shown(ctx.args.file)}: {error.strerror}.") from None
    keyring = ctx.keyring()
    try:
        fingerprints = keyring.import_secret(data, ctx.passphrase())
    finally:
        keyring.forget()
    for fingerprint in fingerprints:
        ctx.out(f"Submission Key imported: {fingerprint}")
    return EXIT_OK


# --- vault --------------------------------------------------------------------------------


def _import_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="bundle, zip, folder or .gpg")
    _passphrase_option(parser)


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


# --- entry points -------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Sealdrop's air-gapped reader.")
    parser.add_argument("--home", metavar="DIR", help="the reader's home (key and vault)")
    parser.add_argument("--vault", metavar="DIR", help="the vault directory (default: HOME/vault)")
    parser.add_argument(
        "--allow-network", action="store_true", help="run even if this machine looks online"
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for cmd in COMMANDS.values():
        sub = subparsers.add_parser(cmd.name, help=cmd.help)
        if cmd.configure is not None:
            cmd.configure(sub)
    return parser


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    environment = os.environ if env is None else env
    try:
        paths = resolve_paths(environment, home=args.home, vault=args.vault)
        ctx = Context(paths, environment, args)
        cmd = COMMANDS[args.command]
        if cmd.offline:
            for check in PREFLIGHT:
                check(ctx)
        return cmd.run(ctx)
    except SealdropError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def run() -> int:
    """The console script: umask 077, no core files (they would hold plaintext)."""
    import resource

    os.umask(0o077)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return main()


__all__ = ["COMMANDS", "PREFLIGHT", "Command", "Context", "command", "main", "run"]

# Registers the air-gap check and the file commands (metadata, export) on the lists above.
from reader import file_commands  # noqa: E402, F401
