"""The reader's key commands: make the Submission Key pair, or import an existing private key.

Registered with `reader.cli.command` when `reader.cli` is imported.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from reader.cli import EXIT_OK, Context, command, passphrase_option
from reader.names import shown
from sealdrop.crypto.submission_key import Algorithm
from sealdrop.errors import ReaderRefused


def _keygen_options(parser: argparse.ArgumentParser) -> None:
    passphrase_option(parser)
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
    passphrase_option(parser)


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
