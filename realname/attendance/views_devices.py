"""HTTP endpoints the gate devices call: ZKTeco PUSH (/iclock/…) and Hikvision ISAPI event push.

Devices cannot do CSRF, so these views (and only these) are CSRF-exempt; they authenticate the device by
its registered serial number (ZKTeco) or its secret path segment (Hikvision). Every body is stored raw
before it is parsed, and the device is answered only after the transaction has committed: with
``REALNAME_DEVICE_UPLOADS=inline`` after the punches are stored, with ``deferred`` as soon as the raw body
is (``manage.py worker`` parses it within seconds; a body that cannot be read stays for ``replay_raw``).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from realname.attendance import selectors, services
from realname.attendance.models import Device, DeviceKind, RawMessage
from realname.attendance.protocols import ProtocolError, hikvision, zkteco
from realname.core.middleware import client_ip

log = logging.getLogger(__name__)

UNKNOWN_DEVICE = "UNKNOWN DEVICE"
DEVICE_DISABLED = "DEVICE DISABLED"
TRY_AGAIN = "TRY AGAIN LATER"


def _text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


def _store(
    request: HttpRequest, *, kind: str, device: Device | None, serial: str, path: str = "", refused: str = ""
) -> RawMessage:
    return services.store_raw_message(
        kind=kind,
        device=device,
        serial=serial,
        method=request.method or "POST",
        path=path or request.path,
        query_string=request.META.get("QUERY_STRING", ""),
        content_type=request.META.get("CONTENT_TYPE", ""),
        body=request.body,
        remote_addr=client_ip(request),
        refused=refused,
    )


def _store_if_enabled(
    request: HttpRequest, *, kind: str, serial: str = "", secret: str = "", path: str = ""
) -> int | None:
    """The deferred-upload counterpart of :func:`_store`: stored only for an enabled device (its id)."""
    return services.store_upload_if_enabled(
        kind=kind,
        serial=serial,
        secret=secret,
        path=path or request.path,
        query_string=request.META.get("QUERY_STRING", ""),
        content_type=request.META.get("CONTENT_TYPE", ""),
        body=request.body,
        remote_addr=client_ip(request),
    )


def _refuse_zkteco(request: HttpRequest, serial: str, device: Device | None) -> HttpResponse | None:
    """A non-OK answer makes the device keep its data and send it again later (devices.md §1.3)."""
    if device is not None and device.enabled:
        return None
    reason = UNKNOWN_DEVICE if device is None else DEVICE_DISABLED
    log.warning(
        "zkteco %s %s from SN %r (%s) refused: %s",
        request.method,
        request.path,
        serial,
        client_ip(request),
        reason,
    )
    if request.method == "POST":
        _store(request, kind=DeviceKind.ZKTECO, device=device, serial=serial, refused=reason.lower())
    return _text(reason, status=404 if device is None else 403)


def _zkteco_device(request: HttpRequest) -> tuple[Any, Device] | HttpResponse:
    """The query and the registered, enabled device of a ZKTeco request — or the answer that refuses it."""
    try:
        query = zkteco.parse_query(request.META.get("QUERY_STRING", ""))
    except ProtocolError:
        return _text("NO SN", status=400)
    device = selectors.get_device_by_serial(query.sn)
    refusal = _refuse_zkteco(request, query.sn, device)
    if refusal is not None or device is None:
        return refusal or _text(UNKNOWN_DEVICE, status=404)
    return query, device


def _deferred_zkteco_upload(request: HttpRequest) -> HttpResponse | None:
    """A registered, enabled device's upload stored in one statement and answered; None when the serial
    is missing, unknown or disabled (the ordinary path then refuses it, storing the refused body)."""
    try:
        query = zkteco.parse_query(request.META.get("QUERY_STRING", ""))
    except ProtocolError:
        return None
    stored = _store_if_enabled(request, kind=DeviceKind.ZKTECO, serial=query.sn)
    if stored is None:
        return None
    # The body is committed: answer now, the worker parses it. The count is of the punches the body
    # holds, read here without the database (each will be stored, or found stored already).
    if (query.table or "").upper() != "ATTLOG":
        return _text(zkteco.OK)
    return _text(zkteco.ok_response(len(zkteco.parse_attlog(request.body).items)))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def iclock_cdata(request: HttpRequest) -> HttpResponse:
    """GET: handshake (options=all) or plain check; POST: an upload (ATTLOG punches, OPERLOG, USERINFO…)."""
    if request.method == "POST" and settings.REALNAME_DEVICE_UPLOADS == "deferred":
        answer = _deferred_zkteco_upload(request)
        if answer is not None:
            return answer
    found = _zkteco_device(request)
    if isinstance(found, HttpResponse):
        return found
    query, device = found
    if request.method == "GET":
        services.touch_device(device=device)
        if query.options_all:
            return _text(
                zkteco.handshake_response(sn=device.serial, options=services.handshake_options(device))
            )
        return _text(zkteco.OK)
    raw = _store(request, kind=DeviceKind.ZKTECO, device=device, serial=query.sn)
    attlog = (query.table or "").upper() == "ATTLOG"
    result = services.process_raw_message(raw=raw)
    if result.retryable:
        return _text(TRY_AGAIN, status=503)
    if attlog:
        return _text(zkteco.ok_response(result.stored))
    return _text(zkteco.OK)


@csrf_exempt
@require_http_methods(["GET"])
def iclock_getrequest(request: HttpRequest) -> HttpResponse:
    """The device's heartbeat: answer the next queued commands, or OK when there are none."""
    found = _zkteco_device(request)
    if isinstance(found, HttpResponse):
        return found
    query, device = found
    services.touch_device(device=device)
    commands = services.claim_commands(device=device)
    if not commands:
        return _text(zkteco.OK)
    return _text("\n".join(command.text for command in commands) + "\n")


