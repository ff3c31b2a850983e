"""Request middleware: bind the acting user and client address for the audit log."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from realname.core.context import acting_as


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is trusted solely when a proxy in front rewrites REMOTE_ADDR
    # (gunicorn --forwarded-allow-ips), so a client cannot forge the address the audit log records.
    return request.META.get("REMOTE_ADDR") or None


class LanguageMiddleware:
    """Chinese unless the user chose otherwise: the language switch's cookie, else the account's preference.

    Django's LocaleMiddleware would follow the browser's Accept-Language; a site office PC with an English
    Windows would then show English to clerks who never asked for it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if not chosen and getattr(request, "user", None) is not None and request.user.is_authenticated:
            chosen = getattr(request.user, "preferred_language", "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user if getattr(request, "user", None) and request.user.is_authenticated else None
        with acting_as(user, ip_address=client_ip(request), via="web"):
            return self.get_response(request)
