"""What every table shares: the declarative base, its naming convention, uuids, sizes."""

from __future__ import annotations

import uuid

from sqlalchemy import (
    BigInteger,
    Integer,
    MetaData,
)
from sqlalchemy.orm import DeclarativeBase

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
