"""Pending sources (a codename handed out, nothing ever sent) are removed after a while.

Journalists never see them, so they only cost a key pair and a designation each; left alone,
anyone could exhaust the designations by asking for codenames.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealdrop.crypto.gpg import Fingerprint, Gpg
from sealdrop.db.models import Source
from sealdrop.storage.store import Store


def purge_pending(session: Session, store: Store, gpg: Gpg, *, created_before: dt.date) -> int:
    """Delete pending sources created before that day, with their keys and folders."""
    query = select(Source).where(Source.pending.is_(True), Source.created_on < created_before)
    removed = 0
    for source in session.scalars(query).all():
        fingerprint, folder = Fingerprint(source.key_fingerprint), source.filesystem_id
        # The row goes first: without it the codename no longer logs in, whatever happens next.
        session.delete(source)
        session.commit()
        gpg.delete_key_pair(fingerprint)
        store.delete_source(folder)
        removed += 1
    return removed
