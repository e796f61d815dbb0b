"""The instance's settings row: what admins may change while the server runs."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from sqlalchemy.orm import Session

from sealdrop.config import Config
from sealdrop.db.models import InstanceSettings
from sealdrop.errors import MessageTooShort, SettingsInvalid
from sealdrop.storage.store import Store

MAX_ORGANIZATION_CHARS = 100
MAX_MIN_MESSAGE_CHARS = 10_000
# Shown on every page: a logo larger than this is a photograph, not a logo.
MAX_LOGO_BYTES = 256 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A PNG's first chunk is its 13-byte header, IHDR: signature, length, type.
PNG_HEADER_END = len(PNG_SIGNATURE) + 8


@dataclass(frozen=True)
class Limits:
    """The limits in force: the configured ones, tightened by the admin's settings if set."""

    max_upload_bytes: int
    min_free_bytes: int
    body_bytes: int


@dataclass(frozen=True)
class SettingsChange:
    """What the settings page submits; None for a limit means the configured value."""

    organization_name: str
    allow_document_uploads: bool
    min_message_length: int
    max_upload_bytes: int | None
    min_free_bytes: int | None


def instance_settings(session: Session) -> InstanceSettings:
    settings = session.get(InstanceSettings, 1)
    if settings is None:
        settings = InstanceSettings(id=1, allow_document_uploads=True)
        session.add(settings)
        session.flush()
    return settings


def uploads_allowed(session: Session) -> bool:
    """Whether sources may send files, or only messages (an admin setting)."""
    settings = session.get(InstanceSettings, 1)
    return settings.allow_document_uploads if settings else True


def limits(session: Session, config: Config) -> Limits:
    """Settings can only tighten the configuration: a smaller upload, a higher free-space floor.

    Applied here, where they are read, so a row written by any means cannot loosen a limit.
    """
    row = session.get(InstanceSettings, 1)
    upload = config.max_upload_bytes
    floor = config.min_free_bytes
    if row is not None and row.max_upload_bytes is not None:
        upload = min(upload, row.max_upload_bytes)
    if row is not None and row.min_free_bytes is not None:
        floor = max(floor, row.min_free_bytes)
    return Limits(upload, floor, config.upload_body_bytes - config.max_upload_bytes + upload)


def require_message_length(session: Session, message: str) -> None:
    """MessageTooShort if a message was written but is shorter than the admin's minimum."""
    row = session.get(InstanceSettings, 1)
    minimum = row.min_message_length if row is not None else 0
    written = message.strip()
    if written and len(written) < minimum:
        raise MessageTooShort(f"A message needs at least {minimum} characters.", minimum=minimum)


def _organization_name(value: str) -> str | None:
    name = value.strip()
    if len(name) > MAX_ORGANIZATION_CHARS or any(not c.isprintable() for c in name):
        raise SettingsInvalid(
            f"The organisation name has at most {MAX_ORGANIZATION_CHARS} printable characters."
        )
    return name or None


def _check_limits(store: Store, config: Config, change: SettingsChange) -> None:
    if not 0 <= change.min_message_length <= MAX_MIN_MESSAGE_CHARS:
        raise SettingsInvalid(
            f"The minimum message length is between 0 and {MAX_MIN_MESSAGE_CHARS} characters."
        )
    upload = change.max_upload_bytes
    if upload is not None and not 1 <= upload <= config.max_upload_bytes:
        raise SettingsInvalid(
            f"The upload limit is at least 1 byte and at most the configured "
            f"{config.max_upload_bytes} bytes; leave it empty to use the configured one."
        )
    floor = change.min_free_bytes
    disk = shutil.disk_usage(store.root).total
    if floor is not None and not config.min_free_bytes <= floor <= disk:
        raise SettingsInvalid(
            f"The free-space floor is at least the configured {config.min_free_bytes} bytes "
            f"and at most the disk's {disk} bytes; leave it empty to use the configured one."
        )


def update(session: Session, store: Store, *, config: Config, change: SettingsChange) -> list[str]:
    """Apply `change` (flushed, not committed) and name the settings that changed, for the
    audit trail. SettingsInvalid, and nothing changes, if any value is out of bounds."""
    name = _organization_name(change.organization_name)
    _check_limits(store, config, change)
    row = instance_settings(session)
    wanted = {
        "organization_name": name,
        "allow_document_uploads": change.allow_document_uploads,
        "min_message_length": change.min_message_length,
        "max_upload_bytes": change.max_upload_bytes,
        "min_free_bytes": change.min_free_bytes,
    }
    changed = [key for key, value in wanted.items() if getattr(row, key) != value]
    for key in changed:
        setattr(row, key, wanted[key])
    session.flush()
    return changed


def set_logo(session: Session, data: bytes) -> None:
    """Keep `data` as the organisation's logo (flushed); SettingsInvalid unless a small PNG."""
    if len(data) > MAX_LOGO_BYTES:
        raise SettingsInvalid(
            f"The logo is larger than {MAX_LOGO_BYTES // 1024} KiB. Choose a smaller PNG."
        )
    if not data.startswith(PNG_SIGNATURE) or data[PNG_HEADER_END - 4 : PNG_HEADER_END] != b"IHDR":
        raise SettingsInvalid("The logo must be a PNG image. Convert it and upload it again.")
    instance_settings(session).organization_logo = data
    session.flush()


def remove_logo(session: Session) -> None:
    instance_settings(session).organization_logo = None
    session.flush()


def logo(session: Session) -> bytes | None:
    row = session.get(InstanceSettings, 1)
    return row.organization_logo if row is not None else None
