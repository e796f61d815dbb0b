"""The instance's public facts, as SecureDrop clients read them from `/metadata`."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sealdrop import __version__
from sealdrop.config import Config
from sealdrop.services.intake import submission_key_fingerprint
from sealdrop.services.settings import uploads_allowed


def public_metadata(session: Session, config: Config) -> dict[str, object]:
    """What `/metadata` tells the world: nothing about sources, only the instance's own facts."""
    return {
        "instance_name": config.instance_name,
        "sd_version": __version__,
        "server_os": "debian",
        "gpg_fpr": submission_key_fingerprint(session),
        "allow_document_uploads": uploads_allowed(session),
        "supported_languages": list(config.languages),
    }
