"""API shapes for the inbox: a notification as its recipient sees it, and the mark-read request."""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Field, Schema

from realname.core.api_errors import InputSchema


class NotificationProjectRef(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    code: str
    name: str


class NotificationOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    kind: str = Field(..., description="类型代码，如 attendance.late_streak")
    level: str = Field(..., description="info / warning / critical")
    title: str
    body: str
    link: str = Field(..., description="本站页面路径（可能为空）")
    project: NotificationProjectRef | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class MarkReadIn(InputSchema):
    ids: list[uuid.UUID] = Field(default_factory=list, max_length=500, description="要标为已读的通知 id")
    all: bool = Field(False, description="true：将本人全部未读通知标为已读（忽略 ids）")


class MarkReadOut(Schema):
    marked: int = Field(..., description="本次由未读变为已读的条数")
