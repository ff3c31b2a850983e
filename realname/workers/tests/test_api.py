from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from realname.accounts.models import User
from realname.accounts.services import create_api_token
from realname.core.models import AuditEntry
from realname.testing import World, make_worker, new_id_number
from realname.workers import services
from realname.workers.models import Contract, Employment, Worker

pytestmark = pytest.mark.django_db

NIL = "00000000-0000-0000-0000-000000000000"


def api(user: User) -> Client:
    return Client(headers={"Authorization": f"Bearer {create_api_token(user=user).text}"})


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, body, content_type="application/json")


def ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


def employment_of(worker: Worker) -> Employment:
    return Employment.objects.get(worker=worker)


@pytest.fixture
def contract_a(world: World) -> Contract:
    return services.create_contract(
        employment=employment_of(world.worker_a),
        pay_type="daily",
        start_date=dt.date(2026, 3, 1),
        end_date=dt.date(2026, 12, 31),
        daily_rate=Decimal("350.00"),
    )


def p1_paths(world: World, contract: Contract) -> list[str]:
    """Every workers-family object of P1, by its API path."""
    return [
        f"/api/v1/workers/{world.worker_a.public_id}",
        f"/api/v1/workers/{world.worker_b.public_id}",
        f"/api/v1/employments/{employment_of(world.worker_a).public_id}",
        f"/api/v1/employments/{employment_of(world.worker_b).public_id}",
        f"/api/v1/contracts/{contract.public_id}",
    ]


def worker_body(**fields: Any) -> dict[str, Any]:
    return {"id_number": new_id_number(), "name": "钱新", "phone": "13812345678", **fields}


# --- reading ------------------------------------------------------------------------------------------------


def test_alice_lists_the_workers_employments_and_contracts_of_p1(world: World, contract_a: Contract) -> None:
    client = api(world.alice)
    assert ids(client.get("/api/v1/workers")) == {
        str(world.worker_a.public_id),
        str(world.worker_b.public_id),
    }
    assert ids(client.get("/api/v1/employments")) == {
        str(employment_of(world.worker_a).public_id),
        str(employment_of(world.worker_b).public_id),
    }
    p1_contracts = Contract.objects.filter(project=world.p1).values_list("public_id", flat=True)
    assert ids(client.get("/api/v1/contracts")) == {str(i) for i in p1_contracts}
    assert str(contract_a.public_id) in ids(client.get("/api/v1/contracts"))


@pytest.mark.parametrize("index", range(5))
def test_charlie_gets_404_for_every_p1_object(world: World, contract_a: Contract, index: int) -> None:
    response = api(world.charlie).get(p1_paths(world, contract_a)[index])
    assert response.status_code == 404
    assert response.json() == {"detail": "未找到"}


@pytest.mark.parametrize("endpoint", ["workers", "employments", "contracts"])
def test_charlie_sees_nothing_of_p1_in_lists(world: World, contract_a: Contract, endpoint: str) -> None:
    services.create_contract(
        employment=employment_of(world.worker_c),
        pay_type="monthly",
        start_date=dt.date(2026, 3, 1),
        period_type="1",
        monthly_salary=Decimal("8000"),
    )
    p1 = {path.rsplit("/", 1)[1] for path in p1_paths(world, contract_a)}
    seen = ids(api(world.charlie).get(f"/api/v1/{endpoint}"))
    assert seen, "charlie sees his own P2 data"
    assert not seen & p1


def test_charlie_cannot_exit_or_reveal_a_p1_worker(world: World) -> None:
    client = api(world.charlie)
    employment = employment_of(world.worker_a)
    assert (
        post(
            client, f"/api/v1/employments/{employment.public_id}/exit", {"exit_date": "2026-06-01"}
        ).status_code
        == 404
    )
    assert post(client, f"/api/v1/workers/{world.worker_a.public_id}/reveal", {}).status_code == 404
    employment.refresh_from_db()
    assert employment.status == "active"


def test_charlie_filtering_by_p1_sees_nothing(world: World) -> None:
    client = api(world.charlie)
    assert ids(client.get(f"/api/v1/workers?project={world.p1.public_id}")) == set()
    assert ids(client.get(f"/api/v1/employments?project={world.p1.public_id}")) == set()


