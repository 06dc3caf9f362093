"""The directory target's tables: groups, members and access grants.

``managed_by`` names the sync that created a row; hand-made rows have it empty and
are never changed by a sync.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class DirGroup(SQLModel, table=True):
    __tablename__ = "dir_group"

    key: str = Field(primary_key=True)
    name: str
    managed_by: str = Field(default="", index=True)
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    member_digest: str | None = None
    """``sync.digest.digest_members`` of the member rows (managed groups only)."""
    member_count: int = 0


class DirMember(SQLModel, table=True):
    __tablename__ = "dir_member"
    __table_args__ = {"sqlite_with_rowid": False}

    group_key: str = Field(primary_key=True)
    person: str = Field(primary_key=True)


class DirGrant(SQLModel, table=True):
    __tablename__ = "dir_grant"

    group_key: str = Field(primary_key=True)
    principal: str = Field(primary_key=True)
    options: str = ""
    managed_by: str = Field(default="", index=True)


group_t: sa.Table = DirGroup.__table__  # type: ignore[attr-defined]
member_t: sa.Table = DirMember.__table__  # type: ignore[attr-defined]
grant_t: sa.Table = DirGrant.__table__  # type: ignore[attr-defined]


class DirProfile(SQLModel, table=True):
    __tablename__ = "dir_profile"

    person: str = Field(primary_key=True)
    user_group: str
    permissions: str = ""
    reason: str = ""
    managed_by: str = Field(default="", index=True)


class DirBlock(SQLModel, table=True):
    """A child the directory hides from one staff member in every group."""

    __tablename__ = "dir_block"

    staff: str = Field(primary_key=True)
    student: str = Field(primary_key=True)
    reason: str = ""
    managed_by: str = Field(default="", index=True)
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


profile_t: sa.Table = DirProfile.__table__  # type: ignore[attr-defined]
block_t: sa.Table = DirBlock.__table__  # type: ignore[attr-defined]
