"""The monthly attendance sheet (考勤表) of a team: a hand-built May 2026 (Labour Day holidays, a 调休
Saturday, a mid-month entry and an exit) gives the expected symbols and totals, in a fixed number of
queries; the page, the print view and the Excel file show the same sheet; scope decides the rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from realname.accounts.models import Membership, ScopeKind, User
from realname.accounts.roles import Role
from realname.attendance import daycalc, monthly, services
from realname.attendance.days import DEFAULT_DAY_RULES
from realname.attendance.models import AccessEvent, Device, DeviceKind
from realname.attendance.monthly_excel import (
    CONFIRM_HEADER,
    FIRST_DATA_ROW,
    FIRST_DAY_COLUMN,
    HEADER_ROW,
    TOTAL_COLUMNS,
)
from realname.core.models import AuditEntry
from realname.orgs import services as org_services
from realname.orgs.models import Team
from realname.testing import PASSWORD, World, employ, make_worker
from realname.workers import services as worker_services
from realname.workers.models import Employment

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
MAY = dt.date(2026, 5, 1)
_keys = count()


def may(day: int) -> dt.date:
    return dt.date(2026, 5, day)


@dataclass
class Month:
    """May 2026 on P1's team_a: wendy's worker_a (every kind of day), 钱退 who exits on the 6th and
    孙进 who enters on the 11th; plus worker_b on team_b (bob's) for scope."""

    world: World
    device: Device
    a: Employment
    b: Employment
    leaver: Employment
    joiner: Employment


def punch(
    month: Month | tuple[World, Device], employment: Employment, day: dt.date, hm: str, direction: str
) -> AccessEvent:
    world, device = (month.world, month.device) if isinstance(month, Month) else month
    hour, minute = (int(x) for x in hm.split(":"))
    at = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)
    return AccessEvent.objects.create(
        project=world.p1,
        device=device,
        device_event_key=f"m{next(_keys)}",
        person_ref=str(employment.pk),
        person_ref_kind="pin",
        employment=employment,
        worker_id=employment.worker_id,
        occurred_at=at,
        direction=direction,
        method="003",
        source="zkteco",
        received_at=at,
        device_local_time=f"{day.isoformat()} {hm}:00",
    )


def day(
    site: Month | tuple[World, Device], employment: Employment, on: dt.date, *spans: tuple[str, str | None]
) -> None:
    """Punches for ``employment`` on ``on``: each span an in and (unless None) an out."""
    for start, end in spans:
        punch(site, employment, on, start, "01")
        if end is not None:
            punch(site, employment, on, end, "02")


def build_month(world: World) -> Month:
    device = services.register_device(project=world.p1, kind=DeviceKind.ZKTECO, serial="ZKM1", area="东门")
    a = Employment.objects.get(worker=world.worker_a, project=world.p1)
    b = Employment.objects.get(worker=world.worker_b, project=world.p1)
    leaver = employ(
        make_worker("钱退", registered_by_company=world.company_a), world.gc_p1, team=world.team_a
    )
    leaver = worker_services.register_exit(employment=leaver, exit_date=may(6))
    joiner = employ(
        make_worker("孙进", registered_by_company=world.company_a),
        world.gc_p1,
        team=world.team_a,
        entry_date=may(11),
    )
    site = (world, device)
    day(site, a, may(2), ("08:00", "17:00"))  # 劳动节, worked: 8 h holiday overtime
    day(site, a, may(6), ("07:55", "17:05"))  # present, 8.17 h
    day(site, a, may(7), ("08:17", "17:30"))  # late, 8.22 h
    day(site, a, may(8), ("08:00", "13:30"))  # half day and early leave, 4.50 h
    day(site, a, may(11), ("07:00", "16:30"))  # early leave, 8.50 h
    day(site, a, may(12), ("08:00", None))  # in only: missing punch
    day(site, a, may(13), ("08:00", "10:00"))  # 2 h: absent
    day(site, b, may(7), ("07:50", "17:10"))  # team_b, present
    day(site, leaver, may(6), ("07:58", "17:00"))  # present, then exits that day
    day(site, joiner, may(11), ("07:59", "17:02"))  # first day on site
    daycalc.recompute_days(employment=a, dates=[may(n) for n in (2, 6, 7, 8, 11, 12, 13)])
    daycalc.recompute_days(employment=b, dates=[may(7)])
    daycalc.recompute_days(employment=leaver, dates=[may(6)])
    daycalc.recompute_days(employment=joiner, dates=[may(11)])
    for n in (1, 3, 9):  # the nightly close: 劳动节, a Sunday, the 调休 Saturday
        daycalc.close_day(project=world.p1, work_date=may(n))
    return Month(world, device, a, b, leaver, joiner)


