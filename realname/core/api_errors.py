"""API plumbing every router shares: error shapes, scoped lookups and pagination.

Errors: validation problems are 422 with field-level messages (``{"detail": [{"loc": [...], "msg": ...}]}``),
an object outside the caller's scope is 404 exactly like a missing one, a missing permission is 403 — never
a 500 on bad input.

Lookups go through :func:`realname.accounts.scope.restrict`, the one scoping mechanism:
- :func:`get_visible` / :func:`get_changeable` for objects named in the URL (404 outside scope);
- :func:`resolve_ref` / :func:`resolve_optional_ref` for objects named in a request body (422 on that
  field: "不存在或无权限");
- :func:`refetch_in_scope` after a create: the new row must lie in the caller's scope, otherwise the
  enclosing transaction is rolled back and the request is answered 422.
"""

from __future__ import annotations

import functools
import typing
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, models
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import ConfigDict, field_validator

from realname.accounts.scope import has_perm, restrict
from realname.core.pages import scoped_get

M = TypeVar("M", bound=models.Model)
F = TypeVar("F", bound=Callable[..., Any])

NOT_FOUND_OR_FORBIDDEN = "不存在或无权限"
MAX_PAGE = 500
NUL_MESSAGE = "不能包含空字符（U+0000）"


class InputSchema(Schema):
    """Base of every request body: unknown fields are refused (a typo must not pass silently), and so is NUL,
    which no text column can store."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError(NUL_MESSAGE)
        return value


class Message(Schema):
    detail: str


class FieldError(Schema):
    loc: list[str | int]
    msg: str


class FieldErrors(Schema):
    detail: list[FieldError]


# OpenAPI documentation of the error answers (the handlers below produce them).
ERRORS: dict[int, type[Schema]] = {401: Message, 403: Message, 404: Message, 422: FieldErrors}
WRITE_ERRORS: dict[int, type[Schema]] = {401: Message, 403: Message, 422: FieldErrors}


def django_errors(exc: DjangoValidationError) -> list[dict[str, Any]]:
    if hasattr(exc, "error_dict"):
        return [
            {"loc": ["body", field if field != "__all__" else "non_field"], "msg": str(msg)}
            for field, errs in exc.message_dict.items()
            for msg in errs
        ]
    return [{"loc": ["body"], "msg": str(msg)} for msg in exc.messages]


def _schema_loc(loc: Any) -> list[Any]:
    """``("body", "payload", "name")`` → ``["body", "name"]``: our parameter name means nothing to clients."""
    parts = list(loc or [])
    if len(parts) >= 2 and parts[0] == "body" and parts[1] == "payload":
        del parts[1]
    return parts


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DjangoValidationError)
    def on_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return api.create_response(request, {"detail": django_errors(exc)}, status=422)

    @api.exception_handler(NinjaValidationError)
    def on_schema(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        detail = [
            {"loc": _schema_loc(e.get("loc")), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in exc.errors
        ]
        return api.create_response(request, {"detail": detail}, status=422)

    @api.exception_handler(IntegrityError)
    def on_integrity(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
        return api.create_response(
            request,
            {"detail": [{"loc": ["body"], "msg": "数据与已有记录冲突（重复或关联无效）"}]},
            status=422,
        )

    @api.exception_handler(DataError)
    def on_data(request: HttpRequest, exc: DataError) -> HttpResponse:
        # A value the database cannot store (out of range, bad characters) is bad input, not a server fault.
        return api.create_response(
            request, {"detail": [{"loc": ["body"], "msg": "数据格式或范围无效"}]}, status=422
        )

    @api.exception_handler(Http404)
    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(request, {"detail": "未找到"}, status=404)

    @api.exception_handler(PermissionDenied)
    def on_403(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return api.create_response(request, {"detail": "无权限"}, status=403)

    @api.exception_handler(AuthenticationError)
    def on_auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(request, {"detail": "未认证：请提供有效的 API 令牌"}, status=401)

    @api.exception_handler(HttpError)
    def on_http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            # ninja answers 400 to a body that is not JSON; to the client it is one more validation problem.
            return api.create_response(
                request,
                {"detail": [{"loc": ["body"], "msg": "请求体不是有效的 JSON", "type": "json_invalid"}]},
                status=422,
            )
        return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


def parse_public_id(value: Any) -> uuid.UUID:
    """A public id from a URL; anything that is not a UUID is simply not found."""
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise Http404 from None


def require_perm(request: HttpRequest, perm: str) -> None:
    """403 when none of the caller's roles grants ``perm`` anywhere (regulators, workers writing)."""
    if not has_perm(request.user, perm):
        raise HttpError(403, "无权限执行此操作")


