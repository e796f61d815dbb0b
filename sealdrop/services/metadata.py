"""The instance's public facts, as SecureDrop clients read them from `/metadata`."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sealdrop import __version__
from sealdrop.config import Config
from sealdrop.crypto.gpg import Gpg
from sealdrop.errors import SubmissionsClosed
from sealdrop.services.intake import usable_reader_keys
from sealdrop.services.settings import uploads_allowed


def public_metadata(session: Session, config: Config, gpg: Gpg) -> dict[str, object]:
    """What `/metadata` tells the world: nothing about sources, only the instance's own facts.

    SecureDrop clients read one key from `gpg_fpr`: the oldest active key, the one every
    reader-side set-up already knows. `reader_key_fprs` lists every key items go to.
    """
    try:
        keys = usable_reader_keys(session, gpg)
    except SubmissionsClosed:
        keys = []
    return {
        "instance_name": config.instance_name,
        "sd_version": __version__,
        "server_os": "debian",
        "gpg_fpr": keys[0].fingerprint if keys else None,
        "reader_key_fprs": [key.fingerprint for key in keys],
        "allow_document_uploads": uploads_allowed(session),
        "supported_languages": list(config.languages),
    }
