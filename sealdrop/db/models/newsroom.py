"""The newsroom and the instance: journalists, their tokens, devices and audit trail, API events,
settings, revoked source sessions and the index generation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sealdrop.db.models.base import Base, new_uuid


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
