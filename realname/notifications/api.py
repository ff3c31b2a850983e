"""Inbox API: the caller's own notifications, and marking them read. Nobody, not even a platform
administrator, reads another person's notifications here: an id that is not the caller's is 404."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Router

from realname.accounts.models import User
from realname.core.api_errors import ERRORS, list_endpoint
from realname.notifications import selectors, services
from realname.notifications.models import Notification
from realname.notifications.schemas import MarkReadIn, MarkReadOut, NotificationOut

router = Router(tags=["notifications"])


@router.get("", response=list[NotificationOut], summary="我的通知 / my notifications")
@list_endpoint
def list_notifications(
    request: HttpRequest, unread: bool = False, kind: str = "", project: str = ""
) -> QuerySet[Notification]:
    """未读在前、新的在前。筛选：`unread`（只看未读）、`kind`（类型代码）、`project`（项目编码）。"""
    qs = selectors.inbox(request.user)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    if kind:
        qs = qs.filter(kind=kind)
    if project:
        qs = qs.filter(project__code=project)
    return qs


@router.post("/read", response={200: MarkReadOut, **ERRORS}, summary="标为已读 / mark notifications read")
def mark_read(request: HttpRequest, payload: MarkReadIn) -> MarkReadOut:
    """`ids` 中任何一条不是本人的通知（或不存在）时返回 404，且不做任何修改。"""
    user = request.user
    assert isinstance(user, User)  # the API authenticates every call
    if payload.all:
        return MarkReadOut(marked=services.mark_all_read(user=user))
    wanted = set(payload.ids)
    found = list(selectors.inbox(user).filter(public_id__in=wanted).values_list("pk", flat=True))
    if len(found) != len(wanted):
        raise Http404
    return MarkReadOut(marked=services.mark_read(user=user, ids=found))