def test_bob_sees_only_his_own_participants_people(world: World) -> None:
    client = api(world.bob)
    assert ids(client.get("/api/v1/workers")) == {str(world.worker_b.public_id)}
    assert ids(client.get("/api/v1/employments")) == {str(employment_of(world.worker_b).public_id)}
    assert client.get(f"/api/v1/workers/{world.worker_a.public_id}").status_code == 404
    assert client.get(f"/api/v1/employments/{employment_of(world.worker_a).public_id}").status_code == 404


def test_wendy_sees_only_herself(world: World) -> None:
    assert ids(api(world.wendy).get("/api/v1/workers")) == {str(world.worker_a.public_id)}


def test_workers_are_found_by_name_by_exact_id_number_and_by_project(world: World) -> None:
    client = api(world.alice)
    assert ids(client.get("/api/v1/workers?q=甲")) == {str(world.worker_a.public_id)}
    number = world.worker_b.id_number()
    assert ids(client.get(f"/api/v1/workers?id_number={number}")) == {str(world.worker_b.public_id)}
    other = number[:-1] + ("1" if number.endswith("0") else "0")  # another number, never the same one
    assert ids(client.get(f"/api/v1/workers?id_number={other}")) == set()
    assert ids(client.get(f"/api/v1/workers?project={world.p1.public_id}")) == {
        str(world.worker_a.public_id),
        str(world.worker_b.public_id),
    }


def test_employments_are_filtered_by_project_worker_and_status(world: World) -> None:
    client = api(world.admin)
    assert len(ids(client.get(f"/api/v1/employments?project={world.p1.public_id}"))) == 2
    only_c = ids(client.get(f"/api/v1/employments?worker={world.worker_c.public_id}"))
    assert only_c == {str(employment_of(world.worker_c).public_id)}
    assert ids(client.get("/api/v1/employments?status=exited")) == set()


def test_a_worker_is_shown_with_masked_numbers_only(world: World) -> None:
    services.set_bank_card(worker=world.worker_a, card_number="6222021234567890128", bank_name="工商银行")
    client = api(world.alice)
    number = world.worker_a.id_number()
    detail = client.get(f"/api/v1/workers/{world.worker_a.public_id}")
    listing = client.get("/api/v1/workers")
    for response in (detail, listing):
        assert number not in response.content.decode()
        assert "6222021234567890128" not in response.content.decode()
    body = detail.json()
    assert body["id_number_masked"] == world.worker_a.id_number_masked
    assert body["bank_card_masked"] == "6222 **** **** 0128"
    assert body["birth_date"] == str(world.worker_a.birth_date)
    assert body["sex"] == "M"
    assert "id_number" not in body


def test_contract_money_is_a_decimal_string(world: World, contract_a: Contract) -> None:
    body = api(world.alice).get(f"/api/v1/contracts/{contract_a.public_id}").json()
    assert body["daily_rate"] == "350.00"
    assert body["monthly_salary"] is None
    assert body["start_date"] == "2026-03-01"
    assert body["worker"]["id"] == str(world.worker_a.public_id)


def test_a_malformed_worker_id_is_404(world: World) -> None:
    assert api(world.alice).get("/api/v1/workers/not-a-uuid").status_code == 404
    assert api(world.alice).get(f"/api/v1/workers/{NIL}").status_code == 404


# --- registering workers ------------------------------------------------------------------------------------


def test_registering_the_same_person_twice_keeps_one_record(world: World) -> None:
    client = api(world.alice)
    body = worker_body()
    first = post(client, "/api/v1/workers", body)
    second = post(client, "/api/v1/workers", {**body, "phone": "13900001111"})
    assert (first.status_code, first.json()["created"]) == (201, True)
    assert (second.status_code, second.json()["created"]) == (200, False)
    assert first.json()["id"] == second.json()["id"]
    worker = Worker.objects.get(public_id=first.json()["id"])
    assert Worker.objects.filter(id_number_index=worker.id_number_index).count() == 1
    assert worker.phone == "13900001111"
    assert worker.registered_by_company == world.company_a


def test_a_registered_worker_never_shows_the_full_id_number(world: World) -> None:
    body = worker_body(bank_card="6222021234567890128", bank_name="工商银行")
    response = post(api(world.alice), "/api/v1/workers", body)
    assert response.status_code == 201
    assert body["id_number"] not in response.content.decode()
    assert body["bank_card"] not in response.content.decode()
    assert response.json()["bank_card_masked"] == "6222 **** **** 0128"