def get_visible(request: HttpRequest, qs: models.QuerySet[M], perm: str, public_id: Any) -> M:
    """The row if the caller may ``perm`` it; otherwise 404, exactly like a row that does not exist."""
    return scoped_get(request, qs, perm, public_id)  # the pages' lookup: one rule for screens and API


def get_changeable(
    request: HttpRequest, qs: models.QuerySet[M], perm: str, view_perm: str, public_id: Any
) -> M:
    """The row if the caller may ``perm`` it; 403 if they may only see it, 404 if they may not even see it."""
    require_perm(request, perm)
    key = parse_public_id(public_id)
    obj = restrict(qs, request.user, perm).filter(public_id=key).first()
    if obj is not None:
        return obj
    if restrict(qs, request.user, view_perm).filter(public_id=key).exists():
        raise HttpError(403, "无权限修改该对象")
    raise Http404


def resolve_ref(
    request: HttpRequest, qs: models.QuerySet[M], perm: str, public_id: uuid.UUID, field: str
) -> M:
    """The object a request body names by public id, in the caller's ``perm`` scope; else 422 on ``field``."""
    obj = restrict(qs, request.user, perm).filter(public_id=public_id).first()
    if obj is None:
        raise DjangoValidationError({field: NOT_FOUND_OR_FORBIDDEN})
    return obj


def resolve_optional_ref(
    request: HttpRequest, qs: models.QuerySet[M], perm: str, public_id: uuid.UUID | None, field: str
) -> M | None:
    return None if public_id is None else resolve_ref(request, qs, perm, public_id, field)


def refetch_in_scope(request: HttpRequest, qs: models.QuerySet[M], perm: str, obj: M, field: str) -> M:
    """``obj`` re-read through ``qs`` (the shape the endpoint renders) if it lies in the caller's scope.

    Call inside the transaction that created ``obj``: a row the caller could not see afterwards (say, a team
    under another company's participation) is refused as a 422 on ``field`` and rolled back.
    """
    found = restrict(qs, request.user, perm).filter(pk=obj.pk).first()
    if found is None:
        raise DjangoValidationError({field: NOT_FOUND_OR_FORBIDDEN})
    return found


class Pagination(LimitOffsetPagination):
    """limit/offset pages of at most 500 rows; the endpoint orders its queryset stably (ending in the pk)."""

    class Input(Schema):
        limit: int = Field(50, ge=1, le=MAX_PAGE, description="每页条数（最多 500）")
        offset: int = Field(0, ge=0, le=1_000_000_000, description="跳过的条数")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_PAGE, **kwargs)


def list_endpoint(func: F) -> F:
    """Resolve a list endpoint's annotations where it is defined, refuse NUL in its filters, and paginate it.

    ninja evaluates a decorated view's string annotations (``from __future__ import annotations``) in the
    decorator's module, where names like ``UUID`` do not exist; resolving them first keeps the filters typed.
    """
    func.__annotations__ = typing.get_type_hints(func)

    @functools.wraps(func)
    def checked(request: HttpRequest, **filters: Any) -> Any:
        bad = [name for name, value in filters.items() if isinstance(value, str) and "\x00" in value]
        if bad:
            raise NinjaValidationError(
                [{"loc": ["query", name], "msg": NUL_MESSAGE, "type": "value_error"} for name in bad]
            )
        return func(request, **filters)

    return typing.cast(F, paginate(Pagination)(checked))
