"""The organisation pages: companies, projects, sections, participants and teams, for every persona."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from realname.core import synthetic
from realname.orgs import services
from realname.orgs.models import Company, Participant, Project, Section, Team
from realname.orgs.urls import urlpatterns
from realname.testing import World, employ, make_company, make_project, make_worker, rng

pytestmark = pytest.mark.django_db


def as_user(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def good_credit_code() -> str:
    return synthetic.credit_code(rng(), region="110105")


def bad_check_digit(code: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    return code[:-1] + alphabet[(alphabet.index(code[-1]) + 1) % len(alphabet)]


def project_fields(**overrides: Any) -> dict[str, Any]:
    fields = {
        "code": "P9",
        "name": "九号楼",
        "category": "01",
        "status": "003",
        "region_code": "110105",
        "address": "北京市朝阳区",
        "time_zone": "Asia/Shanghai",
        "start_date": "2026-02-01",
        "end_date": "",
        "fence_lat": "",
        "fence_lng": "",
        "fence_radius_m": "",
        "fence_polygon_text": "",
        "wage_bank_code": "",
        "wage_account_name": "",
        "wage_account_number": "",
        "wage_bank_branch": "",
    }
    fields.update(overrides)
    return fields


def p1_fields(world: World, **overrides: Any) -> dict[str, Any]:
    return project_fields(**{"code": "P1", "name": world.p1.name, "start_date": "2026-01-01", **overrides})


def section_of(world: World) -> Section:
    return services.add_section(project=world.p1, code="S1", name="一标段")


# --- every page needs a login, and charlie sees nothing of P1 ----------------------------------------------

# Each orgs page that addresses an object, with the P1-side object it is asked about.
P1_PAGES: dict[str, tuple[str, str]] = {
    "company_detail": ("company", "company_a"),
    "company_edit": ("company", "company_a"),
    "project_detail": ("project", "p1"),
    "project_edit": ("project", "p1"),
    "section_create": ("project", "p1"),
    "section_edit": ("section", "section"),
    "participant_create": ("project", "p1"),
    "participant_edit": ("participant", "sub_b"),
    "team_create": ("project", "p1"),
    "team_detail": ("team", "team_a"),
    "team_edit": ("team", "team_b"),
}
LIST_PAGES = ["company_list", "company_create", "project_list", "project_create", "team_list"]


def p1_url(world: World, name: str) -> str:
    kwarg, attr = P1_PAGES[name]
    obj = section_of(world) if attr == "section" else getattr(world, attr)
    return reverse(f"orgs:{name}", kwargs={kwarg: obj.public_id})


def test_every_orgs_page_is_covered_by_the_scope_tests() -> None:
    assert {p.name for p in urlpatterns} == set(P1_PAGES) | set(LIST_PAGES)


@pytest.mark.parametrize("name", sorted(P1_PAGES))
def test_charlie_gets_404_on_every_p1_page(client: Client, world: World, name: str) -> None:
    url = p1_url(world, name)
    as_user(client, world.charlie)
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "x", "code": "x"}).status_code == 404


@pytest.mark.parametrize("name", sorted(P1_PAGES))
def test_anonymous_users_are_sent_to_login_from_object_pages(client: Client, world: World, name: str) -> None:
    response = client.get(p1_url(world, name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", LIST_PAGES)
def test_anonymous_users_are_sent_to_login_from_list_pages(client: Client, name: str) -> None:
    response = client.get(reverse(f"orgs:{name}"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_charlies_lists_show_nothing_of_p1(client: Client, world: World) -> None:
    as_user(client, world.charlie)
    projects = client.get(reverse("orgs:project_list")).content.decode()
    companies = client.get(reverse("orgs:company_list")).content.decode()
    teams = client.get(reverse("orgs:team_list")).content.decode()
    assert "P2" in projects and "项目P1" not in projects
    assert world.company_c.name in companies
    assert world.company_a.name not in companies and world.company_b.name not in companies
    assert world.team_c.name in teams and world.team_a.name not in teams and world.team_b.name not in teams


def test_charlie_cannot_filter_the_team_list_by_p1(client: Client, world: World) -> None:
    as_user(client, world.charlie)
    response = client.get(reverse("orgs:team_list"), {"project": str(world.p1.public_id)})
    assert response.status_code == 200
    assert world.team_a.name not in response.content.decode()
    assert world.team_c.name not in response.content.decode()


# --- alice runs the general contractor on P1 ---------------------------------------------------------------


def test_alice_lists_her_projects_with_search_and_filters(client: Client, world: World) -> None:
    make_project("Q7", world.company_a, status="005", category="02", region_code="310101")
    as_user(client, world.alice)
    url = reverse("orgs:project_list")
    everything = client.get(url).content.decode()
    # "项目P2" (the name), not a bare "P2": the page's random CSRF token may contain those two characters
    assert "项目P1" in everything and "Q7" in everything and "项目P2" not in everything
    assert str(world.p2.public_id) not in everything
    assert world.company_a.name in everything  # the general contractor column
    assert "Q7" not in client.get(url, {"q": "P1"}).content.decode()
    assert "项目P1" not in client.get(url, {"status": "005"}).content.decode()
    assert "项目P1" not in client.get(url, {"category": "02"}).content.decode()
    by_region = client.get(url, {"region": "3101"}).content.decode()
    assert "Q7" in by_region and "项目P1" not in by_region


def test_alice_creates_a_project_whose_general_contractor_is_her_company(
    client: Client, world: World
) -> None:
    as_user(client, world.alice)
    form = client.get(reverse("orgs:project_create"))
    assert form.status_code == 200
    response = client.post(reverse("orgs:project_create"), project_fields())
    project = Project.objects.get(code="P9")
    assert response.status_code == 302
    assert response["Location"] == reverse("orgs:project_detail", kwargs={"project": project.public_id})
    assert project.time_zone == "Asia/Shanghai"
    assert Participant.objects.get(project=project, role="009").company == world.company_a


def test_a_platform_admin_chooses_the_general_contractor(client: Client, world: World) -> None:
    as_user(client, world.admin)
    data = project_fields(general_contractor=str(world.company_c.public_id))
    assert client.post(reverse("orgs:project_create"), data).status_code == 302
    assert Participant.objects.get(project__code="P9", role="009").company == world.company_c


def test_alice_edits_her_project_and_its_wage_account(client: Client, world: World) -> None:
    as_user(client, world.alice)
    url = reverse("orgs:project_edit", kwargs={"project": world.p1.public_id})
    assert client.get(url).status_code == 200
    data = p1_fields(
        world,
        name="一号工程",
        wage_bank_code="102",
        wage_account_name="甲建设集团有限公司农民工工资专用账户",
        wage_account_number="0200 0012 3456 789",
        wage_bank_branch="朝阳支行",
    )
    assert client.post(url, data).status_code == 302
    world.p1.refresh_from_db()
    assert world.p1.name == "一号工程"
    assert world.p1.wage_account_number == "020000123456789"
    page = client.get(reverse("orgs:project_detail", kwargs={"project": world.p1.public_id})).content.decode()
    assert "朝阳支行" in page and "020000123456789" in page


def test_project_dates_out_of_order_are_an_error_on_the_end_date(client: Client, world: World) -> None:
    as_user(client, world.alice)
    url = reverse("orgs:project_edit", kwargs={"project": world.p1.public_id})
    response = client.post(url, p1_fields(world, end_date="2025-01-01"))
    assert response.status_code == 200
    assert "竣工日期不能早于开工日期" in str(response.context["form"].errors["end_date"])


def test_a_service_error_lands_on_its_field(client: Client, world: World) -> None:
    as_user(client, world.alice)
    response = client.post(reverse("orgs:project_create"), project_fields(region_code="12345"))
    assert response.status_code == 200
    assert "行政区划代码应为6位数字" in str(response.context["form"].errors["region_code"])
    assert not Project.objects.filter(code="P9").exists()


def test_alice_adds_and_edits_a_section_from_the_project_page(client: Client, world: World) -> None:
    as_user(client, world.alice)
    detail = reverse("orgs:project_detail", kwargs={"project": world.p1.public_id})
    create = reverse("orgs:section_create", kwargs={"project": world.p1.public_id})
    assert create in client.get(detail).content.decode()  # the inline form posts there
    assert client.post(create, {"code": "S1", "name": "一标段"})["Location"] == detail
    section = Section.objects.get(project=world.p1, code="S1")
    duplicate = client.post(create, {"code": "S1", "name": "重复"})
    assert duplicate.status_code == 200 and duplicate.context["form"].errors
    edit = reverse("orgs:section_edit", kwargs={"section": section.public_id})
    assert client.post(edit, {"code": "S1", "name": "一标段（主体）"}).status_code == 302
    section.refresh_from_db()
    assert section.name == "一标段（主体）"
    assert "一标段（主体）" in client.get(detail).content.decode()


def test_alice_adds_an_existing_company_as_participant(client: Client, world: World) -> None:
    other = make_company("丁机电安装有限公司", registered_by=world.company_a)
    as_user(client, world.alice)
    url = reverse("orgs:participant_create", kwargs={"project": world.p1.public_id})
    form = client.get(url).content.decode()
    assert other.name in form and world.company_c.name not in form
    data = {
        "company": str(other.public_id),
        "role": "001",
        "entry_date": "2026-04-01",
        "manager_name": "周工",
    }
    assert client.post(url, data).status_code == 302
    participant = Participant.objects.get(project=world.p1, company=other)
    assert participant.role == "001" and participant.manager_name == "周工"


def test_alice_cannot_add_a_company_she_cannot_see(client: Client, world: World) -> None:
    as_user(client, world.alice)
    url = reverse("orgs:participant_create", kwargs={"project": world.p1.public_id})
    response = client.post(url, {"company": str(world.company_c.public_id), "role": "001"})
    assert response.status_code == 200 and "company" in response.context["form"].errors
    assert not Participant.objects.filter(project=world.p1, company=world.company_c).exists()


def test_alice_adds_a_new_company_inline_as_participant(client: Client, world: World) -> None:
    as_user(client, world.alice)
    code = good_credit_code()
    url = reverse("orgs:participant_create", kwargs={"project": world.p1.public_id})
    data = {"new_company_name": "戊幕墙工程有限公司", "new_company_credit_code": code, "role": "001"}
    assert client.post(url, data).status_code == 302
    company = Company.objects.get(credit_code=code)
    assert company.registered_by == world.company_a
    assert Participant.objects.filter(project=world.p1, company=company, role="001").exists()


def test_a_bad_new_company_credit_code_is_shown_on_its_field_and_nothing_is_kept(
    client: Client, world: World
) -> None:
    as_user(client, world.alice)
    url = reverse("orgs:participant_create", kwargs={"project": world.p1.public_id})
    data = {
        "new_company_name": "己公司",
        "new_company_credit_code": bad_check_digit(good_credit_code()),
        "role": "001",
    }
    response = client.post(url, data)
    assert "校验位错误" in str(response.context["form"].errors["new_company_credit_code"])
    assert not Company.objects.filter(name="己公司").exists()


def test_a_second_general_contractor_is_refused_on_the_role_field(client: Client, world: World) -> None:
    as_user(client, world.alice)
    url = reverse("orgs:participant_create", kwargs={"project": world.p1.public_id})
    data = {"new_company_name": "庚公司", "new_company_credit_code": good_credit_code(), "role": "009"}
    response = client.post(url, data)
    assert "本项目已有总承包单位" in str(response.context["form"].errors["role"])
    assert not Company.objects.filter(name="庚公司").exists()  # the inline company rolled back with it


def test_alice_edits_a_participant(client: Client, world: World) -> None:
    section = section_of(world)
    as_user(client, world.alice)
    url = reverse("orgs:participant_edit", kwargs={"participant": world.sub_b.public_id})
    data = {
        "role": "006",
        "section": str(section.public_id),
        "entry_date": "2026-03-01",
        "manager_phone": "13800000000",
    }
    assert client.post(url, data).status_code == 302
    world.sub_b.refresh_from_db()
    assert world.sub_b.section == section and world.sub_b.manager_phone == "13800000000"
    assert client.post(url, {**data, "exit_date": "2026-02-01"}).context["form"].errors["exit_date"]


def test_making_a_second_participant_general_contractor_is_an_error_on_the_role(
    client: Client, world: World
) -> None:
    as_user(client, world.alice)
    url = reverse("orgs:participant_edit", kwargs={"participant": world.sub_b.public_id})
    response = client.post(url, {"role": "009"})
    assert "本项目已有总承包单位" in str(response.context["form"].errors["role"])
    world.sub_b.refresh_from_db()
    assert world.sub_b.role == "006"


def test_the_project_page_counts_active_employments_per_participant(client: Client, world: World) -> None:
    employ(make_worker(registered_by_company=world.company_b), world.sub_b)
    as_user(client, world.alice)
    response = client.get(reverse("orgs:project_detail", kwargs={"project": world.p1.public_id}))
    counts = {p.company_id: p.headcount for p in response.context["participants"]}
    assert counts == {world.company_a.pk: 1, world.company_b.pk: 2}


def test_alice_creates_a_team_led_by_a_worker_on_the_project(client: Client, world: World) -> None:
    as_user(client, world.alice)
    url = reverse("orgs:team_create", kwargs={"project": world.p1.public_id})
    form = client.get(url).content.decode()
    assert f"{world.worker_a.name}（{world.worker_a.id_number_masked}）" in form
    assert world.worker_c.name not in form  # not on P1
    data = {
        "participant": str(world.gc_p1.public_id),
        "name": "甲瓦工班",
        "leader": str(world.worker_a.public_id),
    }
    response = client.post(url, data)
    team = Team.objects.get(project=world.p1, name="甲瓦工班")
    assert response["Location"] == reverse("orgs:team_detail", kwargs={"team": team.public_id})
    assert team.leader == world.worker_a and team.participant == world.gc_p1


def test_a_team_leader_must_be_employed_on_the_project(client: Client, world: World) -> None:
    as_user(client, world.admin)
    url = reverse("orgs:team_create", kwargs={"project": world.p1.public_id})
    data = {
        "participant": str(world.gc_p1.public_id),
        "name": "甲瓦工班",
        "leader": str(world.worker_c.public_id),
    }
    response = client.post(url, data)
    assert response.status_code == 200 and "leader" in response.context["form"].errors
    assert not Team.objects.filter(name="甲瓦工班").exists()


def test_a_duplicate_team_name_is_an_error_not_a_crash(client: Client, world: World) -> None:
    as_user(client, world.alice)
    url = reverse("orgs:team_create", kwargs={"project": world.p1.public_id})
    response = client.post(url, {"participant": str(world.gc_p1.public_id), "name": world.team_a.name})
    assert response.status_code == 200 and response.context["form"].errors


def test_alice_edits_a_team(client: Client, world: World) -> None:
    as_user(client, world.alice)
    url = reverse("orgs:team_edit", kwargs={"team": world.team_b.public_id})
    data = {
        "participant": str(world.sub_b.public_id),
        "name": "乙木工一班",
        "leader": str(world.worker_b.public_id),
    }
    assert client.post(url, data).status_code == 302
    world.team_b.refresh_from_db()
    assert world.team_b.name == "乙木工一班" and world.team_b.leader == world.worker_b


def test_the_team_page_lists_members_with_masked_ids_only(client: Client, world: World) -> None:
    as_user(client, world.alice)
    page = client.get(reverse("orgs:team_detail", kwargs={"team": world.team_a.public_id})).content.decode()
    assert world.worker_a.name in page and world.worker_a.id_number_masked in page
    assert world.worker_a.id_number() not in page


def test_the_team_list_filters_by_project_participant_and_text(client: Client, world: World) -> None:
    as_user(client, world.alice)
    url = reverse("orgs:team_list")
    by_participant = client.get(
        url, {"project": str(world.p1.public_id), "participant": str(world.sub_b.public_id)}
    )
    assert world.team_b.name in by_participant.content.decode()
    assert world.team_a.name not in by_participant.content.decode()
    by_text = client.get(url, {"q": "钢筋"}).content.decode()
    assert world.team_a.name in by_text and world.team_b.name not in by_text


def test_alice_sees_a_company_with_its_participations(client: Client, world: World) -> None:
    as_user(client, world.alice)
    page = client.get(reverse("orgs:company_detail", kwargs={"company": world.company_b.public_id}))
    assert page.status_code == 200
    assert [p.project for p in page.context["participations"]] == [world.p1]
    assert (
        reverse("orgs:company_edit", kwargs={"company": world.company_b.public_id}) in page.content.decode()
    )


def test_alice_registers_and_edits_a_company(client: Client, world: World) -> None:
    as_user(client, world.alice)
    code = good_credit_code()
    data = {
        "name": "辛建材有限公司",
        "credit_code": code.lower(),
        "registration_type": "173",
        "region_code": "110105",
    }
    response = client.post(reverse("orgs:company_create"), data)
    company = Company.objects.get(credit_code=code)
    assert response["Location"] == reverse("orgs:company_detail", kwargs={"company": company.public_id})
    assert company.registered_by == world.company_a
    edit = reverse("orgs:company_edit", kwargs={"company": company.public_id})
    assert client.post(edit, {**data, "credit_code": code, "contact_name": "钱经理"}).status_code == 302
    company.refresh_from_db()
    assert company.contact_name == "钱经理"
    assert company.name in client.get(reverse("orgs:company_list"), {"q": "辛建材"}).content.decode()
    assert company.name in client.get(reverse("orgs:company_list"), {"q": code}).content.decode()


def test_a_bad_credit_code_shows_the_chinese_message_on_the_field(client: Client, world: World) -> None:
    as_user(client, world.alice)
    data = {"name": "壬公司", "credit_code": bad_check_digit(good_credit_code())}
    response = client.post(reverse("orgs:company_create"), data)
    assert response.status_code == 200
    assert "统一社会信用代码校验位错误" in str(response.context["form"].errors["credit_code"])
    assert "校验位错误" in response.content.decode()
    assert not Company.objects.filter(name="壬公司").exists()


# --- geofence ----------------------------------------------------------------------------------------------


def test_alice_sets_a_polygon_geofence(client: Client, world: World) -> None:
    as_user(client, world.alice)
    url = reverse("orgs:project_edit", kwargs={"project": world.p1.public_id})
    polygon = "39.9087,116.3975\n39.9090，116.4010\n 39.9060 , 116.4000 \n39.9087,116.3975"
    assert client.post(url, p1_fields(world, fence_polygon_text=polygon)).status_code == 302
    world.p1.refresh_from_db()
    assert world.p1.fence_polygon == [[39.9087, 116.3975], [39.909, 116.401], [39.906, 116.4]]
    page = client.get(reverse("orgs:project_detail", kwargs={"project": world.p1.public_id})).content.decode()
    assert "<polygon" in page
    assert "39.909,116.401" in client.get(url).content.decode()  # the form shows the points again


@pytest.mark.parametrize(
    ("polygon", "message"),
    [
        ("39.9,116.3\n39.91,116.31", "至少需要 3 个不同的点"),
        ("39.9,116.3\n39.91\n39.92,116.2", "第 2 行"),
        ("39.9,116.3\n39.91,abc\n39.92,116.2", "不是数字"),
        ("39.9,116.3\n95,116.31\n39.92,116.2", "超出范围"),
        ("39.9,116.3\n39.91,116.31\n39.92,116.32", "同一条直线"),
        ("0,0\n1,1\n0,1\n1,0", "边不能相交"),
    ],
)
def test_a_bad_polygon_is_refused_with_a_reason(
    client: Client, world: World, polygon: str, message: str
) -> None:
    as_user(client, world.alice)
    url = reverse("orgs:project_edit", kwargs={"project": world.p1.public_id})
    response = client.post(url, p1_fields(world, fence_polygon_text=polygon))
    assert response.status_code == 200
    assert message in str(response.context["form"].errors["fence_polygon_text"])
    world.p1.refresh_from_db()
    assert world.p1.fence_polygon is None


def test_a_circle_geofence_needs_centre_and_radius_and_excludes_a_polygon(
    client: Client, world: World
) -> None:
    as_user(client, world.alice)
    url = reverse("orgs:project_edit", kwargs={"project": world.p1.public_id})
    partial = client.post(url, p1_fields(world, fence_lat="39.9")).context["form"].errors
    assert "fence_lng" in partial and "fence_radius_m" in partial
    circle = {"fence_lat": "39.9", "fence_lng": "116.4", "fence_radius_m": "300"}
    both = (
        client.post(url, p1_fields(world, fence_polygon_text="0,0\n0,1\n1,1", **circle))
        .context["form"]
        .errors
    )
    assert "fence_polygon_text" in both
    assert client.post(url, p1_fields(world, **circle)).status_code == 302
    world.p1.refresh_from_db()
    assert world.p1.fence_radius_m == 300


# --- bob: labour manager of subcontractor B on P1 ----------------------------------------------------------


def test_bob_sees_p1_but_may_not_edit_it(client: Client, world: World) -> None:
    as_user(client, world.bob)
    detail = client.get(reverse("orgs:project_detail", kwargs={"project": world.p1.public_id}))
    assert detail.status_code == 200
    page = detail.content.decode()
    assert reverse("orgs:project_edit", kwargs={"project": world.p1.public_id}) not in page
    assert world.team_b.name in page and world.team_a.name not in page  # only B's teams
    for name in ("project_edit", "section_create", "participant_create"):
        assert client.get(reverse(f"orgs:{name}", kwargs={"project": world.p1.public_id})).status_code == 403
    assert client.post(reverse("orgs:project_create"), project_fields()).status_code == 403


def test_bob_creates_a_team_only_under_his_own_participant(client: Client, world: World) -> None:
    as_user(client, world.bob)
    url = reverse("orgs:team_create", kwargs={"project": world.p1.public_id})
    form = client.get(url).context["form"]
    assert list(form.fields["participant"].queryset) == [world.sub_b]
    assert form.initial["participant"] == world.sub_b  # his only choice comes preselected
    refused = client.post(url, {"participant": str(world.gc_p1.public_id), "name": "越权班"})
    assert refused.status_code == 200 and "participant" in refused.context["form"].errors
    assert not Team.objects.filter(name="越权班").exists()
    made = client.post(url, {"participant": str(world.sub_b.public_id), "name": "乙瓦工班"})
    assert made.status_code == 302
    assert Team.objects.get(name="乙瓦工班").participant == world.sub_b


def test_bob_cannot_reach_the_general_contractors_team(client: Client, world: World) -> None:
    as_user(client, world.bob)
    assert client.get(reverse("orgs:team_detail", kwargs={"team": world.team_a.public_id})).status_code == 404
    assert client.get(reverse("orgs:team_edit", kwargs={"team": world.team_b.public_id})).status_code == 200


# --- reggie: regulator for region 1101, read-only ----------------------------------------------------------


def test_reggie_views_p1_without_edit_buttons(client: Client, world: World) -> None:
    as_user(client, world.reggie)
    for url in (
        reverse("orgs:project_detail", kwargs={"project": world.p1.public_id}),
        reverse("orgs:company_detail", kwargs={"company": world.company_a.public_id}),
        reverse("orgs:team_detail", kwargs={"team": world.team_a.public_id}),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert "/edit/" not in response.content.decode() and "/new/" not in response.content.decode()
    lists = [client.get(reverse(f"orgs:{n}")).content.decode() for n in ("project_list", "company_list")]
    assert all("/new/" not in page for page in lists)
    assert "项目P1" in lists[0] and "项目P2" not in lists[0] and str(world.p2.public_id) not in lists[0]


@pytest.mark.parametrize("name", sorted(n for n in P1_PAGES if not n.endswith("_detail")))
def test_reggie_gets_403_on_every_p1_write_page(client: Client, world: World, name: str) -> None:
    url = p1_url(world, name)
    as_user(client, world.reggie)
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": "x", "code": "x"}).status_code == 403


@pytest.mark.parametrize("name", ["company_create", "project_create"])
def test_reggie_gets_403_on_create_pages(client: Client, world: World, name: str) -> None:
    as_user(client, world.reggie)
    assert client.get(reverse(f"orgs:{name}")).status_code == 403


# --- list pages keep a constant number of queries ----------------------------------------------------------


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def more_rows(world: World, n: int) -> None:
    for i in range(n):
        project = make_project(f"M{i:02d}", world.company_a)
        gc = project.participants.get()
        worker = make_worker(registered_by_company=world.company_a)
        employ(worker, gc)
        services.create_team(participant=gc, name=f"M班{i}", leader=worker)


@pytest.mark.parametrize("name", ["project_list", "company_list", "team_list"])
def test_list_pages_use_a_constant_number_of_queries(
    client: Client, world: World, name: str, django_assert_max_num_queries: Any
) -> None:
    as_user(client, world.alice)
    url = reverse(f"orgs:{name}")
    baseline = count_queries(client, url)
    more_rows(world, 12)
    for i in range(12):
        make_company(f"新公司{i}", registered_by=world.company_a)
    with django_assert_max_num_queries(baseline):
        response = client.get(url)
    assert len(response.context["page_obj"]) > 12


def test_the_project_page_uses_a_constant_number_of_queries(
    client: Client, world: World, django_assert_max_num_queries: Any
) -> None:
    as_user(client, world.alice)
    url = reverse("orgs:project_detail", kwargs={"project": world.p1.public_id})
    baseline = count_queries(client, url)
    for i in range(6):
        company = make_company(f"分包{i}")
        participant = services.add_participant(project=world.p1, company=company, role="001")
        worker = make_worker()
        employ(worker, participant)
        services.create_team(participant=participant, name=f"分包班{i}", leader=worker)
        services.add_section(project=world.p1, code=f"S{i}", name=f"{i}标段")
    with django_assert_max_num_queries(baseline):
        client.get(url)


# --- language ----------------------------------------------------------------------------------------------


def test_pages_render_in_english_when_chosen(client: Client, world: World) -> None:
    as_user(client, world.alice)
    switched = client.post(reverse("set_language"), {"language": "en", "next": reverse("orgs:project_list")})
    assert switched.status_code == 302
    for url in (
        reverse("orgs:project_list"),
        reverse("orgs:project_detail", kwargs={"project": world.p1.public_id}),
        reverse("orgs:project_edit", kwargs={"project": world.p1.public_id}),
        reverse("orgs:team_list"),
        reverse("orgs:company_list"),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert '<html lang="en">' in response.content.decode()


def test_pages_are_chinese_by_default(client: Client, world: World) -> None:
    as_user(client, world.alice)
    page = client.get(reverse("orgs:project_list")).content.decode()
    assert '<html lang="zh-hans">' in page and "新建项目" in page


def test_the_project_page_offers_the_attendance_buttons_its_reader_can_open(
    client: Client, world: World
) -> None:
    devices = reverse("attendance:project_devices", args=[world.p1.public_id])
    rules = reverse("attendance:project_rules", args=[world.p1.public_id])
    days = reverse("attendance:day_list", args=[world.p1.public_id])
    page = reverse("orgs:project_detail", args=[world.p1.public_id])

    client.force_login(world.alice)  # the general contractor: the whole site
    alice = client.get(page).content.decode()
    client.force_login(world.bob)  # a subcontractor's labour manager: his people only
    bob = client.get(page).content.decode()

    assert devices in alice and rules in alice and days in alice
    assert devices not in bob and rules not in bob and days in bob
    assert client.get(devices).status_code == 403  # what the hidden button would have led to
