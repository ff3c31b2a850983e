"""The HTTP API (django-ninja): one OpenAPI document at /api/v1/openapi.json, docs at /api/v1/docs."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from realname.accounts.api_auth import ApiTokenAuth, SessionAuth
from realname.admission.api import router as admission_router
from realname.attendance.api import router as attendance_router
from realname.attendance.api_corrections import router as corrections_router
from realname.attendance.api_edge import router as attendance_edge_router
from realname.certificates.api import router as certificates_router
from realname.core.api_errors import install_error_handlers
from realname.ledger.api import router as ledger_router
from realname.notifications.api import router as notifications_router
from realname.orgs.api import router as orgs_router
from realname.payroll.api import router as payroll_router
from realname.training.api import router as training_router
from realname.workers.api import router as workers_router


class Utf8JSONRenderer(JSONRenderer):
    """Chinese text as UTF-8 rather than \\u escapes: readable in logs, curl and the docs page."""

    json_dumps_params: dict[str, Any] = {"ensure_ascii": False}


api = NinjaAPI(
    title="Realname API",
    version="1",
    description=(
        "建筑工人实名制管理平台开放接口。\n\n"
        "认证：`Authorization: Bearer <token>`（令牌由 `manage.py create_api_token USERNAME` 签发）；"
        "已登录的浏览器也可用会话调用（写操作需 CSRF 令牌）。\n\n"
        "对象以 `id`（UUID）标识；超出权限范围的对象与不存在的对象一样返回 404。"
        '校验错误返回 422：`{"detail": [{"loc": ["body", 字段], "msg": 说明}]}`。'
        "列表分页：`limit`（最多 500）与 `offset`。日期为 ISO 8601 字符串，金额为字符串形式的十进制数。"
    ),
    auth=[ApiTokenAuth(), SessionAuth()],
    renderer=Utf8JSONRenderer(),
    urls_namespace="api",
)
install_error_handlers(api)

api.add_router("/", orgs_router)
api.add_router("/", workers_router)
api.add_router("/ledger", ledger_router)
api.add_router("/notifications", notifications_router)
api.add_router("/attendance", attendance_router)
api.add_router("/attendance", corrections_router)
api.add_router("/attendance", attendance_edge_router)  # the edge agent's command queue (device-signed)
api.add_router("/training", training_router)
api.add_router("/certificates", certificates_router)
api.add_router("/", admission_router)  # /projects/{code}/admission/…, /blacklist
api.add_router("/payroll", payroll_router)