@pytest.fixture
def month(world: World) -> Month:
    return build_month(world)


def team_of(team: Team) -> Team:
    return Team.objects.select_related("project", "participant__company", "leader").get(pk=team.pk)


def symbols(row: monthly.SheetRow, days: range) -> list[str]:
    return [row.cells[n - 1].symbol for n in days]


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def sheet_url(team: Team, name: str = "attendance:monthly") -> str:
    return reverse(name, args=[team.public_id]) + "?month=2026-05"


def team_leader(world: World) -> User:
    """worker_b made 班组长 of team_b, with a login: a team leader of company B (only team_b's people)."""
    user = User.objects.create_user(username="tina", password=PASSWORD)
    Membership.objects.create(
        user=user, role=Role.TEAM_LEADER, scope_kind=ScopeKind.COMPANY, company=world.company_b
    )
    world.worker_b.user = user
    world.worker_b.save(update_fields=["user"])
    org_services.update_team(team=world.team_b, leader=world.worker_b)
    return user


# --- the sheet as data --------------------------------------------------------------------------------------


def test_the_month_gives_the_expected_symbols_for_every_kind_of_day(month: Month) -> None:
    sheet = monthly.build_sheet(month.world.admin, team=team_of(month.world.team_a), month=MAY)

    assert [r.worker_name for r in sheet.rows] == ["张甲", "钱退", "孙进"]
    a, leaver, joiner = sheet.rows
    assert symbols(a, range(1, 15)) == [
        "节",
        "加",
        "休",
        "—",
        "—",
        "√",
        "迟",
        "半",
        "×",
        "—",
        "早",
        "缺",
        "×",
        "—",
    ]
    # Exit on the 6th: employed through that day, blank after; the close gave the holiday and the Sunday.
    assert symbols(leaver, range(1, 9)) == ["节", "—", "休", "—", "—", "√", "", ""]
    assert all(cell.symbol == "" for cell in leaver.cells[6:])
    # Entry on the 11th: blank before, present on the day, not yet computed after.
    assert symbols(joiner, range(9, 13)) == ["", "", "√", "—"]
    assert joiner.note == "05-11 进场"
    assert leaver.note == "05-06 退场"
    assert a.note == ""


def test_the_month_gives_the_expected_totals_per_worker_and_per_day(month: Month) -> None:
    sheet = monthly.build_sheet(month.world.admin, team=team_of(month.world.team_a), month=MAY)
    a, leaver, joiner = sheet.rows

    # 2nd 1 (8 h on a holiday) + 6th 1 + 7th 1 (late) + 8th 0.5 + 11th 1 (early); missing punch, absences 0.
    assert a.totals.attendance_days == Decimal("4.5")
    assert a.totals.days_text == "4.5"
    assert a.totals.hours == Decimal("39.39")  # 8 + 8.17 + 8.22 + 4.50 + 8.50 + 0 + 2
    assert a.totals.overtime_workday == Decimal("0.89")  # 0.17 + 0.22 + 0.50
    assert a.totals.overtime_rest_day == Decimal("0")
    assert a.totals.overtime_holiday == Decimal("8.00")
    assert (a.totals.late, a.totals.early, a.totals.absent, a.totals.missing) == (1, 2, 2, 1)
    assert leaver.totals.attendance_days == 1
    assert joiner.totals.attendance_days == 1

    assert sheet.headcount[0] == 0  # 劳动节, nobody worked
    assert sheet.headcount[1] == 1  # wendy on the holiday
    assert sheet.headcount[5] == 2  # the 6th: wendy and the leaver
    assert sheet.headcount[10] == 2  # the 11th: wendy (early) and the joiner
    assert sheet.headcount[11] == 0  # the 12th: only a missing punch
    assert sheet.totals.attendance_days == Decimal("6.5")
    assert sheet.totals.late == 1


