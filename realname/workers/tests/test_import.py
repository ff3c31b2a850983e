from __future__ import annotations

import datetime as dt
import gc
import io
import json
import zipfile
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook
from stdnum import luhn
from stdnum.cn import ric

from realname.core import audit, synthetic
from realname.core.context import acting_as
from realname.core.models import AuditAction, AuditEntry
from realname.orgs.models import Team
from realname.testing import PASSWORD, World, new_id_number, rng
from realname.workers.excel import HEADERS
from realname.workers.importer import ImportReport, import_workers, parse_date
from realname.workers.models import BankAccount, Employment, Worker
from realname.workers.services import find_worker

pytestmark = pytest.mark.django_db


# --- building spreadsheets in the test --------------------------------------------------------------------


def person(world: World, **cells: Any) -> dict[str, Any]:
    """A valid row for the general contractor's team on P1; ``cells`` override by header."""
    _code, bank, card = synthetic.bank_card(rng())
    row: dict[str, Any] = {
        "姓名": synthetic.person_name(rng(), "M"),
        "身份证号": new_id_number(),
        "手机号": synthetic.mobile(rng()),
        "民族": "汉族",
        "工种": "砌筑工",
        "参建单位": world.company_a.name,
        "班组": world.team_a.name,
        "进场日期": "2026-03-01",
        "银行卡号": card,
        "开户银行": bank,
    }
    row.update(cells)
    return row


def xlsx(rows: list[dict[str, Any] | None], headers: list[str] | tuple[str, ...] = HEADERS) -> io.BytesIO:
    """A workbook with ``headers`` and one line per row (None = a blank line), as a file object."""
    wb = Workbook()
    ws = wb.active
    ws.title = "工人信息"
    ws.append(list(headers))
    for row in rows:
        ws.append([None] * len(headers) if row is None else [row.get(h) for h in headers])
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    buffer.name = "workers.xlsx"  # type: ignore[attr-defined]
    return buffer


def run(world: World, rows: list[dict[str, Any] | None], user: Any = None, **kwargs: Any) -> ImportReport:
    user = user if user is not None else world.alice
    with acting_as(user, via="web"):
        return import_workers(project=world.p1, source=xlsx(rows, **kwargs), user=user)


def problems(report: ImportReport) -> list[tuple[int | None, str]]:
    return [(issue.row, issue.column) for issue in report.errors]


def id_ending_in_x() -> str:
    while True:
        number = new_id_number()
        if number.endswith("X"):
            return number


# --- valid files ------------------------------------------------------------------------------------------


def test_a_valid_file_imports_every_row_in_one_go(world: World) -> None:
    rows = [person(world) for _ in range(3)]
    report = run(world, rows)
    assert report.ok and report.imported, report.as_text()
    assert (report.rows, report.workers_created, report.employments_created, report.cards_changed) == (
        3,
        3,
        3,
        3,
    )
    for row in rows:
        worker = find_worker(id_number=row["身份证号"])
        assert worker is not None and worker.name == row["姓名"]
        assert worker.registered_by_company == world.company_a
        assert worker.ethnicity == "01"
        employment = Employment.objects.get(worker=worker, project=world.p1)
        assert (employment.participant, employment.team, employment.trade, employment.role) == (
            world.gc_p1,
            world.team_a,
            "010",
            "20",
        )
        assert employment.entry_date == dt.date(2026, 3, 1)
        card = BankAccount.objects.get(worker=worker)
        assert card.is_current and card.card_number() == row["银行卡号"]
    entries = AuditEntry.objects.filter(note__startswith="Excel 导入")
    assert entries.filter(action=AuditAction.CREATE, object_type="workers.Worker").count() == 3
    assert entries.filter(action=AuditAction.CREATE, object_type="workers.BankAccount").count() == 3
    assert entries.filter(action=AuditAction.CREATE, object_type="workers.Employment").count() == 3
    assert gc.isenabled()  # paused only while the import ran
    summary = AuditEntry.objects.get(action=AuditAction.IMPORT)
    assert summary.actor == world.alice and summary.project_id == world.p1.pk
    assert summary.changes["workers_created"] == 3


def test_the_audit_entries_are_those_the_audit_module_would_write(world: World) -> None:
    row = person(world)
    assert run(world, [row]).imported
    worker = find_worker(id_number=row["身份证号"])
    assert worker is not None
    card = BankAccount.objects.get(worker=worker)
    employment = Employment.objects.get(worker=worker)
    for obj in (worker, card, employment):
        entry = AuditEntry.objects.get(action=AuditAction.CREATE, object_id=str(obj.public_id))
        assert (entry.actor, entry.actor_label, entry.via) == (world.alice, "alice", "web")
        assert entry.object_type == obj._meta.label and entry.object_repr == str(obj)
        assert (entry.project_id, entry.company_id) == audit._scope_of(obj)
        assert entry.changes == json.loads(json.dumps(audit.snapshot(obj), cls=DjangoJSONEncoder))
        assert entry.at == obj.created_at


