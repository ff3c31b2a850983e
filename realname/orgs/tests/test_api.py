from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from realname.accounts.models import User
from realname.accounts.services import create_api_token
from realname.core import synthetic
from realname.core.models import AuditEntry
from realname.orgs import services
from realname.orgs.models import Company, Participant, Project, Team
from realname.testing import World, make_company, make_project, make_worker, rng

pytestmark = pytest.mark.django_db

NIL = "00000000-0000-0000-0000-000000000000"


def api(user: User) -> Client:
    return Client(headers={"Authorization": f"Bearer {create_api_token(user=user).text}"})


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, body, content_type="application/json")


def ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


P1_OBJECT_PATHS = [
    "company_a",
    "company_b",
    "p1",
    "gc_p1",
    "sub_b",
    "team_a",
    "team_b",
]
ENDPOINT = {
    "company_a": "companies",
    "company_b": "companies",
    "p1": "projects",
    "gc_p1": "participants",
    "sub_b": "participants",
    "team_a": "teams",
    "team_b": "teams",
}


# --- reading ------------------------------------------------------------------------------------------------


def test_alice_lists_the_companies_projects_participants_and_teams_of_p1(world: World) -> None:
    client = api(world.alice)
    assert ids(client.get("/api/v1/companies")) == {
        str(world.company_a.public_id),
        str(world.company_b.public_id),
    }
    assert ids(client.get("/api/v1/projects")) == {str(world.p1.public_id)}
    assert ids(client.get("/api/v1/participants")) == {str(world.gc_p1.public_id), str(world.sub_b.public_id)}
    assert ids(client.get("/api/v1/teams")) == {str(world.team_a.public_id), str(world.team_b.public_id)}


def test_a_project_is_read_with_its_general_contractor_and_sections(world: World) -> None:
    client = api(world.alice)
    post(client, f"/api/v1/projects/{world.p1.public_id}/sections", {"code": "S1", "name": "一标段"})
    body = client.get(f"/api/v1/projects/{world.p1.public_id}").json()
    assert body["code"] == "P1"
    assert body["general_contractor"] == {
        "id": str(world.company_a.public_id),
        "name": world.company_a.name,
        "credit_code": world.company_a.credit_code,
    }
    assert [s["code"] for s in body["sections"]] == ["S1"]
    assert body["start_date"] == "2026-01-01"
    assert "pk" not in body and body["id"] == str(world.p1.public_id)


def test_related_objects_are_named_by_public_id(world: World) -> None:
    body = api(world.alice).get(f"/api/v1/teams/{world.team_b.public_id}").json()
    assert body["project"] == {"id": str(world.p1.public_id), "code": "P1", "name": world.p1.name}
    assert body["participant"]["id"] == str(world.sub_b.public_id)
    assert body["participant"]["company"]["name"] == world.company_b.name


def test_projects_are_filtered_by_text_status_and_region(world: World) -> None:
    client = api(world.admin)
    assert ids(client.get("/api/v1/projects?q=p2")) == {str(world.p2.public_id)}
    assert ids(client.get("/api/v1/projects?region_prefix=4401")) == {str(world.p2.public_id)}
    assert ids(client.get("/api/v1/projects?status=003")) == {
        str(world.p1.public_id),
        str(world.p2.public_id),
    }
    assert ids(client.get("/api/v1/projects?status=001")) == set()


def test_participants_and_teams_are_filtered_by_project_and_participant(world: World) -> None:
    client = api(world.admin)
    assert ids(client.get(f"/api/v1/participants?project={world.p2.public_id}")) == {
        str(world.gc_p2.public_id)
    }
    assert ids(
        client.get(f"/api/v1/teams?project={world.p1.public_id}&participant={world.sub_b.public_id}")
    ) == {str(world.team_b.public_id)}


def test_lists_are_paged_with_a_limit_of_at_most_500(world: World) -> None:
    client = api(world.admin)
    first = client.get("/api/v1/companies?limit=1").json()
    second = client.get("/api/v1/companies?limit=1&offset=1").json()
    assert first["count"] == second["count"] == 3
    assert len(first["items"]) == 1 and first["items"] != second["items"]
    assert client.get("/api/v1/companies?limit=501").status_code == 422
    assert client.get("/api/v1/companies?offset=-1").status_code == 422