def test_the_days_carry_the_holiday_calendar_and_the_title_names_project_team_and_month(month: Month) -> None:
    sheet = monthly.build_sheet(month.world.admin, team=team_of(month.world.team_a), month=MAY)

    assert len(sheet.days) == 31
    assert (sheet.days[0].kind, sheet.days[0].mark, sheet.days[0].name) == ("holiday", "节", "劳动节")
    assert (sheet.days[8].kind, sheet.days[8].mark) == ("adjusted_workday", "班")  # 调休上班 Saturday
    assert sheet.days[2].mark == "休" and sheet.days[2].weekday == "日"
    assert sheet.days[5].mark == "" and not sheet.days[5].is_rest
    assert sheet.title == "项目P1 甲钢筋班 2026年05月 考勤表"


def test_building_the_sheet_costs_the_same_queries_whatever_the_team_size(world: World) -> None:
    build = build_month(world)
    team = team_of(world.team_a)
    with CaptureQueriesContext(connection) as small:
        monthly.build_sheet(world.admin, team=team, month=MAY)
    for name in ("周一", "周二", "周三", "周四"):
        extra = employ(
            make_worker(name, registered_by_company=world.company_a), world.gc_p1, team=world.team_a
        )
        day((world, build.device), extra, may(6), ("08:00", "17:00"))
        daycalc.recompute_days(employment=extra, dates=[may(6)])
    with CaptureQueriesContext(connection) as large:
        sheet = monthly.build_sheet(world.admin, team=team, month=MAY)
    assert len(sheet.rows) == 7
    # employments, rules, holiday overrides, DayRecords (the superuser needs no membership lookups)
    assert len(large.captured_queries) == len(small.captured_queries) <= 4


@pytest.mark.parametrize(
    ("statuses", "hours", "symbol", "credit"),
    [
        (["present"], "8.00", "√", "1"),
        (["late"], "8.10", "迟", "1"),
        (["early_leave"], "8.10", "早", "1"),
        (["late", "early_leave"], "8.00", "迟早", "1"),
        (["late", "half_day"], "6.00", "半", "0.5"),
        (["absent"], "1.00", "×", "0"),
        (["missing_punch"], "0.00", "缺", "0"),
        (["late", "missing_punch"], "9.00", "缺", "1"),
        (["half_day", "missing_punch"], "5.00", "缺", "0.5"),
        (["rest_day"], "0.00", "休", "0"),
        (["holiday"], "0.00", "节", "0"),
        (["rest_day"], "5.00", "加", "0.5"),
        (["holiday"], "10.00", "加", "1"),
        (["rest_day", "missing_punch"], "0.00", "缺", "0"),
    ],
)
def test_each_combination_of_statuses_has_one_symbol_and_a_credit(
    statuses: list[str], hours: str, symbol: str, credit: str
) -> None:
    assert monthly.day_symbol(statuses, Decimal(hours)) == symbol
    assert monthly.day_credit(statuses, Decimal(hours), DEFAULT_DAY_RULES) == Decimal(credit)