def test_importing_the_same_file_again_changes_nothing(world: World) -> None:
    rows = [person(world) for _ in range(4)]
    assert run(world, rows).imported

    def state() -> tuple[Any, ...]:
        return (
            Worker.objects.count(),
            Employment.objects.count(),
            BankAccount.objects.count(),
            Team.objects.count(),
            AuditEntry.objects.count(),
            sorted(Worker.objects.values_list("updated_at", flat=True)),
        )

    before = state()
    again = run(world, rows)
    assert again.ok and not again.changed, again.as_text()
    assert (again.workers_created, again.workers_updated, again.employments_created, again.cards_changed) == (
        0,
        0,
        0,
        0,
    )
    assert state() == before


def test_it_reads_dates_in_the_forms_real_spreadsheets_hold(world: World) -> None:
    rows = [
        person(world, 进场日期=46082),  # Excel serial number of 2026-03-01
        person(world, 进场日期="2026年3月1日"),
        person(world, 进场日期=dt.datetime(2026, 3, 1)),  # noqa: DTZ001 - Excel cells hold naive datetimes
        person(world, 进场日期="2026/3/1"),
        person(world, 进场日期="20260301"),
    ]
    report = run(world, rows)
    assert report.ok, report.as_text()
    assert set(
        Employment.objects.filter(project=world.p1, team=world.team_a).values_list("entry_date", flat=True)
    ) == {dt.date(2026, 3, 1)}


@pytest.mark.parametrize(
    "value",
    [
        "2026-03-01",
        "2026/3/1",
        "2026.3.1",
        "2026年3月1日",
        "20260301",
        46082,
        46082.0,
        20260301,
        " 2026-03-01\u3000",
    ],
)
def test_parse_date_understands_every_tolerated_form(value: Any) -> None:
    assert parse_date(value) == dt.date(2026, 3, 1)


def test_full_width_spaces_and_a_lower_case_x_are_tolerated(world: World) -> None:
    number = id_ending_in_x()
    row = person(world, 姓名="\u3000张 三 ", 身份证号=f"\u3000{number.lower()} ", 工种=" 010\u3000")
    report = run(world, [row])
    assert report.ok, report.as_text()
    worker = find_worker(id_number=number)
    assert worker is not None and worker.name == "张 三"


def test_trade_is_taken_by_code_or_by_name_and_ethnicity_with_or_without_zu(world: World) -> None:
    rows = [
        person(world, 工种="020", 民族="汉"),
        person(world, 工种="钢筋工", 民族="汉族"),
        person(world, 工种=20),
    ]
    report = run(world, rows)
    assert report.ok, report.as_text()
    trades = {
        Employment.objects.get(worker=find_worker(id_number=r["身份证号"]), project=world.p1).trade
        for r in rows
    }
    assert trades == {"020"}


def test_the_participant_is_found_by_credit_code_or_by_exact_name(world: World) -> None:
    rows = [
        person(world, 参建单位=world.company_b.credit_code, 班组=world.team_b.name),
        person(world, 参建单位=f" {world.company_b.name} ", 班组=""),
    ]
    report = run(world, rows)
    assert report.ok, report.as_text()
    for row in rows:
        employment = Employment.objects.get(worker=find_worker(id_number=row["身份证号"]), project=world.p1)
        assert employment.participant == world.sub_b


def test_an_unknown_team_is_created_under_the_rows_participant(world: World) -> None:
    rows = [person(world, 班组="甲模板班"), person(world, 班组="甲模板班")]
    report = run(world, rows)
    assert report.ok, report.as_text()
    team = Team.objects.get(project=world.p1, name="甲模板班")
    assert team.participant == world.gc_p1
    assert report.teams_created == ["甲模板班"]
    assert any("新建班组" in notice for notice in report.notices)
    assert Employment.objects.filter(team=team).count() == 2


def test_blank_rows_are_skipped_and_rows_are_numbered_as_in_the_spreadsheet(world: World) -> None:
    rows = [person(world), None, person(world, 工种="不存在的工种"), None, None, None]
    report = run(world, rows)
    assert problems(report) == [(4, "工种")]
    assert report.rows == 2


