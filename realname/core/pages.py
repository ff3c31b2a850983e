"""What every page view shares: scoped lookups (404 outside scope), permission checks, pagination."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest

from realname.accounts.scope import has_perm, restrict

M = TypeVar("M", bound=models.Model)


def scoped_get(request: HttpRequest, qs: models.QuerySet[M], perm: str, public_id: Any) -> M:
    """The row with ``public_id`` if the user may ``perm`` it; otherwise 404, exactly like a missing row."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise Http404 from None
    obj = restrict(qs, request.user, perm).filter(public_id=key).first()
    if obj is None:
        raise Http404
    return obj


def require(request: HttpRequest, perm: str, obj: models.Model | None = None) -> None:
    """403 when the user may see ``obj`` but not ``perm`` it (or lacks ``perm`` entirely)."""
    if not has_perm(request.user, perm):
        raise PermissionDenied
    if (
        obj is not None
        and not restrict(type(obj)._default_manager.filter(pk=obj.pk), request.user, perm).exists()
    ):
        raise PermissionDenied


def paginate(request: HttpRequest, qs: models.QuerySet[M] | list[M], per_page: int | None = None) -> Page[M]:
    paginator = Paginator(qs, per_page or settings.REALNAME_PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def stored_file_response(
    stored: FieldFile, download_name: str, content_types: Mapping[str, str]
) -> FileResponse:
    """A stored upload streamed to a user who passed the scope check — never a public media URL: only the
    extensions in ``content_types`` are served (with that type), as ``<download_name>.<extension>``, and
    no cache keeps it. A missing file is 404."""
    extension = os.path.basename(stored.name or "").rsplit(".", 1)[-1].lower()
    if extension not in content_types:
        raise Http404
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, content_type=content_types[extension], filename=f"{download_name}.{extension}"
    )
    response["Cache-Control"] = "private, no-store"
    return response


def query_without_page(request: HttpRequest) -> str:
    """The current query string minus ``page``, for pager links that keep the filters."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