@pytest.mark.parametrize("name", P1_OBJECT_PATHS)
def test_charlie_gets_404_for_every_p1_object(world: World, name: str) -> None:
    obj = getattr(world, name)
    response = api(world.charlie).get(f"/api/v1/{ENDPOINT[name]}/{obj.public_id}")
    assert response.status_code == 404
    assert response.json() == {"detail": "未找到"}


@pytest.mark.parametrize("endpoint", ["companies", "projects", "participants", "teams"])
def test_charlie_sees_nothing_of_p1_in_lists(world: World, endpoint: str) -> None:
    p1 = {str(getattr(world, name).public_id) for name in P1_OBJECT_PATHS}
    seen = ids(api(world.charlie).get(f"/api/v1/{endpoint}"))
    assert seen, "charlie sees his own P2 data"
    assert not seen & p1


def test_charlie_cannot_add_a_section_to_p1(world: World) -> None:
    response = post(
        api(world.charlie), f"/api/v1/projects/{world.p1.public_id}/sections", {"code": "X", "name": "X"}
    )
    assert response.status_code == 404
    assert not world.p1.sections.exists()


def test_a_missing_object_is_404_like_a_forbidden_one(world: World) -> None:
    client = api(world.alice)
    assert client.get("/api/v1/projects/00000000-0000-0000-0000-000000000000").status_code == 404


@pytest.mark.parametrize("bad", ["not-a-uuid", "123", "%20", "' OR 1=1 --"])
def test_a_malformed_id_in_the_path_is_404(world: World, bad: str) -> None:
    assert api(world.alice).get(f"/api/v1/projects/{bad}").status_code == 404


def test_a_malformed_id_in_a_filter_is_422(world: World) -> None:
    assert api(world.alice).get("/api/v1/teams?project=nope").status_code == 422


def test_bob_sees_only_his_own_team_but_every_participant_of_p1(world: World) -> None:
    client = api(world.bob)
    assert ids(client.get("/api/v1/teams")) == {str(world.team_b.public_id)}
    assert client.get(f"/api/v1/teams/{world.team_a.public_id}").status_code == 404
    assert len(ids(client.get("/api/v1/participants"))) == 2


def test_reggie_reads_projects_of_his_region(world: World) -> None:
    assert ids(api(world.reggie).get("/api/v1/projects")) == {str(world.p1.public_id)}


# --- writing ------------------------------------------------------------------------------------------------


def company_body(name: str = "丁劳务有限公司") -> dict[str, Any]:
    return {"name": name, "credit_code": synthetic.credit_code(rng()), "region_code": "110105"}


def test_alice_registers_a_company_that_she_can_then_read(world: World) -> None:
    client = api(world.alice)
    response = post(client, "/api/v1/companies", company_body())
    assert response.status_code == 201, response.content
    company = Company.objects.get(public_id=response.json()["id"])
    assert company.registered_by == world.company_a
    assert client.get(f"/api/v1/companies/{company.public_id}").status_code == 200
    assert api(world.charlie).get(f"/api/v1/companies/{company.public_id}").status_code == 404


def test_a_bad_credit_code_is_a_field_error(world: World) -> None:
    response = post(
        api(world.alice), "/api/v1/companies", {"name": "坏公司", "credit_code": "91110105000000000X"}
    )
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "credit_code"]
    assert "统一社会信用代码" in error["msg"]


def test_a_duplicate_credit_code_is_a_422(world: World) -> None:
    response = post(
        api(world.alice), "/api/v1/companies", {"name": "重复", "credit_code": world.company_b.credit_code}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "credit_code"]