def test_a_bad_id_checksum_is_a_field_error_in_chinese(world: World) -> None:
    number = new_id_number()
    bad = number[:-1] + ("0" if number[-1] != "0" else "1")
    response = post(api(world.alice), "/api/v1/workers", worker_body(id_number=bad))
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["body", "id_number"], "msg": "身份证号校验位错误，请核对号码"}
    ]
    assert not Worker.objects.filter(name="钱新").exists()


def test_a_bad_phone_or_bank_card_is_a_field_error(world: World) -> None:
    client = api(world.alice)
    phone = post(client, "/api/v1/workers", worker_body(phone="12345"))
    assert phone.json()["detail"][0]["loc"] == ["body", "phone"]
    card = post(client, "/api/v1/workers", worker_body(bank_card="12ab", bank_name="工商银行"))
    assert card.status_code == 422
    assert card.json()["detail"][0]["loc"] == ["body", "bank_card"]
    assert not Worker.objects.filter(name="钱新").exists()


def test_warnings_are_returned_with_the_registration(world: World) -> None:
    body = worker_body(bank_card="6222021234567890123", bank_name="工商银行")  # fails Luhn: a warning only
    response = post(api(world.alice), "/api/v1/workers", body)
    assert response.status_code == 201
    assert any("Luhn" in w for w in response.json()["warnings"])


@pytest.mark.parametrize(
    "body",
    [
        {"name": "缺证件号"},
        {"id_number": 110105, "name": "类型错"},
        {"id_number": "x", "name": ["list"]},
        {"id_number": "x", "name": "y", "id_valid_from": "yesterday"},
    ],
)
def test_missing_fields_and_wrong_types_are_422(world: World, body: dict[str, Any]) -> None:
    response = post(api(world.alice), "/api/v1/workers", body)
    assert response.status_code == 422
    assert all(e["loc"][0] == "body" and e["msg"] for e in response.json()["detail"])


def test_malformed_json_is_422(world: World) -> None:
    response = api(world.alice).post("/api/v1/workers", b"\xff\xfe{", content_type="application/json")
    assert response.status_code == 422


def test_reggie_may_read_workers_but_not_register_them(world: World) -> None:
    client = api(world.reggie)
    assert len(ids(client.get("/api/v1/workers"))) == 2
    assert post(client, "/api/v1/workers", worker_body()).status_code == 403
    assert not Worker.objects.filter(name="钱新").exists()


# --- revealing the ID number --------------------------------------------------------------------------------


def test_revealing_an_id_number_returns_it_and_is_audited(world: World) -> None:
    client = api(world.alice)
    response = post(client, f"/api/v1/workers/{world.worker_a.public_id}/reveal", {"reason": "社保核对"})
    assert response.status_code == 200
    assert response.json()["id_number"] == world.worker_a.id_number()
    assert response["Cache-Control"] == "no-store"
    entry = AuditEntry.objects.get(action="reveal", object_id=str(world.worker_a.public_id))
    assert entry.actor == world.alice
    assert entry.note == "社保核对"


def test_a_reveal_may_come_without_a_body(world: World) -> None:
    path = f"/api/v1/workers/{world.worker_b.public_id}/reveal"
    response = api(world.alice).post(path, "", content_type="application/json")
    assert response.status_code == 200


def test_reggie_may_not_reveal_an_id_number(world: World) -> None:
    response = post(api(world.reggie), f"/api/v1/workers/{world.worker_a.public_id}/reveal", {})
    assert response.status_code == 403
    assert "id_number" not in response.json()
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_wendy_may_see_herself_but_not_reveal(world: World) -> None:
    response = post(api(world.wendy), f"/api/v1/workers/{world.worker_a.public_id}/reveal", {})
    assert response.status_code == 403


# --- employments and contracts ------------------------------------------------------------------------------


