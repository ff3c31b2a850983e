"""The attendance settings pages: project rules and team overrides (validation in Chinese, optional
recomputation of the days they change) and the platform's holiday overrides (the calendar's resulting kind).
alice (general contractor of P1) sets P1's rules; bob and charlie cannot; only platform admins edit the
holiday calendar."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from realname.accounts.models import User
from realname.attendance import daycalc, services, setup
from realname.attendance.days import AttendanceRules, DayRecord, HolidayOverride
from realname.attendance.models import DeviceKind
from realname.attendance.tests.test_ingest import punch
from realname.core.models import AuditAction, AuditEntry
from realname.testing import World
from realname.workers.models import Employment

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")

RULES: dict[str, Any] = {
    "work_day_start": "04:00",
    "shift_start": "07:30",
    "shift_end": "17:30",
    "break_start": "12:00",
    "break_end": "13:00",
    "late_grace_min": "5",
    "early_grace_min": "5",
    "full_day_hours": "8",
    "half_day_hours": "4",
    "debounce_min": "2",
    "max_day_hours": "11",
    "auto_mode": "none",
    "auto_hours": "",
    "recompute_from": "",
}


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rules_url(world: World) -> str:
    return reverse("attendance:project_rules", args=[world.p1.public_id])


def team_url(world: World) -> str:
    return reverse("attendance:team_rules", args=[world.team_a.public_id])


def errors(response: Any) -> dict[str, list[str]]:
    return {name: [str(e) for e in errs] for name, errs in response.context["form"].errors.items()}


# --- project rules -----------------------------------------------------------------------------------------


def test_a_project_without_rules_shows_the_platform_defaults(world: World) -> None:
    response = login(world.alice).get(rules_url(world))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["shift_start"].value() == dt.time(8, 0) and form["auto_mode"].value() == "none"
    assert "平台默认值" in response.content.decode()


def test_alice_saves_the_project_rules_and_they_are_audited(world: World) -> None:
    response = login(world.alice).post(rules_url(world), {**RULES, "auto_mode": "hours", "auto_hours": "10"})
    assert response.status_code == 302
    row = AttendanceRules.objects.get(project=world.p1, team=None)
    assert (row.shift_start, row.late_grace_min, row.auto_clock_out) == (dt.time(7, 30), 5, "hours:10")
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, object_id=str(row.public_id)).exists()

    # Saved again with a change: an update of the same row, audited with the difference.
    login(world.alice).post(rules_url(world), {**RULES, "auto_mode": "shift_end"})
    row.refresh_from_db()
    assert row.auto_clock_out == "shift_end"
    update = AuditEntry.objects.get(action=AuditAction.UPDATE, object_id=str(row.public_id))
    assert update.changes["auto_clock_out"] == ["hours:10", "shift_end"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"half_day_hours": "9"}, "half_day_hours", "半天工时须大于 0 且不超过全天工时"),
        ({"shift_end": "07:30"}, "shift_end", "上班时间与下班时间不能相同"),
        ({"break_end": ""}, "break_end", "休息开始与结束须同时填写（或同时留空），且不能相同"),
        ({"auto_mode": "hours"}, "auto_hours", "请填写自动出场的小时数"),
        ({"work_day_start": "10:00"}, "work_day_start", "班次跨越了工作日起始时间，请调整工作日起始时间"),
    ],
)
def test_contradicting_rules_are_refused_in_chinese(
    world: World, change: dict[str, str], field: str, message: str
) -> None:
    response = login(world.alice).post(rules_url(world), {**RULES, **change})
    assert response.status_code == 200
    assert errors(response)[field] == [message]
    assert message in response.content.decode()
    assert not AttendanceRules.objects.exists()


def test_a_field_out_of_range_is_refused(world: World) -> None:
    response = login(world.alice).post(rules_url(world), {**RULES, "late_grace_min": "999"})
    assert "late_grace_min" in errors(response)
    assert not AttendanceRules.objects.exists()


def last_workday(world: World) -> dt.date:
    calendar = daycalc.holiday_calendar()
    day = timezone.now().astimezone(SHANGHAI).date() - dt.timedelta(days=1)
    while calendar.kind(day) not in ("workday", "adjusted_workday"):
        day -= dt.timedelta(days=1)
    return day


def test_saving_with_a_start_date_recomputes_the_days_since(world: World) -> None:
    device = services.register_device(project=world.p1, kind=DeviceKind.ZKTECO, serial="ZK001")
    employment = Employment.objects.get(worker=world.worker_a, project=world.p1)
    Employment.objects.filter(pk=employment.pk).update(entry_date=dt.date(2020, 1, 1))
    services.map_person(project=world.p1, ref_kind="pin", ref="1", employment=employment)
    day = last_workday(world)
    at = dt.datetime.combine(day, dt.time(8, 5), tzinfo=SHANGHAI)
    services.ingest_events(
        device=device,
        parsed=[punch("1", aware=at), punch("1", aware=at.replace(hour=17, minute=30), direction="02")],
        raw_message=None,
        source="zkteco",
    )
    record = DayRecord.objects.get(employment=employment, work_date=day)
    assert "late" not in record.statuses  # 08:05 is within the default 10 minutes' grace

    alice = login(world.alice)
    strict = {**RULES, "shift_start": "08:00", "late_grace_min": "0"}
    alice.post(rules_url(world), strict)
    record.refresh_from_db()
    assert "late" not in record.statuses  # saved without a start date: stored days keep their values

    response = alice.post(rules_url(world), {**strict, "recompute_from": day.isoformat()}, follow=True)
    record.refresh_from_db()
    assert "late" in record.statuses
    assert "已重新计算" in response.content.decode()


def test_a_recomputation_too_far_back_is_refused_and_nothing_is_saved(world: World) -> None:
    long_ago = timezone.now().astimezone(SHANGHAI).date() - dt.timedelta(days=setup.MAX_RECOMPUTE_DAYS + 5)
    response = login(world.alice).post(rules_url(world), {**RULES, "recompute_from": long_ago.isoformat()})
    assert response.status_code == 200 and "recompute_from" in errors(response)
    assert not AttendanceRules.objects.exists()


# --- team overrides ----------------------------------------------------------------------------------------


def test_a_team_override_starts_from_the_project_rules_and_can_be_removed(world: World) -> None:
    alice = login(world.alice)
    alice.post(rules_url(world), RULES)
    form = alice.get(team_url(world)).context["form"]
    assert form["shift_start"].value() == dt.time(7, 30)

    night = {
        **RULES,
        "work_day_start": "12:00",
        "shift_start": "20:00",
        "shift_end": "06:00",
        "break_start": "",
    }
    night["break_end"] = ""
    assert alice.post(team_url(world), night).status_code == 302
    override = AttendanceRules.objects.get(team=world.team_a)
    assert (override.shift_start, override.break_start) == (dt.time(20, 0), None)
    assert daycalc.rules_for(Employment.objects.get(worker=world.worker_a)).shift_start == dt.time(20, 0)
    page = alice.get(rules_url(world)).content.decode()
    assert world.team_a.name in page and "20:00–06:00" in page

    alice.post(reverse("attendance:team_rules_delete", args=[world.team_a.public_id]))
    assert not AttendanceRules.objects.filter(team=world.team_a).exists()
    assert AttendanceRules.objects.filter(project=world.p1, team=None).exists()


# --- who ---------------------------------------------------------------------------------------------------


def test_bob_and_charlie_cannot_set_p1_rules(world: World) -> None:
    for user in (world.bob, world.charlie):
        client = login(user)
        assert client.get(rules_url(world)).status_code == 404
        assert client.post(rules_url(world), RULES).status_code == 404
        assert client.post(team_url(world), RULES).status_code == 404
        assert client.get(reverse("attendance:team_rules", args=[world.team_b.public_id])).status_code == 404
    assert not AttendanceRules.objects.exists()


def test_charlie_sets_his_own_projects_rules(world: World) -> None:
    response = login(world.charlie).post(
        reverse("attendance:project_rules", args=[world.p2.public_id]), RULES
    )
    assert response.status_code == 302
    assert AttendanceRules.objects.get().project == world.p2


# --- holiday overrides -------------------------------------------------------------------------------------

HOLIDAYS = reverse("attendance:holidays")
EDIT = reverse("attendance:holiday_edit")
DELETE = reverse("attendance:holiday_delete")
A_WEDNESDAY = dt.date(2026, 6, 10)


def test_only_platform_admins_edit_the_holiday_calendar(world: World) -> None:
    for user in (world.alice, world.bob, world.charlie, world.wendy):
        client = login(user)
        assert client.get(HOLIDAYS).status_code == 403
        assert client.post(EDIT, {"date": "2026-06-10", "kind": "holiday"}).status_code == 403
    assert not HolidayOverride.objects.exists()


def test_an_override_changes_the_calendars_kind_for_that_date(world: World) -> None:
    admin = login(world.admin)
    assert daycalc.holiday_calendar().kind(A_WEDNESDAY) == "workday"
    response = admin.post(EDIT, {"date": A_WEDNESDAY.isoformat(), "kind": "holiday", "name": "地方节日"})
    assert response.status_code == 302 and response["Location"] == f"{HOLIDAYS}?year=2026"
    assert daycalc.holiday_calendar().kind(A_WEDNESDAY) == "holiday"
    assert AuditEntry.objects.filter(
        action=AuditAction.CREATE, object_type="attendance.HolidayOverride"
    ).exists()

    page = admin.get(HOLIDAYS, {"year": 2026}).content.decode()
    assert '<tr data-date="2026-06-10" data-kind="holiday">' in page and "地方节日" in page

    # Edited: the form comes filled with the stored override, saving changes the same row.
    form = admin.get(EDIT, {"date": "2026-06-10"}).context["form"]
    assert form["kind"].value() == "holiday"
    admin.post(EDIT, {"date": "2026-06-10", "kind": "in_lieu_rest", "name": "地方节日"})
    assert HolidayOverride.objects.get().kind == "in_lieu_rest"

    admin.post(DELETE, {"date": "2026-06-10"})
    assert not HolidayOverride.objects.exists()
    assert daycalc.holiday_calendar().kind(A_WEDNESDAY) == "workday"
    assert 'data-date="2026-06-10"' not in admin.get(HOLIDAYS, {"year": 2026}).content.decode()


def test_the_year_page_shows_the_librarys_holidays(world: World) -> None:
    page = login(world.admin).get(HOLIDAYS, {"year": 2026}).content.decode()
    assert '<tr data-date="2026-10-01" data-kind="holiday">' in page  # 国庆节
    assert "默认日历" in page


def test_deleting_an_override_recomputes_the_stored_days(world: World) -> None:
    device = services.register_device(project=world.p1, kind=DeviceKind.ZKTECO, serial="ZK001")
    employment = Employment.objects.get(worker=world.worker_a, project=world.p1)
    services.map_person(project=world.p1, ref_kind="pin", ref="1", employment=employment)
    admin = login(world.admin)
    admin.post(EDIT, {"date": A_WEDNESDAY.isoformat(), "kind": "holiday"})
    at = dt.datetime.combine(A_WEDNESDAY, dt.time(8, 0), tzinfo=SHANGHAI)
    services.ingest_events(device=device, parsed=[punch("1", aware=at)], raw_message=None, source="zkteco")
    assert DayRecord.objects.get(employment=employment, work_date=A_WEDNESDAY).day_kind == "holiday"

    admin.post(DELETE, {"date": A_WEDNESDAY.isoformat()})
    assert DayRecord.objects.get(employment=employment, work_date=A_WEDNESDAY).day_kind == "workday"


def test_a_bad_override_is_refused(world: World) -> None:
    response = login(world.admin).post(EDIT, {"date": "2026-13-01", "kind": "party"})
    assert response.status_code == 200
    assert {"date", "kind"} <= set(errors(response))