@csrf_exempt
@require_POST
def iclock_devicecmd(request: HttpRequest) -> HttpResponse:
    """The device's results of the commands it ran (one ID=…&Return=…&CMD=… line each)."""
    found = _zkteco_device(request)
    if isinstance(found, HttpResponse):
        return found
    query, device = found
    raw = _store(request, kind=DeviceKind.ZKTECO, device=device, serial=query.sn)
    result = services.process_raw_message(raw=raw)
    if result.retryable:
        return _text(TRY_AGAIN, status=503)
    return _text(zkteco.OK)


HIK_PATH = "/devices/hik/***/events"  # the secret is a credential: never stored with the raw message


@csrf_exempt
@require_POST
def hikvision_events(request: HttpRequest, secret: str) -> HttpResponse:
    """One pushed event (JSON or multipart with a picture). Answered 200 with the ACK body after commit,
    whatever it held, so the terminal does not resend it; only a body cut in transit (retryable) is
    answered 503 so that it comes again whole."""
    if settings.REALNAME_DEVICE_UPLOADS == "deferred" and secret:
        stored = _store_if_enabled(request, kind=DeviceKind.HIKVISION, secret=secret, path=HIK_PATH)
        if stored is not None:
            try:  # only to tell a body cut in transit (503: it comes again whole) from the rest
                hikvision.parse_event(request.META.get("CONTENT_TYPE", ""), request.body)
            except ProtocolError as exc:
                if exc.retryable:
                    services.mark_failed(stored, str(exc))
                    return _text(TRY_AGAIN, status=503)
            return HttpResponse(hikvision.ACK_BODY, content_type="application/json")
    device = selectors.get_device_by_secret(secret)
    if device is None or not device.enabled:
        reason = UNKNOWN_DEVICE if device is None else DEVICE_DISABLED
        log.warning("hikvision push from %s refused: %s", client_ip(request), reason)
        _store(
            request,
            kind=DeviceKind.HIKVISION,
            device=device,
            serial=device.serial if device is not None else "",
            path=HIK_PATH,
            refused=reason.lower(),
        )
        return _text(reason, status=404 if device is None else 403)
    raw = _store(request, kind=DeviceKind.HIKVISION, device=device, serial=device.serial, path=HIK_PATH)
    result = services.process_raw_message(raw=raw)
    if result.retryable:
        return _text(TRY_AGAIN, status=503)
    return HttpResponse(hikvision.ACK_BODY, content_type="application/json")
