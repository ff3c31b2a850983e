"""Request middleware: bind the acting user and client address for the audit log."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from realname.core.context import acting_as


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is trusted solely when a proxy in front rewrites REMOTE_ADDR
    # (gunicorn --forwarded-allow-ips), so a client cannot forge the address the audit log records.
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user if getattr(request, "user", None) and request.user.is_authenticated else None
        with acting_as(user, ip_address=client_ip(request), via="web"):
            return self.get_response(request)
