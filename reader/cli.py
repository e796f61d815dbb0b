"""The `sealdrop-reader` command: a thin layer over reader.vault and the Submission keyring.

Each subcommand is one function registered with @command (reader.key_commands, vault_commands,
file_commands);
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

from reader.settings import ReaderPaths, make_private_dir, resolve_paths
from reader.vault import Vault
from sealdrop.crypto.submission_key import KeyPassphrase, SubmissionKeyring
from sealdrop.errors import KeyPassphraseWrong, SealdropError

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


def passphrase_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--passphrase-file", metavar="FILE", help="read the key passphrase from FILE's first line"
    )


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

# Registers the commands (keys, vault, then the air-gap check and the file commands: metadata,
# export) on the lists above, in the order `--help` lists them.
# isort: off
from reader import key_commands, vault_commands  # noqa: E402, F401
from reader import file_commands  # noqa: E402, F401
# isort: on