def test_alice_creates_a_project_with_her_company_as_general_contractor(world: World) -> None:
    client = api(world.alice)
    body = {
        "code": "P9",
        "name": "新项目",
        "category": "01",
        "region_code": "110105",
        "start_date": "2026-05-01",
    }
    response = post(client, "/api/v1/projects", body)
    assert response.status_code == 201, response.content
    assert response.json()["general_contractor"]["id"] == str(world.company_a.public_id)
    project = Project.objects.get(code="P9")
    assert Participant.objects.get(project=project, role="009").company == world.company_a
    assert AuditEntry.objects.filter(object_type="orgs.Project", object_id=str(project.public_id)).exists()


def test_alice_cannot_name_another_company_as_general_contractor(world: World) -> None:
    body = {"code": "P9", "name": "新项目", "category": "01", "region_code": "110105"}
    body["general_contractor"] = str(world.company_c.public_id)
    response = post(api(world.alice), "/api/v1/projects", body)
    assert response.status_code == 422
    assert response.json()["detail"] == [{"loc": ["body", "general_contractor"], "msg": "不存在或无权限"}]
    assert not Project.objects.filter(code="P9").exists()


def test_the_platform_admin_must_name_the_general_contractor(world: World) -> None:
    client = api(world.admin)
    body: dict[str, Any] = {"code": "P9", "name": "新项目", "category": "01", "region_code": "440103"}
    assert post(client, "/api/v1/projects", body).status_code == 422
    body["general_contractor"] = str(world.company_c.public_id)
    response = post(client, "/api/v1/projects", body)
    assert response.status_code == 201
    assert response.json()["general_contractor"]["name"] == world.company_c.name


def test_project_field_errors_are_reported_per_field(world: World) -> None:
    body = {"code": "P9", "name": "新项目", "category": "ZZ", "region_code": "12", "time_zone": "Mars/Base"}
    response = post(api(world.alice), "/api/v1/projects", body)
    assert response.status_code == 422
    fields = {tuple(e["loc"]) for e in response.json()["detail"]}
    assert {("body", "category"), ("body", "region_code"), ("body", "time_zone")} <= fields


def test_alice_adds_a_subcontractor_to_p1(world: World) -> None:
    client = api(world.alice)
    company = post(client, "/api/v1/companies", company_body()).json()
    body = {
        "project": str(world.p1.public_id),
        "company": company["id"],
        "role": "006",
        "manager_name": "赵经理",
    }
    response = post(client, "/api/v1/participants", body)
    assert response.status_code == 201, response.content
    assert response.json()["role_name"]
    assert response.json()["company"]["id"] == company["id"]


def test_a_company_cannot_join_a_project_twice(world: World) -> None:
    body = {"project": str(world.p1.public_id), "company": str(world.company_b.public_id), "role": "006"}
    response = post(api(world.alice), "/api/v1/participants", body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "company"]


def test_charlie_cannot_add_a_participant_to_p1(world: World) -> None:
    body = {"project": str(world.p1.public_id), "company": str(world.company_c.public_id), "role": "006"}
    response = post(api(world.charlie), "/api/v1/participants", body)
    assert response.status_code == 422
    assert response.json()["detail"] == [{"loc": ["body", "project"], "msg": "不存在或无权限"}]
    assert not Participant.objects.filter(project=world.p1, company=world.company_c).exists()


def test_bob_creates_a_team_under_his_own_participation(world: World) -> None:
    response = post(
        api(world.bob), "/api/v1/teams", {"participant": str(world.sub_b.public_id), "name": "乙瓦工班"}
    )
    assert response.status_code == 201, response.content
    assert Team.objects.get(public_id=response.json()["id"]).participant == world.sub_b


