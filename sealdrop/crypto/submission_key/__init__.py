"""The Submission private key on the air-gapped reader: make or import it, unlock it, decrypt.

The server never holds this key (its gpg.py encrypts and reads only source replies); this module
is for the reader machine alone, and an import-linter contract keeps every server package away
from it. The key lives in a long-lived GnuPG home of the reader's, protected by a passphrase the
journalist chooses; the passphrase goes to gpg through a pipe (loopback pinentry), never argv.
"""

from sealdrop.crypto.submission_key.decryption import (
    FileSpan,
    Sink,
    decrypt_stream,
    failure_reason,
)
from sealdrop.crypto.submission_key.keyring import (
    AGENT_CONF,
    DEFAULT_UID,
    GPG_CONF,
    Algorithm,
    KeyPassphrase,
    SecretKey,
    SubmissionKeyring,
)

__all__ = [
    "AGENT_CONF",
    "DEFAULT_UID",
    "GPG_CONF",
    "Algorithm",
    "FileSpan",
    "KeyPassphrase",
    "SecretKey",
    "Sink",
    "SubmissionKeyring",
    "decrypt_stream",
    "failure_reason",
]  # fmt: skip