def test_alice_registers_a_worker_and_books_their_entry_and_contract(world: World) -> None:
    client = api(world.alice)
    worker = post(client, "/api/v1/workers", worker_body()).json()
    entry = post(
        client,
        "/api/v1/employments",
        {
            "participant": str(world.gc_p1.public_id),
            "team": str(world.team_a.public_id),
            "worker": worker["id"],
            "trade": "010",
            "entry_date": "2026-04-01",
        },
    )
    assert entry.status_code == 201, entry.content
    assert entry.json()["created"] is True
    assert entry.json()["project"]["code"] == "P1"
    contract = post(
        client,
        "/api/v1/contracts",
        {
            "employment": entry.json()["id"],
            "pay_type": "piece",
            "piece_unit": "80",
            "piece_unit_price": "12.50",
            "start_date": "2026-04-01",
            "end_date": "2026-10-31",
        },
    )
    assert contract.status_code == 201, contract.content
    assert contract.json()["piece_unit_price"] == "12.50"
    assert ids(client.get(f"/api/v1/contracts?employment={entry.json()['id']}")) == {contract.json()["id"]}


def test_booking_an_entry_twice_updates_the_open_one(world: World) -> None:
    body = {
        "participant": str(world.gc_p1.public_id),
        "worker": str(world.worker_a.public_id),
        "trade": "020",
        "entry_date": "2026-03-01",
    }
    response = post(api(world.alice), "/api/v1/employments", body)
    assert (response.status_code, response.json()["created"]) == (200, False)
    assert Employment.objects.filter(worker=world.worker_a).count() == 1


def test_a_person_registered_elsewhere_is_taken_on_by_id_number(world: World) -> None:
    # Registered by C (charlie's company) and never on P1: alice cannot list them, but holds their ID card.
    elsewhere = make_worker("孙他处", registered_by_company=world.company_c)
    client = api(world.alice)
    assert client.get(f"/api/v1/workers/{elsewhere.public_id}").status_code == 404
    body = {
        "participant": str(world.gc_p1.public_id),
        "id_number": elsewhere.id_number(),
        "trade": "010",
        "entry_date": "2026-04-01",
    }
    response = post(client, "/api/v1/employments", body)
    assert response.status_code == 201, response.content
    assert response.json()["worker"]["id"] == str(elsewhere.public_id)
    assert client.get(f"/api/v1/workers/{elsewhere.public_id}").status_code == 200


def test_an_unregistered_id_number_is_a_field_error(world: World) -> None:
    body = {
        "participant": str(world.gc_p1.public_id),
        "id_number": new_id_number(),
        "trade": "010",
        "entry_date": "2026-04-01",
    }
    response = post(api(world.alice), "/api/v1/employments", body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "id_number"]


def test_bob_cannot_book_people_under_the_general_contractor(world: World) -> None:
    newcomer = make_worker("周新来", registered_by_company=world.company_b)
    body = {
        "participant": str(world.gc_p1.public_id),
        "worker": str(newcomer.public_id),
        "trade": "010",
        "entry_date": "2026-04-01",
    }
    before = Employment.objects.count()
    response = post(api(world.bob), "/api/v1/employments", body)
    assert response.status_code == 422
    assert response.json()["detail"] == [{"loc": ["body", "participant"], "msg": "不存在或无权限"}]
    assert Employment.objects.count() == before


def test_references_outside_scope_are_422_not_found(world: World) -> None:
    client = api(world.charlie)
    body = {
        "participant": str(world.gc_p2.public_id),
        "worker": str(world.worker_a.public_id),
        "trade": "010",
    }
    response = post(client, "/api/v1/employments", {**body, "entry_date": "2026-04-01"})
    assert response.json()["detail"] == [{"loc": ["body", "worker"], "msg": "不存在或无权限"}]
    response = post(
        client,
        "/api/v1/contracts",
        {
            "employment": str(employment_of(world.worker_a).public_id),
            "pay_type": "daily",
            "daily_rate": "300",
            "start_date": "2026-04-01",
            "end_date": "2026-05-01",
        },
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [{"loc": ["body", "employment"], "msg": "不存在或无权限"}]


def test_a_team_of_another_participant_is_refused(world: World) -> None:
    body = {
        "participant": str(world.gc_p1.public_id),
        "team": str(world.team_b.public_id),
        "worker": str(world.worker_a.public_id),
        "trade": "010",
        "entry_date": "2026-04-01",
    }
    response = post(api(world.alice), "/api/v1/employments", body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "team"]


def test_an_exit_closes_the_employment(world: World) -> None:
    employment = employment_of(world.worker_b)
    client = api(world.bob)
    response = post(client, f"/api/v1/employments/{employment.public_id}/exit", {"exit_date": "2026-06-30"})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["exit_date"]) == ("exited", "2026-06-30")
    again = post(client, f"/api/v1/employments/{employment.public_id}/exit", {"exit_date": "2026-07-01"})
    assert again.status_code == 422
    assert again.json()["detail"][0]["loc"] == ["body", "exit_date"]


