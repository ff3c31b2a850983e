"""Reads for the device endpoints and the replay command."""

from __future__ import annotations

from django.db.models import QuerySet

from realname.attendance.models import Device, DeviceKind, ParseStatus, RawMessage


def get_device_by_serial(serial: str, *, kind: str = DeviceKind.ZKTECO) -> Device | None:
    """The registered device of this kind with this serial number (enabled or not), or None.

    ``get`` on the unique column, not ``first()`` (which orders by the model's ordering, a join to the
    project table), and no select_related: a deferred upload needs only ``project_id``, and the paths that
    need the project load it when they do. This runs on every device request."""
    try:
        return Device.objects.get(serial=serial, kind=kind)
    except Device.DoesNotExist:
        return None


def get_device_by_secret(secret: str, *, kind: str = DeviceKind.HIKVISION) -> Device | None:
    """The device a secret URL segment belongs to, or None. Blank secrets never match."""
    if not secret:
        return None
    try:
        return Device.objects.select_related("project").get(secret=secret, kind=kind)
    except Device.DoesNotExist:
        return None


def list_raw_messages_to_replay(
    *, ids: list[int] | None = None, failed: bool = False
) -> QuerySet[RawMessage]:
    """Raw messages by id, or every one whose parsing failed, oldest first."""
    rows = RawMessage.objects.select_related("device").order_by("id")
    if ids:
        rows = rows.filter(id__in=ids)
    if failed:
        rows = rows.filter(parse_status=ParseStatus.FAILED)
    return rows