def test_columns_may_come_in_any_order_with_spaced_headers_and_extra_columns(world: World) -> None:
    headers = ["进场日期", " 工 种 ", "参建单位", "备注", "证件号码", "姓名*"]
    row = person(world)
    row.update({" 工 种 ": row["工种"], "证件号码": row["身份证号"], "姓名*": row["姓名"], "备注": "随便写"})
    report = run(world, [row], headers=headers)
    assert report.ok, report.as_text()
    assert any("备注" in notice for notice in report.notices)
    assert find_worker(id_number=row["身份证号"]) is not None


def exact_numbers(buffer: io.BytesIO, numbers: dict[float, str]) -> io.BytesIO:
    """The workbook with placeholder numbers replaced by exact long integers, as some programs write them
    (openpyxl itself writes at most 16 significant digits)."""
    source = zipfile.ZipFile(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                for placeholder, digits in numbers.items():
                    data = data.replace(f"<v>{placeholder}</v>".encode(), f"<v>{digits}</v>".encode())
            target.writestr(item, data)
    out.seek(0)
    return out


def test_a_number_stored_as_an_exact_integer_is_accepted_with_a_warning(world: World) -> None:
    number = new_id_number()
    while number.endswith("X"):
        number = new_id_number()
    row = person(world, 身份证号=1234.5, 手机号=int("13812345678"))
    source = exact_numbers(xlsx([row]), {1234.5: number})
    with acting_as(world.alice):
        report = import_workers(project=world.p1, source=source, user=world.alice)
    assert report.ok, report.as_text()
    assert any("数字格式" in w.message for w in report.warnings)
    worker = find_worker(id_number=number)
    assert worker is not None and worker.phone == "13812345678"


# --- files with problems ----------------------------------------------------------------------------------


def test_one_bad_row_means_nothing_is_imported_and_every_problem_is_listed(world: World) -> None:
    good = person(world)
    bad_checksum = person(world)
    bad_checksum["身份证号"] = bad_checksum["身份证号"][:17] + (
        "0" if bad_checksum["身份证号"][17] != "0" else "1"
    )
    rows = [good, bad_checksum, person(world, 工种="飞行员", 进场日期="三月一日"), person(world, 姓名="")]
    workers, audit = Worker.objects.count(), AuditEntry.objects.count()
    report = run(world, rows)
    assert not report.ok and not report.imported
    assert problems(report) == [(3, "身份证号"), (4, "工种"), (4, "进场日期"), (5, "姓名")]
    assert "校验位" in report.errors[0].message
    assert "未导入任何数据" in report.summary()
    assert (Worker.objects.count(), AuditEntry.objects.count()) == (workers, audit)
    assert find_worker(id_number=good["身份证号"]) is None


def test_it_rejects_an_id_of_the_wrong_length(world: World) -> None:
    report = run(world, [person(world, 身份证号="11010519491231002")])
    assert problems(report) == [(2, "身份证号")]
    assert "18位" in report.errors[0].message


@pytest.mark.parametrize("value", [1.1010519491231002e17, "1.10105E+17", "1.10105e+17"])
def test_an_id_that_excel_turned_into_a_number_is_reported_as_such(world: World, value: Any) -> None:
    report = run(world, [person(world, 身份证号=value)])
    assert problems(report) == [(2, "身份证号")]
    message = report.errors[0].message
    assert "数字" in message and "丢失" in message and "文本" in message
    assert report.errors[0].value == "1.10105E+17"


def test_a_bank_card_that_excel_turned_into_a_number_is_reported(world: World) -> None:
    report = run(world, [person(world, 银行卡号=6.22202123456789e18)])
    assert problems(report) == [(2, "银行卡号")]
    assert "文本" in report.errors[0].message


def test_the_report_masks_every_sensitive_number(world: World) -> None:
    bad = person(world)
    number = bad["身份证号"]
    bad["身份证号"] = number[:17] + ("0" if number[17] != "0" else "1")
    bad_card = "6222021234567890123456789"  # passes the format, then a duplicate below
    rows = [
        bad,
        person(world, 银行卡号="12345"),
        person(world, 银行卡号=bad_card),
        person(world, 银行卡号=bad_card),
    ]
    report = run(world, rows)
    text = report.as_text() + repr(report)
    assert bad["身份证号"] not in text
    assert "12345" not in text.replace("*", "")
    assert bad_card not in text
    assert report.errors[0].value == bad["身份证号"][:6] + "********" + bad["身份证号"][-4:]


def test_an_unknown_participant_is_a_row_error(world: World) -> None:
    report = run(world, [person(world, 参建单位="不存在的公司")])
    assert problems(report) == [(2, "参建单位")]
    assert "参建单位不存在或无权限" in report.errors[0].message


def test_bob_cannot_import_into_the_general_contractors_participant(world: World) -> None:
    outside = run(world, [person(world)], user=world.bob)
    unknown = run(world, [person(world, 参建单位="不存在的公司")], user=world.bob)
    assert problems(outside) == [(2, "参建单位")]
    # Refused exactly like a company that does not exist: the message does not tell it is there.
    assert outside.errors[0].message == unknown.errors[0].message
    assert Worker.objects.count() == 3


def test_a_user_who_may_not_change_workers_on_the_project_is_refused(world: World) -> None:
    with pytest.raises(PermissionDenied), acting_as(world.reggie):
        import_workers(project=world.p1, source=xlsx([person(world)]), user=world.reggie)


def test_bob_imports_people_for_his_own_participant(world: World) -> None:
    row = person(world, 参建单位=world.company_b.name, 班组=world.team_b.name)
    report = run(world, [row], user=world.bob)
    assert report.ok, report.as_text()
    employment = Employment.objects.get(worker=find_worker(id_number=row["身份证号"]), project=world.p1)
    assert employment.participant == world.sub_b


def test_a_team_of_another_participant_is_an_error(world: World) -> None:
    report = run(world, [person(world, 参建单位=world.company_b.name, 班组=world.team_a.name)])
    assert problems(report) == [(2, "班组")]


def test_the_same_id_twice_in_one_file_names_the_first_row(world: World) -> None:
    first = person(world)
    report = run(world, [first, person(world), person(world, 身份证号=first["身份证号"].lower())])
    assert problems(report) == [(4, "身份证号")]
    assert "第 2 行" in report.errors[0].message


def test_missing_required_columns_are_one_clear_error(world: World) -> None:
    headers = [h for h in HEADERS if h not in {"工种", "进场日期"}]
    report = run(world, [person(world)], headers=headers)
    assert len(report.errors) == 1
    assert "缺少必填列" in report.errors[0].message and "工种" in report.errors[0].message


def test_a_file_that_is_not_xlsx_is_refused_clearly(world: World) -> None:
    with acting_as(world.alice):
        report = import_workers(project=world.p1, source=io.BytesIO(b"name,id\n"), user=world.alice)
    assert not report.ok and ".xlsx" in report.errors[0].message


def test_a_file_over_the_row_limit_is_refused(world: World, settings: Any) -> None:
    settings.REALNAME_IMPORT_MAX_ROWS = 2
    report = run(world, [person(world) for _ in range(3)])
    assert not report.ok and "上限" in report.errors[0].message
    assert Worker.objects.count() == 3  # the world's own


def test_a_dry_run_validates_but_writes_nothing(world: World) -> None:
    before = (Worker.objects.count(), AuditEntry.objects.count())
    with acting_as(world.alice):
        report = import_workers(
            project=world.p1, source=xlsx([person(world)]), user=world.alice, dry_run=True
        )
    assert report.ok and report.workers_created == 1 and not report.imported
    assert (Worker.objects.count(), AuditEntry.objects.count()) == before


# --- people already in the registry -----------------------------------------------------------------------


def test_an_existing_worker_is_updated_with_the_non_blank_values_that_differ(world: World) -> None:
    worker = world.worker_a
    worker.address = "北京市朝阳区"
    worker.save()
    number = worker.id_number()
    row = person(
        world, 姓名=worker.name, 身份证号=number, 手机号="13900001111", 住址=None, 民族=None, 工种="钢筋工"
    )
    report = run(world, [row])
    assert report.ok, report.as_text()
    assert (report.workers_created, report.workers_updated, report.employments_updated) == (0, 1, 1)
    worker.refresh_from_db()
    assert worker.phone == "13900001111" and worker.address == "北京市朝阳区"
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_type="workers.Worker")
    assert entry.changes == {"phone": ["", "13900001111"]}
    assert entry.actor == world.alice
    employment = Employment.objects.get(worker=worker, project=world.p1, status="active")
    assert employment.trade == "020"


