"""`--keys N`: N-1 more reader keys on the bench instance, each in a reader keyring of its own.

Added with `sealdrop keys add`, as an operator would, so every upload is encrypted to N keys.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from instance import Instance

from sealdrop.crypto.homes import Keyring


def add_reader_keys(instance: Instance, base: Path, extra: int) -> list[Path]:
    """Make `extra` more readers and add their public keys; returns their homes, newest last."""
    homes = []
    for number in range(2, extra + 2):
        home = base / f"reader{number}"
        reader = Keyring(home)
        try:
            fingerprint = reader.generate_reader_key_pair(f"Sealdrop bench reader {number}")
            key_file = base / f"reader{number}.asc"
            key_file.write_text(reader.export_public_key(fingerprint))
        finally:
            reader.close()
        subprocess.run(
            [sys.executable, "-m", "sealdrop.cli", "keys", "add", str(key_file)],
            env={**os.environ, **instance.env},
            check=True,
            capture_output=True,
        )
        homes.append(home)
    return homes


def stop_reader_agents(homes: list[Path]) -> None:
    """Decrypting starts an agent in a reader's home; none outlives the benchmark."""
    for home in homes:
        subprocess.run(
            ["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"],
            check=False,
            capture_output=True,
        )
