"""API error shapes: validation problems are 422 with field-level messages, never a 500."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError


def django_errors(exc: DjangoValidationError) -> list[dict[str, Any]]:
    if hasattr(exc, "error_dict"):
        return [
            {"loc": ["body", field if field != "__all__" else "non_field"], "msg": str(msg)}
            for field, errs in exc.message_dict.items()
            for msg in errs
        ]
    return [{"loc": ["body"], "msg": str(msg)} for msg in exc.messages]


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DjangoValidationError)
    def on_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return api.create_response(request, {"detail": django_errors(exc)}, status=422)

    @api.exception_handler(NinjaValidationError)
    def on_schema(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        detail = [{"loc": list(e.get("loc", [])), "msg": str(e.get("msg", "")), "type": e.get("type", "")} for e in exc.errors]
        return api.create_response(request, {"detail": detail}, status=422)

    @api.exception_handler(IntegrityError)
    def on_integrity(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
        return api.create_response(
            request, {"detail": [{"loc": ["body"], "msg": "数据与已有记录冲突（重复或关联无效）"}]}, status=422
        )

    @api.exception_handler(Http404)
    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(request, {"detail": "未找到"}, status=404)

    @api.exception_handler(AuthenticationError)
    def on_auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(request, {"detail": "未认证：请提供有效的 API 令牌"}, status=401)

    @api.exception_handler(HttpError)
    def on_http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)