def test_a_worker_on_site_under_another_participant_is_an_error(world: World) -> None:
    number = world.worker_b.id_number()
    report = run(world, [person(world, 身份证号=number)])
    assert problems(report) == [(2, "参建单位")]
    assert "请先办理退场" in report.errors[0].message


def test_a_new_card_becomes_current_and_the_old_one_is_kept(world: World) -> None:
    row = person(world)
    run(world, [row])
    _code, bank, new_card = synthetic.bank_card(rng())
    report = run(world, [{**row, "银行卡号": new_card, "开户银行": bank}])
    assert report.ok and report.cards_changed == 1, report.as_text()
    worker = find_worker(id_number=row["身份证号"])
    cards = {a.card_number(): a.is_current for a in BankAccount.objects.filter(worker=worker)}
    assert cards == {row["银行卡号"]: False, new_card: True}
    # going back to the first card makes it current again, without a third row
    assert run(world, [row]).cards_changed == 1
    cards = {a.card_number(): a.is_current for a in BankAccount.objects.filter(worker=worker)}
    assert cards == {row["银行卡号"]: True, new_card: False}


def test_an_unknown_area_code_and_a_non_luhn_card_are_warnings_not_errors(world: World) -> None:
    body = "990101198001011" + "23"
    number = body + ric.calc_check_digit(body + "0")
    card = "622202123456789012"
    card += "0" if not luhn.is_valid(card + "0") else "1"
    report = run(world, [person(world, 身份证号=number, 银行卡号=card)])
    assert report.ok, report.as_text()
    messages = [(w.column, w.message) for w in report.warnings]
    assert any(column == "身份证号" and "地区码" in message for column, message in messages)
    assert any(column == "银行卡号" and "Luhn" in message for column, message in messages)
    assert number not in report.as_text() and card not in report.as_text()


