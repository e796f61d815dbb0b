"""The database tables as typed SQLAlchemy models; constraints in the database, logic elsewhere.

Every model is imported here, so the mapper registry and `Base.metadata` know every table.
"""

from sealdrop.db.models.base import ITEM_SIZE, NAMING_CONVENTION, Base, new_uuid
from sealdrop.db.models.conversations import (
    ReaderKey,
    Reply,
    SeenReply,
    SeenSubmission,
    Source,
    Submission,
    reply_reader_keys,
    submission_reader_keys,
)
from sealdrop.db.models.newsroom import (
    ApiEvent,
    ApiToken,
    AuditEvent,
    IndexState,
    InstanceSettings,
    Journalist,
    JournalistDevice,
    RevokedSession,
)

__all__ = [
    "ITEM_SIZE",
    "NAMING_CONVENTION",
    "ApiEvent",
    "ApiToken",
    "AuditEvent",
    "Base",
    "IndexState",
    "InstanceSettings",
    "Journalist",
    "JournalistDevice",
    "ReaderKey",
    "Reply",
    "RevokedSession",
    "SeenReply",
    "SeenSubmission",
    "Source",
    "Submission",
    "new_uuid",
    "reply_reader_keys",
    "submission_reader_keys",
]
