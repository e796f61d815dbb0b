"""Use cases of Sealdrop; the web apps and the CLI reach the core only through these."""

from sealdrop.crypto.gpg import Fingerprint, Passphrase, PublicKey
from sealdrop.db.models import Reply, Source, Submission
from sealdrop.services.instance import Instance

__all__ = ["Fingerprint", "Instance", "Passphrase", "PublicKey", "Reply", "Source", "Submission"]
