"""The database tables as typed SQLAlchemy models; constraints in the database, logic elsewhere."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Files past 2 GiB: 64 bits on PostgreSQL; SQLite's INTEGER has 64 bits already.
ITEM_SIZE = BigInteger().with_variant(Integer(), "sqlite")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_uuid() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


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


class InstanceSettings(Base):
    """The single row of settings an admin changes at run time."""

    __tablename__ = "instance_settings"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    allow_document_uploads: Mapped[bool] = mapped_column(Boolean, default=True)
    organization_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    organization_logo: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    min_message_length: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Admins may lower the configured limits at run time, never raise them (null: the config's).
    max_upload_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    min_free_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class RevokedSession(Base):
    """A logged-out source session, refused until its cookie would have expired anyway.

    The id is random and the expiry rounded up to the day: nothing here points to a source,
    or to the hour of a login.
    """

    __tablename__ = "revoked_sessions"

    session_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class Journalist(Base):
    """A newsroom account: Argon2id passphrase hash and a two-factor secret, never a plain one."""

    __tablename__ = "journalists"
    __table_args__ = (
        CheckConstraint("otp_kind IN ('totp', 'hotp')", name="otp_kind_known"),
        CheckConstraint("hotp_counter >= 0", name="hotp_counter_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    first_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    last_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    passphrase_hash: Mapped[str] = mapped_column(Text)
    otp_kind: Mapped[str] = mapped_column(String(8), default="totp")
    otp_secret: Mapped[str] = mapped_column(String(64))
    hotp_counter: Mapped[int] = mapped_column(Integer, default=0)
    # The last TOTP time step accepted: no code of that step or an earlier one works again.
    last_totp_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Raised when the passphrase or the second factor changes: every session made before ends.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_on: Mapped[dt.date] = mapped_column(Date)
    last_login: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    version: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ApiToken(Base):
    """A journalist API token, kept only as its SHA-256: the database cannot log anyone in."""

    __tablename__ = "api_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    journalist_id: Mapped[int] = mapped_column(
        ForeignKey("journalists.id", ondelete="CASCADE"), index=True
    )
    expires: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


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


class AuditEvent(Base):
    """One admin-visible action: who did what, to the day; never any source content.

    Each row's digest covers the previous row's, so a removed or edited row breaks the chain.
    Names are copied in, so the trail survives the deletion of the account that acted.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(Text, default="")
    # Unique: two entries claiming the same predecessor would fork the chain.
    previous_digest: Mapped[str] = mapped_column(String(64), unique=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)


class ApiEvent(Base):
    """A journalist API v2 event already processed, with its result: ids are idempotency keys.

    Only the day is kept, so the table can be pruned without holding finer times.
    """

    __tablename__ = "api_events"

    journalist_id: Mapped[int] = mapped_column(
        ForeignKey("journalists.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[int] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)


class IndexState(Base):
    """One row whose generation grows with every change to what the API v2 index shows.

    Database triggers (migration 0007) bump it on every insert, delete and version update of
    sources, submissions, replies and journalists, whatever code or SQL made the change; so a
    cached index version stays valid exactly while the generation is unchanged.
    """

    __tablename__ = "index_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, default=0)
    # PostgreSQL only: the transaction that bumped last, so a transaction bumps once.
    last_txid: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class JournalistDevice(Base):
    """A journalist's device allowed on the journalist onion: only the public half of its
    x25519 client-authorization key is kept; the private half was shown once and forgotten."""

    __tablename__ = "journalist_devices"
    __table_args__ = (CheckConstraint("length(public_key) = 52", name="public_key_base32"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    journalist_id: Mapped[int] = mapped_column(
        ForeignKey("journalists.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(64))
    public_key: Mapped[str] = mapped_column(String(52), unique=True)
    created_on: Mapped[dt.date] = mapped_column(Date)

    journalist: Mapped[Journalist] = relationship()
