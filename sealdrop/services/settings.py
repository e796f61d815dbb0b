"""The instance's settings row: what admins may change while the server runs."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sealdrop.db.models import InstanceSettings


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
