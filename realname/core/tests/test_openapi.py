from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from config.api import api as realname_api
from realname.accounts.services import create_api_token
from realname.core import synthetic
from realname.testing import World, make_company, new_id_number, rng
from realname.workers.models import Employment

pytestmark = pytest.mark.django_db

SCHEMA = realname_api.get_openapi_schema(path_prefix="/api/v1/")
# Endpoints a user token opens. The device-signed endpoints (no "security" entry: the device signs each
# request) are tested with signed junk in realname/attendance/tests/test_native_api.py and test_api_edge.py.
CREATE_PATHS = sorted(
    path for path, methods in SCHEMA["paths"].items() if "post" in methods and methods["post"].get("security")
)
DEVICE_SIGNED_PATHS = sorted(
    path
    for path, methods in SCHEMA["paths"].items()
    if "post" in methods and not methods["post"].get("security")
)


def test_only_the_device_signed_endpoints_are_open_without_a_user_token() -> None:
    # The native batch and the edge agent's command results; both fuzzed with signed junk in their tests.
    assert DEVICE_SIGNED_PATHS == [
        "/api/v1/attendance/devices/{serial}/commands/{command_id}/result",
        "/api/v1/attendance/events",
    ]


def test_the_openapi_document_lists_every_endpoint(world: World) -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for family in ("companies", "projects", "participants", "teams", "workers", "employments", "contracts"):
        assert {"get", "post"} <= set(paths[f"/api/v1/{family}"]), family
    assert "post" in paths["/api/v1/projects/{project_id}/sections"]
    assert "post" in paths["/api/v1/workers/{worker_id}/reveal"]
    assert "post" in paths["/api/v1/employments/{employment_id}/exit"]


def test_the_openapi_document_names_bearer_token_authentication(world: World) -> None:
    schemes = Client().get("/api/v1/openapi.json").json()["components"]["securitySchemes"]
    assert schemes["ApiTokenAuth"] == {"type": "http", "scheme": "bearer"}


def test_the_docs_page_renders(world: World) -> None:
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger" in page.lower()
    assert "/api/v1/openapi.json" in page


def test_the_docs_page_loads_nothing_from_a_cdn(world: World) -> None:
    page = Client().get("/api/v1/docs").content.decode()
    assert "cdn." not in page
    assert "/static/ninja/" in page


# --- never a 500 --------------------------------------------------------------------------------------------


def _body_fields(path: str) -> dict[str, Any]:
    """The properties of an endpoint's request body schema (with $ref, allOf and anyOf followed)."""
    schema = (
        SCHEMA["paths"][path]["post"].get("requestBody", {}).get("content", {}).get("application/json", {})
    )
    schema = schema.get("schema", {})
    while "allOf" in schema or "anyOf" in schema:  # an optional body is anyOf [body, null]
        schema = next(s for s in schema.get("allOf") or schema["anyOf"] if s.get("type") != "null")
    if "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return dict(schema.get("properties", {}))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _plausible(world: World) -> st.SearchStrategy[Any]:
    """Values that get past the schema and into the services: real ids, codes, dates, amounts, numbers."""
    public_ids = [
        str(o.public_id)
        for o in (
            world.p1,
            world.p2,
            world.company_a,
            world.company_b,
            world.company_c,
            world.gc_p1,
            world.sub_b,
            world.gc_p2,
            world.team_a,
            world.team_b,
            world.worker_a,
            world.worker_b,
            world.worker_c,
        )
    ]
    fixed = st.sampled_from(
        [
            *public_ids,
            "01",
            "006",
            "009",
            "010",
            "80",
            "110105",
            "Asia/Shanghai",
            "daily",
            "piece",
            "monthly",
            "2026-04-01",
            "2026-01-01",
            "1900-01-01",
            "9999-12-31",
            "0",
            "-1",
            "12.50",
            "1e9",
            "",
            new_id_number(),
            synthetic.credit_code(rng()),
            "13812345678",
            "6222021234567890128",
        ]
    )
    return fixed | st.text(max_size=80) | st.integers(min_value=-(2**70), max_value=2**70) | json_values