def test_a_month_is_written_yyyy_mm() -> None:
    assert monthly.parse_month("2026-05") == MAY
    assert monthly.parse_month(" 2026-5 ") == MAY
    for bad in ("2026-13", "2026/05", "May", "", "2026-05-01"):
        with pytest.raises(ValueError):
            monthly.parse_month(bad)
    assert monthly.shift_month(dt.date(2026, 1, 1), -1) == dt.date(2025, 12, 1)
    assert monthly.shift_month(dt.date(2026, 12, 1), 1) == dt.date(2027, 1, 1)
    assert monthly.month_end(dt.date(2028, 2, 1)) == dt.date(2028, 2, 29)


# --- the page, the print view, the Excel file -----------------------------------------------------------


def test_the_page_shows_the_grid_the_totals_and_the_legend(month: Month) -> None:
    response = client_for(month.world.alice).get(sheet_url(month.world.team_a))

    assert response.status_code == 200
    html = response.content.decode()
    assert "项目P1 甲钢筋班 2026年05月 考勤表" in html
    assert "张甲" in html and "钱退" in html and "孙进" in html
    assert "05-11 进场" in html
    assert "图例" in html and "缺卡，需补卡" in html
    assert ">4.5<" in html and ">39.39<" in html
    detail = reverse("attendance:day_detail", args=[month.a.public_id, "2026-05-07"])
    assert detail in html  # each computed day links to its explanation
    assert reverse("attendance:monthly_xlsx", args=[month.world.team_a.public_id]) in html


def test_a_bad_month_parameter_falls_back_to_the_current_month(month: Month) -> None:
    url = reverse("attendance:monthly", args=[month.world.team_a.public_id]) + "?month=garbage"
    response = client_for(month.world.alice).get(url)
    assert response.status_code == 200
    today = monthly.local_today(month.world.p1)
    assert response.context["sheet"].month == today.replace(day=1)


