"""Sources and what passes between them and the newsroom: submissions, replies, the reader keys
they are encrypted to, and who has seen them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sealdrop.db.models.base import ITEM_SIZE, Base, new_uuid

if TYPE_CHECKING:
    from sealdrop.db.models.newsroom import Journalist

# Which reader keys each stored item was encrypted to: a link table per kind of item, so a count
# per key is one query, a fingerprint is written once, and a reader key that items point to
# cannot be deleted (keys are retired, never removed). Deleting an item deletes its links.
submission_reader_keys = Table(
    "submission_reader_keys",
    Base.metadata,
    Column(
        "submission_id",
        ForeignKey("submissions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("reader_key_id", ForeignKey("reader_keys.id"), primary_key=True, index=True),
)
reply_reader_keys = Table(
    "reply_reader_keys",
    Base.metadata,
    Column("reply_id", ForeignKey("replies.id", ondelete="CASCADE"), primary_key=True),
    Column("reader_key_id", ForeignKey("reader_keys.id"), primary_key=True, index=True),
)


class ReaderKey(Base):
    """One public key of a reader (an air-gapped machine, a spare in a safe); only days are kept.

    Every submission and reply is encrypted to all active keys at once. A retired key is no
    longer encrypted to but stays, with the items only it can open.
    """

    __tablename__ = "reader_keys"
    __table_args__ = (
        CheckConstraint("state IN ('active', 'retired')", name="state_known"),
        CheckConstraint("(state = 'retired') = (retired_on IS NOT NULL)", name="retired_has_a_day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(40), unique=True)
    # Armored; imported into each operation's throwaway GnuPG home, so no keyring is kept. Empty
    # only on a key migrated from an old keyring until `sealdrop init` moved it in.
    public_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    state: Mapped[str] = mapped_column(String(16))
    added_on: Mapped[dt.date] = mapped_column(Date)
    retired_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class Source(Base):
    """A source, found only by the memory-hard hash of its codename; dates are kept to the day.

    A row exists only from the source's first submission on: a codename never used costs nothing.
    """

    __tablename__ = "sources"
    __table_args__ = (CheckConstraint("interaction_count >= 0", name="interaction_count_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    filesystem_id: Mapped[str] = mapped_column(String(52), unique=True)
    journalist_designation: Mapped[str] = mapped_column(String(255), unique=True)
    key_fingerprint: Mapped[str] = mapped_column(String(40), unique=True)
    interaction_count: Mapped[int] = mapped_column(Integer, default=0)
    # The reply key lives here, not in a keyring: the armored public key, and gpg-agent's file
    # of the encryption subkey, protected by the passphrase derived from the codename. Empty only
    # on rows migrated from a keyring until `sealdrop init` moved their keys in.
    public_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    secret_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    is_starred: Mapped[bool] = mapped_column(Boolean, default=False)
    created_on: Mapped[dt.date] = mapped_column(Date)
    last_updated: Mapped[dt.date] = mapped_column(Date)
    # A digest of what the journalist API shows of this row, renewed on every write (API v2).
    version: Mapped[str | None] = mapped_column(String(64), nullable=True)

    submissions: Mapped[list[Submission]] = relationship(
        back_populates="source",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Submission.interaction_count",
    )
    replies: Mapped[list[Reply]] = relationship(
        back_populates="source",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Reply.interaction_count",
    )


class Submission(Base):
    """One encrypted message or file from a source."""

    __tablename__ = "submissions"
    __table_args__ = (
        CheckConstraint("kind IN ('message', 'file')", name="kind_known"),
        CheckConstraint("size >= 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(ITEM_SIZE)
    interaction_count: Mapped[int] = mapped_column(Integer)
    is_read: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # sha256 of the stored ciphertext, kept at its first download: files never change after
    # they are placed, and hashing 2 GB again for every resumed download would cost seconds.
    checksum: Mapped[str | None] = mapped_column(String(64), nullable=True)

    source: Mapped[Source] = relationship(back_populates="submissions")
    # The reader keys this item was encrypted to: which reader can open it.
    reader_keys: Mapped[list[ReaderKey]] = relationship(
        secondary=submission_reader_keys, order_by="ReaderKey.id"
    )


class Reply(Base):
    """One reply to a source, encrypted to the source's key and to every active reader key."""

    __tablename__ = "replies"
    __table_args__ = (CheckConstraint("size >= 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255), unique=True)
    size: Mapped[int] = mapped_column(ITEM_SIZE)
    interaction_count: Mapped[int] = mapped_column(Integer)
    deleted_by_source: Mapped[bool] = mapped_column(Boolean, default=False)
    # Null for replies of a journalist since deleted (and for replies made before accounts).
    journalist_id: Mapped[int | None] = mapped_column(
        ForeignKey("journalists.id", ondelete="SET NULL"), nullable=True, index=True
    )
    version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # sha256 of the stored ciphertext, kept at its first download: files never change after
    # they are placed, and hashing 2 GB again for every resumed download would cost seconds.
    checksum: Mapped[str | None] = mapped_column(String(64), nullable=True)

    source: Mapped[Source] = relationship(back_populates="replies")
    journalist: Mapped[Journalist | None] = relationship()
    reader_keys: Mapped[list[ReaderKey]] = relationship(
        secondary=reply_reader_keys, order_by="ReaderKey.id"
    )


class SeenSubmission(Base):
    """Which journalist has seen which message or file."""

    __tablename__ = "seen_submissions"

    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True
    )
    journalist_id: Mapped[int] = mapped_column(
        ForeignKey("journalists.id", ondelete="CASCADE"), primary_key=True
    )


class SeenReply(Base):
    """Which journalist has seen which reply."""

    __tablename__ = "seen_replies"

    reply_id: Mapped[int] = mapped_column(
        ForeignKey("replies.id", ondelete="CASCADE"), primary_key=True
    )
    journalist_id: Mapped[int] = mapped_column(
        ForeignKey("journalists.id", ondelete="CASCADE"), primary_key=True
    )
