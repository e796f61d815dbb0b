"""Helpers of the submission tests: file parts fed as the web parser feeds them, what is stored."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sealdrop.db.models import Source, Submission
from sealdrop.domain.keys import Fingerprint, PublicKey
from sealdrop.runtime.instance import Instance
from sealdrop.services.intake import require_open
from sealdrop.services.submissions import open_upload
from sealdrop.services.uploads import StagedUpload, UploadBudget

CHUNK = 64 * 1024
UNKNOWN = PublicKey(Fingerprint("0123456789ABCDEF0123456789ABCDEF01234567"), "not a key")


def recipients(inst: Instance, session: Session) -> list[PublicKey]:
    return require_open(session, inst.store, inst.gpg, config=inst.config, incoming_bytes=0)


def upload(
    inst: Instance,
    source: Source,
    name: str,
    data: bytes,
    *,
    to: Sequence[PublicKey],
    finish: bool = True,
) -> StagedUpload:
    """A file part as the web parser feeds it: chunk by chunk, then finish() when the part ends."""
    staged = open_upload(
        inst.store,
        inst.gpg,
        source=source,
        filename=name,
        recipients=to,
        budget=UploadBudget(inst.config.max_upload_bytes),
    )
    for offset in range(0, len(data), CHUNK):
        staged.write(data[offset : offset + CHUNK])
    if finish:
        staged.finish()
    return staged


def stored(inst: Instance, source: Source) -> list[str]:
    directory = inst.store.root / source.filesystem_id
    return sorted(path.name for path in directory.iterdir()) if directory.exists() else []


def assert_nothing_stored(inst: Instance, source_id: int, *, extra: Sequence[str] = ()) -> None:
    with inst.sessions() as session:
        source = session.get(Source, source_id)
        assert source is not None
        assert source.interaction_count == 0
        assert session.scalar(select(func.count()).select_from(Submission)) == 0
        assert stored(inst, source) == sorted(extra)