def _valid_body(path: str, world: World) -> dict[str, Any]:
    """A body the endpoint accepts, for mutating one field at a time (so the junk reaches the services)."""
    employment = Employment.objects.get(worker=world.worker_a)
    return {
        "/api/v1/companies": {"name": "丁公司", "credit_code": synthetic.credit_code(rng())},
        "/api/v1/projects": {"code": "PX", "name": "新项目", "category": "01", "region_code": "110105"},
        "/api/v1/projects/{project_id}/sections": {"code": "S1", "name": "一标段"},
        "/api/v1/participants": {
            "project": str(world.p1.public_id),
            "company": str(make_company("戊劳务有限公司", registered_by=world.company_a).public_id),
            "role": "006",
        },
        "/api/v1/teams": {"participant": str(world.gc_p1.public_id), "name": "新班"},
        "/api/v1/workers": {"id_number": new_id_number(), "name": "钱新"},
        "/api/v1/workers/{worker_id}/reveal": {"reason": "核对"},
        "/api/v1/employments": {
            "participant": str(world.gc_p1.public_id),
            "worker": str(world.worker_a.public_id),
            "trade": "010",
            "entry_date": "2026-03-01",
        },
        "/api/v1/employments/{employment_id}/exit": {"exit_date": "2026-06-01"},
        "/api/v1/contracts": {
            "employment": str(employment.public_id),
            "pay_type": "daily",
            "daily_rate": "300",
            "start_date": "2026-04-01",
            "end_date": "2026-05-01",
        },
    }.get(path, {})


def _path_for(path: str, world: World) -> str:
    employment = Employment.objects.get(worker=world.worker_a)
    values: dict[str, Any] = {
        "project_id": world.p1.public_id,
        "worker_id": world.worker_a.public_id,
        "employment_id": employment.public_id,
    }
    if "{correction_id}" in path:
        # A real pending request by the worker herself, so the junk reaches the approve/reject services.
        from realname.attendance.corrections import request_correction

        moment = timezone.now() - dt.timedelta(hours=2)
        correction = request_correction(
            employment=employment,
            occurred_at=moment,
            direction="02",
            reason="忘记打卡",
            requested_by=world.wendy,
        )
        values["correction_id"] = correction.public_id
    if "{entry_id}" in path:
        # A standing blacklist entry alice may take off, so the junk reaches the removal service.
        from realname.admission.services import add_to_blacklist

        entry = add_to_blacklist(
            worker=world.worker_a,
            level="project",
            project=world.p1,
            reason="测试",
            starts_on=dt.date(2026, 1, 1),
        )
        values["entry_id"] = entry.public_id
    if "{certificate_id}" in path:
        # A real certificate of alice's worker, so the junk reaches the verify and review services.
        from realname.certificates.models import CertificateType
        from realname.certificates.services import add_certificate

        certificate = add_certificate(
            worker=world.worker_a,
            type=CertificateType.objects.get(code="YJ-DG-DY"),
            number="T2026000001",
            holder_name=world.worker_a.name,
            holder_id_number=world.worker_a.id_number(),
            issuing_authority="测试发证机关",
            issue_date=dt.date(2025, 1, 1),
        )
        values["certificate_id"] = certificate.public_id
    return path.format(**values)


FUZZ = hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@pytest.mark.parametrize("path", CREATE_PATHS)
def test_junk_bodies_never_cause_a_server_error(world: World, path: str) -> None:
    client = Client(headers={"Authorization": f"Bearer {create_api_token(user=world.alice).text}"})
    url = _path_for(path, world)
    fields = _body_fields(path)
    plausible = _plausible(world)
    valid = _valid_body(path, world)
    assert fields, f"no request body schema found for {path}"
    mutated = st.dictionaries(st.sampled_from(sorted(fields)), plausible, max_size=2).map(
        lambda d: {**valid, **d}
    )
    bodies = (
        mutated
        | st.fixed_dictionaries({}, optional=dict.fromkeys(fields, plausible))
        | json_values.map(json.dumps)
        | st.binary(max_size=60)
    )

    @FUZZ
    @given(body=bodies)
    def post_junk(body: Any) -> None:
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        response = client.post(url, data, content_type="application/json")
        assert response.status_code in {200, 201, 403, 404, 422}, (
            response.status_code,
            body,
            response.content,
        )

    post_junk()
