"""The API's JSON shapes, SecureDrop's field names: sources, submissions, replies, journalists."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from sealdrop.db.models import Journalist, Reply, Submission
from sealdrop.services import versions
from sealdrop.services.records import DELETED, ItemRecord, SourceRecord

Json = dict[str, Any]
V1 = "/api/v1"


def iso_moment(moment: dt.datetime) -> str:
    """ISO 8601 in UTC with a trailing Z, microseconds included, as SecureDrop writes it."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@functools.lru_cache(maxsize=4096)  # a list of 10,000 sources spans a few hundred days
def iso_day(day: dt.date | None) -> str | None:
    """Sealdrop keeps days only: midnight UTC of that day."""
    return None if day is None else iso_moment(dt.datetime.combine(day, dt.time()))


def source_url(uuid: str) -> str:
    return f"{V1}/sources/{uuid}"


def source(record: SourceRecord) -> Json:
    row = record.source
    url = source_url(row.uuid)
    return {
        "uuid": row.uuid,
        "url": url,
        "journalist_designation": row.journalist_designation,
        "is_flagged": False,
        "is_starred": row.is_starred,
        "last_updated": iso_day(row.last_updated),
        "interaction_count": row.interaction_count,
        "number_of_documents": record.files,
        "number_of_messages": record.messages,
        "submissions_url": f"{url}/submissions",
        "replies_url": f"{url}/replies",
        "add_star_url": f"{url}/add_star",
        "remove_star_url": f"{url}/remove_star",
        "key": {"type": "PGP", "public": row.public_key, "fingerprint": row.key_fingerprint},
    }


def source_v2(record: SourceRecord) -> Json:
    return {
        **source(record),
        "has_attachment": record.files > 0,
        "is_seen": record.is_seen,
        "public_key": record.source.public_key,
        "fingerprint": record.source.key_fingerprint,
    }


def submission(record: ItemRecord) -> Json:
    item = record.item
    if not isinstance(item, Submission):
        raise TypeError("a reply is not a submission")
    url = f"{source_url(item.source.uuid)}/submissions/{item.uuid}"
    return {
        "uuid": item.uuid,
        "filename": item.filename,
        "size": item.size,
        "is_file": item.kind == "file",
        "is_message": item.kind == "message",
        "is_read": item.is_read,
        "seen_by": list(record.seen_by),
        "source_url": source_url(item.source.uuid),
        "submission_url": url,
        "download_url": f"{url}/download",
    }


def reply(record: ItemRecord) -> Json:
    item = record.item
    if not isinstance(item, Reply):
        raise TypeError("a submission is not a reply")
    author = item.journalist
    return {
        "uuid": item.uuid,
        "filename": item.filename,
        "size": item.size,
        "source_url": source_url(item.source.uuid),
        "reply_url": f"{source_url(item.source.uuid)}/replies/{item.uuid}",
        "is_deleted_by_source": item.deleted_by_source,
        "seen_by": list(record.seen_by),
        "journalist_uuid": author.uuid if author else DELETED,
        "journalist_username": author.username if author else DELETED,
        "journalist_first_name": author.first_name if author else None,
        "journalist_last_name": author.last_name if author else None,
    }


def item_v2(record: ItemRecord) -> Json:
    """Exactly the facts the item's version digests."""
    return versions.item_facts(record)


def journalist_v2(journalist: Journalist) -> Json:
    return versions.journalist_facts(journalist)


def user(journalist: Journalist) -> Json:
    return {
        "uuid": journalist.uuid,
        "username": journalist.username,
        "first_name": journalist.first_name,
        "last_name": journalist.last_name,
        "is_admin": journalist.is_admin,
        "last_login": iso_day(journalist.last_login),
    }


def user_brief(journalist: Journalist) -> Json:
    return {
        "uuid": journalist.uuid,
        "username": journalist.username,
        "first_name": journalist.first_name,
        "last_name": journalist.last_name,
    }
