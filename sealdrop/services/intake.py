"""Whether a submission may come in now: usable reader keys, a size in bounds, free disk."""

from __future__ import annotations

import shutil

from sqlalchemy.orm import Session

from sealdrop.config import Config
from sealdrop.crypto.gpg import Gpg
from sealdrop.domain.keys import PublicKey
from sealdrop.errors import NotFound, SubmissionsClosed, UploadTooLarge
from sealdrop.services import reader_keys
from sealdrop.services.settings import limits
from sealdrop.storage.store import Store


def usable_reader_keys(session: Session, gpg: Gpg) -> list[PublicKey]:
    """The active reader keys to encrypt to now, oldest first; [] when none was ever added.

    Read from the database on every call, so a key added or retired by `sealdrop keys` counts
    from the next upload on. SubmissionsClosed when there are active keys but none can be used
    (expired, revoked): the reason is for the admin's logs; sources see only that submissions
    are paused.
    """
    found = reader_keys.encryption_keys(session, gpg)
    if not found.keys and found.dropped:
        raise SubmissionsClosed(
            "This instance cannot take submissions right now. Please try again later.",
            reason="; ".join(f"{key.fingerprint}: {key.reason}" for key in found.dropped),
        )
    return found.keys


def public_keys(session: Session, gpg: Gpg) -> list[PublicKey]:
    """The keys a source may encrypt to themselves: those the server encrypts to right now."""
    try:
        keys = usable_reader_keys(session, gpg)
    except SubmissionsClosed:
        keys = []
    if not keys:
        raise NotFound("This instance has no Submission Key yet.")
    return keys


def require_open(
    session: Session, store: Store, gpg: Gpg, *, config: Config, incoming_bytes: int
) -> list[PublicKey]:
    """The reader keys to encrypt to, or why nothing can be taken now.

    Checked before a byte of the upload is read: UploadTooLarge (413) when the announced body
    is over the limit, which no wait would fix; SubmissionsClosed (503) when there is no
    usable reader key or too little free space. The limits are the configured ones as the
    admin's settings tightened them.
    """
    in_force = limits(session, config)
    if incoming_bytes > in_force.body_bytes:
        raise UploadTooLarge(
            "The files are larger than this service accepts. Send smaller files, or fewer at once."
        )
    keys = usable_reader_keys(session, gpg)
    if not keys:
        raise SubmissionsClosed(
            "This instance is not ready to take submissions yet. Please try again later."
        )
    require_space(
        store, config=config, incoming_bytes=incoming_bytes, min_free_bytes=in_force.min_free_bytes
    )
    return keys


def require_space(
    store: Store, *, config: Config, incoming_bytes: int = 0, min_free_bytes: int | None = None
) -> None:
    """SubmissionsClosed unless `incoming_bytes` more would leave the floor free: the
    configured one, or `min_free_bytes` if higher (an admin's setting)."""
    floor = max(config.min_free_bytes, min_free_bytes or 0)
    if shutil.disk_usage(store.root).free - incoming_bytes < floor:
        raise SubmissionsClosed(
            "This instance cannot take submissions right now. Please try again later."
        )