def test_an_active_employment_elsewhere_is_a_warning_not_an_error(world: World) -> None:
    number = world.worker_c.id_number()  # on P2
    report = run(world, [person(world, 身份证号=number)])
    assert report.ok, report.as_text()
    assert any("其他项目" in w.message for w in report.warnings)
    assert "P2" not in report.as_text()


# --- the page ---------------------------------------------------------------------------------------------


def login(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def upload(rows: list[dict[str, Any] | None], name: str = "workers.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, xlsx(rows).getvalue())


def test_the_import_page_imports_an_upload_and_links_to_the_roster(world: World) -> None:
    client = login(world.alice)
    url = reverse("workers:import") + f"?project={world.p1.public_id}"
    page = client.get(url)
    assert page.status_code == 200
    assert reverse("workers:import_template") + f"?project={world.p1.public_id}" in page.content.decode()
    response = client.post(url, {"project": str(world.p1.public_id), "file": upload([person(world)])})
    html = response.content.decode()
    assert response.status_code == 200
    assert "导入成功" in html
    assert reverse("workers:worker_list") + f"?project={world.p1.public_id}" in html
    assert Worker.objects.count() == 4


def test_the_import_page_lists_the_problems_without_full_numbers(world: World) -> None:
    client = login(world.alice)
    bad = person(world)
    bad["身份证号"] = bad["身份证号"][:17] + ("0" if bad["身份证号"][17] != "0" else "1")
    url = reverse("workers:import") + f"?project={world.p1.public_id}"
    response = client.post(url, {"project": str(world.p1.public_id), "file": upload([person(world), bad])})
    html = response.content.decode()
    assert "校验位" in html and "<td>3</td>" in html
    assert bad["身份证号"] not in html
    assert Worker.objects.count() == 3


def test_the_import_page_asks_for_a_project_when_none_is_chosen(world: World) -> None:
    client = login(world.alice)
    assert 'id="import-form"' in client.get(reverse("workers:import")).content.decode()
    response = client.post(reverse("workers:import"), {"file": upload([person(world)])})
    assert "请选择项目" in response.content.decode()
    assert Worker.objects.count() == 3


def test_the_import_page_refuses_other_file_types_and_big_files(world: World, monkeypatch: Any) -> None:
    client = login(world.alice)
    url = reverse("workers:import") + f"?project={world.p1.public_id}"
    response = client.post(url, {"file": SimpleUploadedFile("workers.xls", b"old excel")})
    assert ".xlsx" in response.content.decode()
    monkeypatch.setattr("realname.workers.views_excel.MAX_UPLOAD_BYTES", 10)
    response = client.post(url, {"file": upload([person(world)])})
    assert "10 MB" in response.content.decode()
    assert Worker.objects.count() == 3


def test_charlie_gets_404_for_p1s_import_template_and_export(world: World) -> None:
    client = login(world.charlie)
    query = f"?project={world.p1.public_id}"
    assert client.get(reverse("workers:import") + query).status_code == 404
    assert (
        client.post(reverse("workers:import") + query, {"file": upload([person(world)])}).status_code == 404
    )
    assert client.get(reverse("workers:import_template") + query).status_code == 404
    assert client.get(reverse("workers:export") + query).status_code == 404
    assert Worker.objects.count() == 3
    # his own project works
    assert (
        client.get(reverse("workers:import_template") + f"?project={world.p2.public_id}").status_code == 200
    )
