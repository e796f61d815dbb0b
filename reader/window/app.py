"""`sealdrop-reader-window`: the desktop window, started like the CLI (--home, --vault)."""

from __future__ import annotations

import argparse
import os
import resource
import sys
from collections.abc import Sequence

from PySide6.QtWidgets import QApplication

from reader.airgap import check_air_gap
from reader.settings import make_private_dir, resolve_paths
from reader.vault import Vault
from reader.window.main import ReaderWindow
from sealdrop.crypto.submission_key import SubmissionKeyring
from sealdrop.errors import SealdropError

PROG = "sealdrop-reader-window"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description="Sealdrop's air-gapped reader window.")
    parser.add_argument("--home", metavar="DIR", help="the reader's home (key and vault)")
    parser.add_argument("--vault", metavar="DIR", help="the vault directory (default: HOME/vault)")
    args = parser.parse_args(argv)
    try:
        paths = resolve_paths(os.environ, home=args.home, vault=args.vault)
        keyring = SubmissionKeyring(make_private_dir(paths.home) / "gnupg")
        vault = Vault.open(paths.vault)
    except SealdropError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2
    app = QApplication([PROG])
    window = ReaderWindow(
        vault=vault,
        keyring=keyring,
        network=check_air_gap(),  # the window warns; only the CLI refuses (--allow-network)
        public_key_out=paths.home / "submission-key.asc",
    )
    window.show()
    try:
        return app.exec()
    finally:
        window.reports.wait()
        keyring.forget()
        vault.close()


def run() -> int:
    """The console script: umask 077 and no core files, as the CLI (they would hold plaintext)."""
    os.umask(0o077)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return main()