def test_bob_cannot_create_a_team_under_the_general_contractor(world: World) -> None:
    response = post(
        api(world.bob), "/api/v1/teams", {"participant": str(world.gc_p1.public_id), "name": "冒名班"}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [{"loc": ["body", "participant"], "msg": "不存在或无权限"}]
    assert not Team.objects.filter(name="冒名班").exists()


def test_a_team_leader_must_be_on_site(world: World) -> None:
    off_site = make_worker("赵未进场", registered_by_company=world.company_a)
    body = {"participant": str(world.gc_p1.public_id), "name": "新班", "leader": str(off_site.public_id)}
    response = post(api(world.alice), "/api/v1/teams", body)
    assert response.status_code == 422
    assert response.json()["detail"] == [{"loc": ["body", "leader"], "msg": "班组长必须是本项目在场的工人"}]


def test_a_team_leader_out_of_scope_is_not_found(world: World) -> None:
    body = {
        "participant": str(world.gc_p1.public_id),
        "name": "新班",
        "leader": str(world.worker_c.public_id),
    }
    response = post(api(world.alice), "/api/v1/teams", body)
    assert response.json()["detail"] == [{"loc": ["body", "leader"], "msg": "不存在或无权限"}]


def test_a_team_is_created_with_its_leader(world: World) -> None:
    body = {
        "participant": str(world.gc_p1.public_id),
        "name": "新班",
        "leader": str(world.worker_a.public_id),
    }
    response = post(api(world.alice), "/api/v1/teams", body)
    assert response.status_code == 201, response.content
    assert response.json()["leader"] == {"id": str(world.worker_a.public_id), "name": "张甲"}


def test_a_duplicate_team_name_on_a_project_is_a_422(world: World) -> None:
    body = {"participant": str(world.gc_p1.public_id), "name": world.team_b.name}
    assert post(api(world.alice), "/api/v1/teams", body).status_code == 422


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/companies", {"name": "x", "credit_code": "x"}),
        ("/api/v1/projects", {"code": "X", "name": "x", "category": "01", "region_code": "110105"}),
        ("/api/v1/participants", {"project": NIL, "company": NIL, "role": "006"}),
        ("/api/v1/teams", {"participant": NIL, "name": "x"}),
        ("/api/v1/projects/{p1}/sections", {"code": "S", "name": "x"}),
    ],
)
def test_reggie_reads_but_may_not_write(world: World, path: str, body: dict[str, Any]) -> None:
    client = api(world.reggie)
    response = post(client, path.format(p1=world.p1.public_id), body)
    assert response.status_code == 403
    assert client.get(f"/api/v1/projects/{world.p1.public_id}").status_code == 200


# --- bad input ----------------------------------------------------------------------------------------------


def test_malformed_json_is_a_422(world: World) -> None:
    response = api(world.alice).post("/api/v1/companies", "{not json", content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]


def test_missing_fields_are_reported_by_name(world: World) -> None:
    response = post(api(world.alice), "/api/v1/projects", {"name": "缺编码"})
    assert response.status_code == 422
    missing = {e["loc"][-1] for e in response.json()["detail"]}
    assert {"code", "category", "region_code"} <= missing
    assert all(e["loc"][0] == "body" for e in response.json()["detail"])


def test_wrong_types_and_unknown_fields_are_422(world: World) -> None:
    client = api(world.alice)
    wrong = {"code": "P9", "name": "x", "category": "01", "region_code": "110105", "start_date": "tomorrow"}
    assert post(client, "/api/v1/projects", wrong).status_code == 422
    extra = {"name": "x", "credit_code": synthetic.credit_code(rng()), "is_admin": True}
    response = post(client, "/api/v1/companies", extra)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "is_admin"]


def test_a_nul_character_is_refused_in_filters_and_bodies(world: World) -> None:
    client = api(world.alice)
    response = client.get("/api/v1/projects?q=P%00")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "q"]
    response = post(
        client, "/api/v1/companies", {"name": "a\x00b", "credit_code": synthetic.credit_code(rng())}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "name"]


@pytest.mark.parametrize("endpoint", ["companies", "projects", "participants", "teams"])
def test_a_list_costs_the_same_queries_however_many_rows(world: World, endpoint: str) -> None:
    client = api(world.admin)
    client.get(f"/api/v1/{endpoint}")  # the token's first use writes last_used_at once
    with CaptureQueriesContext(connection) as few:
        client.get(f"/api/v1/{endpoint}")
    for n in range(4):
        project = make_project(f"Q{n}", make_company(f"新公司{n}"))
        services.create_team(participant=project.participants.get(), name=f"新班{n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(f"/api/v1/{endpoint}")
    assert response.json()["count"] >= 4
    assert len(many) == len(few)