def test_an_exit_before_the_entry_is_refused(world: World) -> None:
    employment = employment_of(world.worker_a)
    response = post(
        api(world.alice), f"/api/v1/employments/{employment.public_id}/exit", {"exit_date": "2020-01-01"}
    )
    assert response.status_code == 422


def test_reggie_may_see_but_not_exit_an_employment(world: World) -> None:
    employment = employment_of(world.worker_a)
    client = api(world.reggie)
    assert client.get(f"/api/v1/employments/{employment.public_id}").status_code == 200
    assert (
        post(
            client, f"/api/v1/employments/{employment.public_id}/exit", {"exit_date": "2026-06-30"}
        ).status_code
        == 403
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"pay_type": "daily"}, "daily_rate"),
        ({"pay_type": "daily", "daily_rate": "-5"}, "daily_rate"),
        ({"pay_type": "weekly"}, "pay_type"),
        ({"pay_type": "daily", "daily_rate": "NaN"}, "daily_rate"),
        ({"pay_type": "daily", "daily_rate": "123456789.123"}, "daily_rate"),
        ({"pay_type": "daily", "daily_rate": "300", "pay_day": 40}, "pay_day"),
    ],
)
def test_contract_pay_terms_are_validated_per_field(world: World, fields: dict[str, Any], field: str) -> None:
    body = {
        "employment": str(employment_of(world.worker_a).public_id),
        "start_date": "2026-04-01",
        "end_date": "2026-05-01",
        **fields,
    }
    response = post(api(world.alice), "/api/v1/contracts", body)
    assert response.status_code == 422
    assert ["body", field] in [e["loc"] for e in response.json()["detail"]]
    assert Contract.objects.count() == 3  # only the three every test world has (realname.testing)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/workers", {"id_number": "x", "name": "y"}),
        (
            "/api/v1/employments",
            {"participant": NIL, "worker": NIL, "trade": "010", "entry_date": "2026-04-01"},
        ),
        ("/api/v1/contracts", {"employment": NIL, "pay_type": "daily", "start_date": "2026-04-01"}),
    ],
)
def test_reggie_may_not_write(world: World, path: str, body: dict[str, Any]) -> None:
    assert post(api(world.reggie), path, body).status_code == 403


@pytest.mark.parametrize("endpoint", ["workers", "employments", "contracts"])
def test_a_list_costs_the_same_queries_however_many_rows(world: World, endpoint: str) -> None:
    client = api(world.alice)
    client.get(f"/api/v1/{endpoint}")  # the token's first use writes last_used_at once
    with CaptureQueriesContext(connection) as few:
        client.get(f"/api/v1/{endpoint}")
    for n in range(4):
        worker = make_worker(f"新人{n}", registered_by_company=world.company_a)
        services.set_bank_card(worker=worker, card_number="6222021234567890128", bank_name="工商银行")
        employment = services.register_entry(
            worker=worker,
            project=world.p1,
            participant=world.gc_p1,
            team=world.team_a,
            trade="010",
            entry_date=dt.date(2026, 4, 1),
        ).employment
        services.create_contract(
            employment=employment,
            pay_type="daily",
            start_date=dt.date(2026, 4, 1),
            end_date=dt.date(2026, 9, 30),
            daily_rate=Decimal("300"),
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(f"/api/v1/{endpoint}")
    assert response.json()["count"] >= 4
    assert len(many) == len(few)


def test_registering_someone_registered_elsewhere_answers_with_identity_only(world: World) -> None:
    services.update_worker(worker=world.worker_a, phone="13912345678", address="北京市朝阳区某街1号")
    body = {"id_number": world.worker_a.id_number(), "name": "张甲"}
    response = post(api(world.charlie), "/api/v1/workers", body)
    assert response.status_code == 200
    answer = response.json()
    assert (answer["created"], answer["restricted"]) == (False, True)
    assert answer["id"] == str(world.worker_a.public_id)
    assert answer["id_number_masked"] == world.worker_a.id_number_masked
    assert (answer["phone"], answer["address"]) == ("", "")
    assert "13912345678" not in response.content.decode()
    assert Worker.objects.filter(id_number_index=world.worker_a.id_number_index).count() == 1
