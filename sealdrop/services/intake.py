"""Whether a submission may come in now: a usable Submission Key, a size in bounds, free disk."""

from __future__ import annotations

import shutil

from sqlalchemy.orm import Session

from sealdrop.config import Config
from sealdrop.crypto.gpg import Gpg
from sealdrop.db.models import InstanceSettings
from sealdrop.domain.keys import Fingerprint, PublicKey
from sealdrop.errors import KeyImportError, NotFound, SubmissionsClosed, UploadTooLarge
from sealdrop.services.settings import limits
from sealdrop.storage.store import Store


def submission_key(session: Session) -> PublicKey | None:
    settings = session.get(InstanceSettings, 1)
    if settings is None or not settings.submission_key_fingerprint:
        return None
    return PublicKey(
        Fingerprint(settings.submission_key_fingerprint), settings.submission_public_key or ""
    )


def submission_key_fingerprint(session: Session) -> Fingerprint | None:
    key = submission_key(session)
    return key.fingerprint if key else None


def submission_public_key(session: Session) -> tuple[Fingerprint, str]:
    """The Submission public key, for sources who want to check or use it."""
    key = submission_key(session)
    if key is None:
        raise NotFound("This instance has no Submission Key yet.")
    return key.fingerprint, key.armored


def usable_submission_key(session: Session, gpg: Gpg) -> PublicKey | None:
    """The Submission Key if it can be encrypted to now; SubmissionsClosed if it expired or was
    revoked (the reason is for the admin's logs; sources see only that submissions are paused).

    gpg is told it is the end of the day while encrypting, so a key expiring later today
    already counts as expired here: it would fail at the end of an upload otherwise.
    """
    key = submission_key(session)
    if key is None:
        return None
    try:
        gpg.check_usable(key, at=_end_of_today(gpg))
    except KeyImportError as exc:
        raise SubmissionsClosed(
            "This instance cannot take submissions right now. Please try again later.",
            reason=str(exc),
        ) from None
    return key


def _end_of_today(gpg: Gpg) -> float:
    now = gpg.now()
    return now - now % 86400 + 86399


def require_open(
    session: Session, store: Store, gpg: Gpg, *, config: Config, incoming_bytes: int
) -> PublicKey:
    """The Submission Key to encrypt to, or why nothing can be taken now.

    Checked before a byte of the upload is read: UploadTooLarge (413) when the announced body
    is over the limit, which no wait would fix; SubmissionsClosed (503) when there is no
    usable Submission Key or too little free space. The limits are the configured ones as the
    admin's settings tightened them.
    """
    in_force = limits(session, config)
    if incoming_bytes > in_force.body_bytes:
        raise UploadTooLarge(
            "The files are larger than this service accepts. Send smaller files, or fewer at once."
        )
    key = usable_submission_key(session, gpg)
    if key is None:
        raise SubmissionsClosed(
            "This instance is not ready to take submissions yet. Please try again later."
        )
    require_space(
        store, config=config, incoming_bytes=incoming_bytes, min_free_bytes=in_force.min_free_bytes
    )
    return key


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
