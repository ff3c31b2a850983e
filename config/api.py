"""The HTTP API (django-ninja): one OpenAPI document at /api/v1/openapi.json, docs at /api/v1/docs."""

from __future__ import annotations

from ninja import NinjaAPI

from realname.accounts.api_auth import ApiTokenAuth, SessionAuth
from realname.core.api_errors import install_error_handlers

api = NinjaAPI(
    title="Realname API",
    version="1",
    description=(
        "建筑工人实名制管理平台开放接口。"
        "认证：`Authorization: Bearer <token>`（`manage.py create_api_token`）。"
    ),
    auth=[ApiTokenAuth(), SessionAuth()],
    urls_namespace="api",
)
install_error_handlers(api)

from realname.orgs.api import router as orgs_router  # noqa: E402
from realname.workers.api import router as workers_router  # noqa: E402

api.add_router("/", orgs_router)
api.add_router("/", workers_router)
