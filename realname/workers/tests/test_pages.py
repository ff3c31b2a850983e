"""The everyday pages: roster, registration, edit, wage cards, 进场/退场, contracts, files and scoping."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from stdnum import luhn
from stdnum.cn import ric

from realname.accounts.models import User
from realname.testing import World, employ, make_worker, new_id_number
from realname.workers import services
from realname.workers.models import BankAccount, Contract, Employment, EmploymentStatus, Worker

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% a signed labour contract\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def as_user(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def html(response: Any) -> str:
    return response.content.decode()


def registration(number: str, **extra: str) -> dict[str, str]:
    data = {"id_type": "01", "id_number": number, "name": "新来的", "phone": "13800001111"}
    data.update(extra)
    return data


def entry_on(world: World, **extra: str) -> dict[str, str]:
    data = {
        "participant": str(world.gc_p1.public_id),
        "team": str(world.team_a.public_id),
        "trade": "020",
        "role": "20",
        "entry_date": "2026-05-01",
    }
    data.update(extra)
    return data


# --- registration ------------------------------------------------------------------------------------------


def test_a_clerk_registers_a_worker_with_a_card_and_an_entry(client: Client, world: World) -> None:
    card = "622202012345678901"
    card += luhn.calc_check_digit(card)
    data: dict[str, Any] = registration(
        new_id_number(sex="F"), bank_card=card, bank_code="102", **entry_on(world)
    )
    data["photo"] = SimpleUploadedFile(
        "face.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 16, content_type="image/jpeg"
    )
    response = as_user(client, world.alice).post(reverse("workers:worker_create"), data)
    worker = Worker.objects.get(name="新来的")
    assert response.status_code == 302
    assert response["Location"] == reverse("workers:worker_detail", args=[worker.public_id])
    assert worker.sex == "F" and worker.registered_by_company == world.company_a
    account = BankAccount.objects.get(worker=worker)
    assert account.bank_name == "中国工商银行", "the bank category names the bank when no name is typed"
    employment = Employment.objects.get(worker=worker)
    assert (employment.project, employment.team, employment.trade) == (world.p1, world.team_a, "020")
    assert worker.photo.name.endswith(".jpg") and "face" not in worker.photo.name


def test_a_bad_checksum_is_shown_in_chinese_on_the_id_number_field(client: Client, world: World) -> None:
    good = new_id_number()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = as_user(client, world.alice).post(reverse("workers:worker_create"), registration(bad))
    assert response.status_code == 200
    assert "校验位" in " ".join(response.context["person"].errors["id_number"])
    assert not Worker.objects.filter(name="新来的").exists()


def test_an_unknown_area_code_is_warned_about_but_the_worker_is_saved(client: Client, world: World) -> None:
    body = "999999" + "19800101" + "135"
    number = body + ric.calc_check_digit(body + "0")
    response = as_user(client, world.alice).post(
        reverse("workers:worker_create"), registration(number), follow=True
    )
    assert Worker.objects.filter(name="新来的").exists()
    assert "地区码 999999" in html(response)


def test_registering_the_same_id_again_leads_to_the_existing_worker(client: Client, world: World) -> None:
    before = Worker.objects.count()
    response = as_user(client, world.alice).post(
        reverse("workers:worker_create"),
        registration(world.worker_a.id_number(), name="张甲"),
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("workers:worker_detail", args=[world.worker_a.public_id])
    assert "已登记，已转到现有记录" in html(response)
    assert Worker.objects.count() == before


def test_someone_elses_worker_can_be_taken_on_but_not_edited_through_registration(
    client: Client, world: World
) -> None:
    before = Worker.objects.count()
    data = registration(world.worker_a.id_number(), name="改名")
    url = reverse("workers:worker_create")
    refused = as_user(client, world.charlie).post(url, data)
    assert "不在您的管理范围内" in " ".join(refused.context["person"].errors["id_number"])
    data.update(participant=str(world.gc_p2.public_id), trade="010", entry_date="2026-06-01")
    response = client.post(url, data)
    assert response.status_code == 302
    world.worker_a.refresh_from_db()
    assert world.worker_a.name == "张甲", "the person's details stay as they were"
    assert Employment.objects.filter(worker=world.worker_a, project=world.p2, status="active").exists()
    assert Worker.objects.count() == before


def test_a_passport_holder_is_registered_after_a_format_check(client: Client, world: World) -> None:
    url = reverse("workers:worker_create")
    bad = as_user(client, world.alice).post(url, registration("E1", id_type="08"))
    assert "护照" in " ".join(bad.context["person"].errors["id_number"])
    response = client.post(url, registration("E12345678", id_type="08", sex="F", birth_date="1990-02-03"))
    assert response.status_code == 302
    worker = Worker.objects.get(name="新来的")
    assert (worker.id_type, worker.sex, worker.birth_date) == ("08", "F", dt.date(1990, 2, 3))


def test_an_entry_needs_a_participant_trade_and_date_once_begun(client: Client, world: World) -> None:
    response = as_user(client, world.alice).post(
        reverse("workers:worker_create"), registration(new_id_number(), trade="010")
    )
    assert set(response.context["entry"].errors) == {"participant", "entry_date"}
    assert not Worker.objects.filter(name="新来的").exists()


def test_choices_offer_only_what_the_user_may_change(client: Client, world: World) -> None:
    response = as_user(client, world.bob).get(reverse("workers:worker_create"))
    entry = response.context["entry"]
    assert list(entry.fields["participant"].queryset) == [world.sub_b]
    assert list(entry.fields["team"].queryset) == [world.team_b]


def test_a_subcontractor_cannot_enter_workers_under_the_general_contractor(
    client: Client, world: World
) -> None:
    response = as_user(client, world.bob).post(
        reverse("workers:worker_create"), registration(new_id_number(), **entry_on(world))
    )
    assert response.status_code == 200
    assert "participant" in response.context["entry"].errors
    assert not Worker.objects.filter(name="新来的").exists()


@pytest.mark.parametrize("persona", ["reggie", "wendy"])
def test_readers_cannot_open_the_registration_form(client: Client, world: World, persona: str) -> None:
    response = as_user(client, getattr(world, persona)).get(reverse("workers:worker_create"))
    assert response.status_code == 403


# --- edit, photo, wage card --------------------------------------------------------------------------------


def test_a_clerk_edits_a_worker_and_uploads_a_photo(client: Client, world: World) -> None:
    url = reverse("workers:worker_edit", args=[world.worker_a.public_id])
    photo = SimpleUploadedFile("face.png", PNG, content_type="image/png")
    response = as_user(client, world.alice).post(
        url, {"name": "张甲", "phone": "13900002222", "address": "北京市朝阳区", "photo": photo}
    )
    assert response.status_code == 302
    world.worker_a.refresh_from_db()
    assert (world.worker_a.phone, world.worker_a.address) == ("13900002222", "北京市朝阳区")
    shown = client.get(reverse("workers:worker_photo", args=[world.worker_a.public_id]))
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert b"".join(shown.streaming_content) == PNG  # type: ignore[attr-defined]
    detail = html(client.get(reverse("workers:worker_detail", args=[world.worker_a.public_id])))
    assert "/media/" not in detail


def test_a_photo_that_is_not_an_image_is_refused(client: Client, world: World) -> None:
    url = reverse("workers:worker_edit", args=[world.worker_a.public_id])
    fake = SimpleUploadedFile("face.png", b"MZ not an image", content_type="image/png")
    response = as_user(client, world.alice).post(url, {"name": "张甲", "photo": fake})
    assert "文件内容与扩展名" in " ".join(response.context["form"].errors["photo"])


def test_a_bad_mobile_number_is_shown_on_the_phone_field(client: Client, world: World) -> None:
    url = reverse("workers:worker_edit", args=[world.worker_a.public_id])
    response = as_user(client, world.alice).post(url, {"name": "张甲", "phone": "12345"})
    assert "手机号" in " ".join(response.context["form"].errors["phone"])


def test_a_regulator_may_look_but_not_edit(client: Client, world: World) -> None:
    as_user(client, world.reggie)
    assert client.get(reverse("workers:worker_detail", args=[world.worker_a.public_id])).status_code == 200
    assert client.get(reverse("workers:worker_edit", args=[world.worker_a.public_id])).status_code == 403
    detail = html(client.get(reverse("workers:worker_detail", args=[world.worker_a.public_id])))
    assert reverse("workers:worker_edit", args=[world.worker_a.public_id]) not in detail


def test_a_card_failing_luhn_warns_but_is_saved(client: Client, world: World) -> None:
    body = "622848" + "012345678901"
    broken = body + str((int(luhn.calc_check_digit(body)) + 1) % 10)
    response = as_user(client, world.alice).post(
        reverse("workers:bank_card_create", args=[world.worker_a.public_id]),
        {"bank_card": broken, "bank_code": "103", "bank_name": "农业银行朝阳支行"},
        follow=True,
    )
    assert "Luhn" in html(response)
    account = BankAccount.objects.get(worker=world.worker_a)
    assert account.is_current and account.card_number() == broken
    assert broken not in html(response)


# --- entry, exit, overlap ----------------------------------------------------------------------------------


def test_entry_and_exit_through_the_pages(client: Client, world: World) -> None:
    worker = make_worker("进出场", registered_by_company=world.company_a)
    as_user(client, world.alice)
    created = client.post(
        reverse("workers:employment_create") + f"?worker={worker.public_id}",
        {"worker": str(worker.public_id), **entry_on(world)},
    )
    assert created.status_code == 302
    employment = Employment.objects.get(worker=worker)
    assert employment.status == EmploymentStatus.ACTIVE
    exited = client.post(
        reverse("workers:employment_exit", args=[employment.public_id]), {"exit_date": "2026-07-31"}
    )
    assert exited.status_code == 302
    employment.refresh_from_db()
    assert (employment.status, employment.exit_date) == (EmploymentStatus.EXITED, dt.date(2026, 7, 31))


def test_an_exit_before_the_entry_is_shown_on_the_exit_date(client: Client, world: World) -> None:
    employment = Employment.objects.get(worker=world.worker_a)
    response = as_user(client, world.alice).post(
        reverse("workers:employment_exit", args=[employment.public_id]), {"exit_date": "2026-01-01"}
    )
    assert "退场日期不能早于进场日期" in " ".join(response.context["form"].errors["exit_date"])


def test_editing_an_employment_changes_trade_and_team(client: Client, world: World) -> None:
    employment = Employment.objects.get(worker=world.worker_a)
    response = as_user(client, world.alice).post(
        reverse("workers:employment_edit", args=[employment.public_id]),
        {
            "participant": str(world.gc_p1.public_id),
            "team": "",
            "trade": "030",
            "role": "10",
            "entry_date": "2026-03-02",
        },
    )
    assert response.status_code == 302
    employment.refresh_from_db()
    assert (employment.trade, employment.team, employment.role) == ("030", None, "10")


def test_overlapping_employments_are_flagged_everywhere(client: Client, world: World) -> None:
    before = html(as_user(Client(), world.alice).get(reverse("workers:worker_list")))
    assert 'class="badge warn"' not in before
    response = as_user(client, world.admin).post(
        reverse("workers:employment_create") + f"?worker={world.worker_a.public_id}",
        {
            "worker": str(world.worker_a.public_id),
            "participant": str(world.gc_p2.public_id),
            "trade": "010",
            "role": "20",
            "entry_date": "2026-06-01",
        },
        follow=True,
    )
    assert "同时在另外 1 个项目在场" in html(response), "the entry form's result warns"
    as_user(client, world.alice)
    for url in (
        reverse("workers:worker_list"),
        reverse("workers:employment_list"),
        reverse("workers:worker_detail", args=[world.worker_a.public_id]),
    ):
        assert 'class="badge warn"' in html(client.get(url)), url
    roster = html(client.get(reverse("workers:worker_list")))
    assert roster.count("多项目在场") == 1, "only 张甲 is flagged, not 李乙"
    assert "P2 ·" not in roster and "项目P2" not in roster, "the other project stays out of alice's view"


# --- contracts and files -----------------------------------------------------------------------------------


def test_a_piece_rate_contract_needs_a_unit_and_a_price(client: Client, world: World) -> None:
    employment = Employment.objects.get(worker=world.worker_a)
    response = as_user(client, world.alice).post(
        reverse("workers:contract_create") + f"?employment={employment.public_id}",
        {
            "employment": str(employment.public_id),
            "period_type": "1",
            "start_date": "2026-03-01",
            "pay_type": "piece",
            "pay_day": "15",
        },
    )
    errors = response.context["form"].errors
    assert "计量单位" in " ".join(errors["piece_unit"])
    assert "单价" in " ".join(errors["piece_unit_price"])
    assert Contract.objects.count() == 3  # only the three every test world has (realname.testing)


def test_a_fixed_term_contract_without_an_end_date_is_refused_on_that_field(
    client: Client, world: World
) -> None:
    employment = Employment.objects.get(worker=world.worker_a)
    response = as_user(client, world.alice).post(
        reverse("workers:contract_create"),
        {
            "employment": str(employment.public_id),
            "period_type": "0",
            "start_date": "2026-03-01",
            "pay_type": "monthly",
            "monthly_salary": "8000",
            "pay_day": "15",
        },
    )
    assert "结束日期" in " ".join(response.context["form"].errors["end_date"])


def contract_with_file(client: Client, world: World) -> Contract:
    employment = Employment.objects.get(worker=world.worker_a)
    response = as_user(client, world.alice).post(
        reverse("workers:contract_create") + f"?employment={employment.public_id}",
        {
            "employment": str(employment.public_id),
            "code": "HT-001",
            "period_type": "1",
            "start_date": "2026-03-01",
            "pay_type": "daily",
            "daily_rate": "350.00",
            "pay_day": "10",
            "signed_file": SimpleUploadedFile(
                f"张甲-{world.worker_a.id_number()}.pdf", PDF, content_type="application/pdf"
            ),
        },
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    return Contract.objects.get(code="HT-001")


def test_a_signed_contract_is_uploaded_and_downloaded_only_within_scope(client: Client, world: World) -> None:
    contract = contract_with_file(client, world)
    assert contract.daily_rate == Decimal("350.00")
    url = reverse("workers:contract_file", args=[contract.public_id])
    download = client.get(url)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
    assert "no-store" in download["Cache-Control"]
    number = world.worker_a.id_number()
    assert number not in contract.signed_file.name, "the clerk's file name is not kept"
    assert number not in download["Content-Disposition"]
    assert as_user(Client(), world.charlie).get(url).status_code == 404
    assert as_user(Client(), world.reggie).get(url).status_code == 200
    listing = html(client.get(reverse("workers:contract_list")))
    assert url in listing and "/media/" not in listing


def test_a_file_whose_bytes_do_not_match_its_name_is_refused(client: Client, world: World) -> None:
    employment = Employment.objects.get(worker=world.worker_a)
    response = as_user(client, world.alice).post(
        reverse("workers:contract_create"),
        {
            "employment": str(employment.public_id),
            "period_type": "1",
            "start_date": "2026-03-01",
            "pay_type": "hourly",
            "hourly_rate": "40",
            "pay_day": "10",
            "signed_file": SimpleUploadedFile(
                "signed.pdf", b"<html>not a pdf", content_type="application/pdf"
            ),
        },
    )
    assert "signed_file" in response.context["form"].errors


def test_a_contract_is_edited_to_another_pay_type(client: Client, world: World) -> None:
    contract = contract_with_file(client, world)
    response = client.post(
        reverse("workers:contract_edit", args=[contract.public_id]),
        {
            "code": "HT-001",
            "period_type": "1",
            "start_date": "2026-03-01",
            "pay_type": "monthly",
            "monthly_salary": "9000",
            "pay_day": "10",
        },
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert (contract.pay_type, contract.monthly_salary, contract.daily_rate) == (
        "monthly",
        Decimal("9000.00"),
        None,
    )
    assert contract.signed_file, "no new upload keeps the stored file"


def test_the_contract_list_filters_by_pay_type(client: Client, world: World) -> None:
    contract_with_file(client, world)
    assert "HT-001" in html(client.get(reverse("workers:contract_list") + "?pay_type=daily"))
    assert "HT-001" not in html(client.get(reverse("workers:contract_list") + "?pay_type=piece"))


# --- scope -------------------------------------------------------------------------------------------------


@dataclass
class P1Objects:
    worker: Worker
    account: BankAccount
    employment: Employment
    contract: Contract


@pytest.fixture
def p1(world: World) -> P1Objects:
    worker = world.worker_a
    services.update_worker(worker=worker, photo=SimpleUploadedFile("a.png", PNG))
    card = "622202" + "765432109876"
    account = services.set_bank_card(
        worker=worker, card_number=card + luhn.calc_check_digit(card), bank_name="工商银行"
    ).account
    employment = Employment.objects.get(worker=worker)
    contract = services.create_contract(
        employment=employment,
        pay_type="daily",
        start_date=dt.date(2026, 3, 1),
        period_type="1",
        daily_rate=Decimal("300"),
        signed_file=SimpleUploadedFile("c.pdf", PDF),
    )
    return P1Objects(worker, account, employment, contract)


# (method, URL name, what the URL is built from): every worker / employment / contract page with a P1 object.
PAGES = [
    ("get", "workers:worker_detail", "worker"),
    ("get", "workers:worker_edit", "worker"),
    ("post", "workers:worker_edit", "worker"),
    ("post", "workers:worker_reveal_id", "worker"),
    ("get", "workers:worker_photo", "worker"),
    ("get", "workers:bank_card_create", "worker"),
    ("post", "workers:bank_card_create", "worker"),
    ("post", "workers:bank_card_reveal", "account"),
    ("get", "workers:employment_create", "?worker"),
    ("post", "workers:employment_create", "?worker"),
    ("get", "workers:employment_edit", "employment"),
    ("post", "workers:employment_edit", "employment"),
    ("get", "workers:employment_exit", "employment"),
    ("post", "workers:employment_exit", "employment"),
    ("get", "workers:contract_create", "?employment"),
    ("post", "workers:contract_create", "?employment"),
    ("get", "workers:contract_edit", "contract"),
    ("post", "workers:contract_edit", "contract"),
    ("get", "workers:contract_file", "contract"),
]


def url_for(name: str, source: str, objects: P1Objects) -> str:
    if source.startswith("?"):
        key = source[1:]
        return reverse(name) + f"?{key}={getattr(objects, key).public_id}"
    return reverse(name, args=[getattr(objects, source).public_id])


@pytest.mark.parametrize(("method", "name", "source"), PAGES, ids=[f"{m} {n}" for m, n, _ in PAGES])
def test_charlie_gets_404_on_every_p1_page(
    client: Client, world: World, p1: P1Objects, method: str, name: str, source: str
) -> None:
    url = url_for(name, source, p1)
    as_user(client, world.charlie)
    response = client.post(url, {"exit_date": "2026-05-01"}) if method == "post" else client.get(url)
    assert response.status_code == 404, url
    assert Employment.objects.get(pk=p1.employment.pk).status == EmploymentStatus.ACTIVE


GET_PAGES = [(name, source) for method, name, source in PAGES if method == "get"]


@pytest.mark.parametrize(("name", "source"), GET_PAGES, ids=[n for n, _ in GET_PAGES])
def test_alice_reaches_every_p1_page(
    client: Client, world: World, p1: P1Objects, name: str, source: str
) -> None:
    url = url_for(name, source, p1)
    assert as_user(client, world.alice).get(url).status_code == 200, url


def test_bob_sees_only_his_own_people_on_the_roster(client: Client, world: World) -> None:
    roster = html(as_user(client, world.bob).get(reverse("workers:worker_list")))
    assert "李乙" in roster and "张甲" not in roster
    employments = html(client.get(reverse("workers:employment_list")))
    assert "李乙" in employments and "张甲" not in employments
    assert client.get(reverse("workers:worker_detail", args=[world.worker_a.public_id])).status_code == 404


@pytest.mark.parametrize("name", ["workers:worker_list", "workers:employment_list", "workers:contract_list"])
def test_charlie_lists_show_nothing_of_p1(client: Client, world: World, p1: P1Objects, name: str) -> None:
    text = html(as_user(client, world.charlie).get(reverse(name)))
    assert "张甲" not in text and "李乙" not in text
    if name != "workers:contract_list":
        assert "王丙" in text


def test_wendy_sees_only_herself(client: Client, world: World) -> None:
    roster = html(as_user(client, world.wendy).get(reverse("workers:worker_list")))
    assert "张甲" in roster and "李乙" not in roster
    assert reverse("workers:worker_create") not in roster, "no button she cannot use"
    assert client.get(reverse("workers:worker_detail", args=[world.worker_b.public_id])).status_code == 404
    assert client.get(reverse("workers:worker_edit", args=[world.worker_a.public_id])).status_code == 403


def test_the_roster_filters_by_project_team_trade_and_status(client: Client, world: World) -> None:
    as_user(client, world.alice)
    url = reverse("workers:worker_list")
    by_team = html(client.get(url, {"team": str(world.team_b.public_id)}))
    assert "李乙" in by_team and "张甲" not in by_team
    assert "张甲" in html(
        client.get(url, {"project": str(world.p1.public_id), "trade": "010", "status": "active"})
    )
    assert "张甲" not in html(client.get(url, {"status": "exited"}))
    services.register_exit(
        employment=Employment.objects.get(worker=world.worker_a), exit_date=dt.date(2026, 8, 1)
    )
    exited = html(client.get(url, {"status": "exited"}))
    assert "张甲" in exited and "李乙" not in exited


def test_the_roster_finds_a_full_id_number_without_echoing_it(client: Client, world: World) -> None:
    number = world.worker_b.id_number()
    response = as_user(client, world.alice).post(reverse("workers:worker_list"), {"q": number}, follow=True)
    final_url = response.redirect_chain[-1][0]
    page = html(response)
    assert "李乙" in page and "张甲" not in page
    assert number not in final_url, "the number stays out of URLs and access logs"
    assert number not in page


def test_an_id_number_outside_scope_finds_nothing(client: Client, world: World) -> None:
    number = world.worker_c.id_number()
    response = as_user(client, world.alice).post(reverse("workers:worker_list"), {"q": number}, follow=True)
    page = html(response)
    assert "王丙" not in page and "张甲" not in page
    assert number not in response.redirect_chain[-1][0] and number not in page


def test_the_roster_searches_by_name_and_phone(client: Client, world: World) -> None:
    services.update_worker(worker=world.worker_b, phone="13700003333")
    as_user(client, world.alice)
    by_name = client.post(reverse("workers:worker_list"), {"q": "张"}, follow=True)
    assert "张甲" in html(by_name) and "李乙" not in html(by_name)
    assert "q=" in by_name.redirect_chain[-1][0], "a name search stays bookmarkable"
    by_phone = html(client.get(reverse("workers:worker_list"), {"q": "13700003333"}))
    assert "李乙" in by_phone and "张甲" not in by_phone


def test_the_full_id_number_never_appears_in_the_list_or_detail(client: Client, world: World) -> None:
    as_user(client, world.alice)
    pages = [
        html(client.get(reverse("workers:worker_list"))),
        html(client.get(reverse("workers:employment_list"))),
        html(client.get(reverse("workers:worker_detail", args=[world.worker_a.public_id]))),
    ]
    for page in pages:
        assert world.worker_a.id_number() not in page
        assert world.worker_a.id_number_masked in page


def test_an_employment_list_filter_outside_scope_is_not_applied(client: Client, world: World) -> None:
    response = as_user(client, world.bob).get(
        reverse("workers:employment_list"), {"project": str(world.p2.public_id)}
    )
    assert response.status_code == 200
    assert "王丙" not in html(response)


# --- query counts ------------------------------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    client.get(url)  # warm caches (content types, session) so only the page's own queries are counted
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", ["workers:worker_list", "workers:employment_list", "workers:contract_list"])
def test_list_pages_cost_the_same_queries_for_many_rows(
    client: Client, world: World, name: str, django_assert_max_num_queries: Any
) -> None:
    as_user(client, world.alice)
    url = reverse(name)
    services.create_contract(
        employment=Employment.objects.get(worker=world.worker_a),
        pay_type="daily",
        start_date=dt.date(2026, 3, 1),
        period_type="1",
        daily_rate=300,
    )
    baseline = _queries(client, url)
    for i in range(25):
        worker = make_worker(f"批量{i:02d}", registered_by_company=world.company_a)
        employment = employ(
            worker, world.gc_p1 if i % 2 else world.sub_b, team=world.team_a if i % 2 else None
        )
        services.create_contract(
            employment=employment,
            pay_type="daily",
            start_date=dt.date(2026, 3, 1),
            period_type="1",
            daily_rate=300,
        )
    client.get(url)
    with django_assert_max_num_queries(baseline):
        response = client.get(url)
    assert "批量" in html(response)