def test_the_print_page_has_signature_lines_and_a_worker_confirmation_column(month: Month) -> None:
    response = client_for(month.world.alice).get(sheet_url(month.world.team_a, "attendance:monthly_print"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "班组长（签字）" in html
    assert "劳务管理员（签字）" in html
    assert "工人确认签字" in html
    assert "size: A4 landscape" in html
    assert "张甲" in html and "4.5" in html
    # No links inside the printed grid.
    assert reverse("attendance:day_detail", args=[month.a.public_id, "2026-05-07"]) not in html


def _cells(ws, row: int) -> list[object]:  # type: ignore[no-untyped-def]
    return [ws.cell(row, col).value for col in range(1, ws.max_column + 1)]


def test_the_excel_file_shows_the_same_sheet_and_is_audited(month: Month) -> None:
    client = client_for(month.world.alice)
    response = client.get(sheet_url(month.world.team_a, "attendance:monthly_xlsx"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''" in disposition
    assert "%E8%80%83%E5%8B%A4%E8%A1%A8.xlsx" in disposition  # 考勤表.xlsx, RFC 5987 encoded

    wb = load_workbook(BytesIO(response.content))
    ws = wb.active
    assert ws["A1"].value == "项目P1 甲钢筋班 2026年05月 考勤表"
    header = _cells(ws, HEADER_ROW)
    assert header[:3] == ["序号", "姓名", "工种"]
    assert header[FIRST_DAY_COLUMN - 1 : FIRST_DAY_COLUMN + 2] == [1, 2, 3]
    first_total = FIRST_DAY_COLUMN + 31
    assert header[first_total - 1 : first_total - 1 + len(TOTAL_COLUMNS)] == [h for h, _a in TOTAL_COLUMNS]
    assert header[-1] == CONFIRM_HEADER
    assert ws.cell(HEADER_ROW + 1, FIRST_DAY_COLUMN).value == "五\n节"  # Friday, 劳动节

    a_row = _cells(ws, FIRST_DATA_ROW)
    assert a_row[1] == "张甲"
    assert a_row[FIRST_DAY_COLUMN - 1 : FIRST_DAY_COLUMN - 1 + 14] == [
        "节", "加", "休", "—", "—", "√", "迟", "半", "×", "—", "早", "缺", "×", "—",
    ]  # fmt: skip
    totals = dict(zip([h for h, _a in TOTAL_COLUMNS], a_row[first_total - 1 :], strict=False))
    assert totals["出勤天数"] == 4.5
    assert totals["工时"] == pytest.approx(39.39)
    assert totals["工作日加班"] == pytest.approx(0.89)
    assert totals["节假日加班"] == 8
    assert (totals["迟到次数"], totals["早退次数"], totals["缺勤天数"]) == (1, 2, 2)
    assert _cells(ws, FIRST_DATA_ROW + 1)[1] == "钱退\n05-06 退场"
    headcount = _cells(ws, FIRST_DATA_ROW + 3)
    assert headcount[0] == "出勤人数 / 合计"
    assert headcount[FIRST_DAY_COLUMN - 1 + 5] == 2  # the 6th

    text = " ".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v)
    assert "班组长（签字）" in text and "劳务管理员（签字）" in text and "日期" in text
    assert "图例" in text
    assert ws.page_setup.orientation == "landscape"
    assert str(ws.page_setup.paperSize) == "9"  # A4
    assert ws.freeze_panes == "D5"

    entry = AuditEntry.objects.get(action="export", object_type="orgs.Team")
    assert entry.object_id == str(month.world.team_a.public_id)
    assert entry.changes == {"month": "2026-05", "rows": 3, "format": "xlsx"}
    assert entry.actor == month.world.alice


# --- scope ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["attendance:monthly", "attendance:monthly_print", "attendance:monthly_xlsx"]
)
def test_charlie_gets_404_for_another_companys_team(month: Month, name: str) -> None:
    response = client_for(month.world.charlie).get(sheet_url(month.world.team_a, name))
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="export").exists()


def test_bob_sees_his_companys_team_and_not_the_general_contractors(month: Month) -> None:
    client = client_for(month.world.bob)
    assert client.get(sheet_url(month.world.team_a)).status_code == 404
    response = client.get(sheet_url(month.world.team_b))
    assert response.status_code == 200
    sheet = response.context["sheet"]
    assert [r.worker_name for r in sheet.rows] == ["李乙"]
    assert sheet.rows[0].cells[6].symbol == "√"
    assert client.get(sheet_url(month.world.team_b, "attendance:monthly_xlsx")).status_code == 200


def test_a_team_leader_sees_their_own_team_only(month: Month) -> None:
    other = org_services.create_team(participant=month.world.sub_b, name="乙瓦工班")
    leader = team_leader(month.world)
    client = client_for(leader)
    response = client.get(sheet_url(month.world.team_b))
    assert response.status_code == 200
    assert [r.worker_name for r in response.context["sheet"].rows] == ["李乙"]
    assert client.get(sheet_url(other)).status_code == 404
    assert client.get(sheet_url(month.world.team_a)).status_code == 404
    assert client_for(month.world.bob).get(sheet_url(other)).status_code == 200


def test_a_worker_sees_only_their_own_row_and_cannot_export(month: Month) -> None:
    client = client_for(month.world.wendy)
    response = client.get(sheet_url(month.world.team_a))
    assert response.status_code == 200
    assert [r.worker_name for r in response.context["sheet"].rows] == ["张甲"]
    assert response.context["can_export"] is False
    assert client.get(sheet_url(month.world.team_a, "attendance:monthly_xlsx")).status_code == 403
    assert client.get(sheet_url(month.world.team_b)).status_code == 404


def test_the_pages_need_a_login(month: Month) -> None:
    response = Client().get(sheet_url(month.world.team_a))
    assert response.status_code == 302
    assert "/login" in response["Location"]
