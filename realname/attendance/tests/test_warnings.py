"""Attendance warnings: each kind fires exactly at its threshold (N-1 no, N yes), on complete days only,
once (re-running adds nothing), to the people responsible — pam (A's project manager) and tina (team_a's
leader) for A's worker, bob for B's worker, sara (safety officer) also for fatigue, device managers for
gates; charlie, the platform administrator, the regulator and the worker herself hear nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from realname.accounts.models import User
from realname.attendance import daycalc, services
from realname.attendance import warnings as w
from realname.attendance.days import AttendanceRules, DayRecord
from realname.attendance.models import Device, DeviceKind
from realname.attendance.tests.test_ingest import punch
from realname.notifications import services as notification_services
from realname.notifications.models import Notification
from realname.notifications.tests.people import Staff, build_staff
from realname.testing import World, employ, make_worker
from realname.workers.models import Employment

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
# March 2026: Mon 2 … Fri 6, Sat 7, Sun 8, Mon 9 … Fri 13. At NOW (Thursday 12th, 10:00) the last complete
# work day is Wednesday 11th.
NOW = dt.datetime(2026, 3, 12, 10, 0, tzinfo=TZ)
EVERYONE = ("alice", "bob", "charlie", "reggie", "wendy", "admin", "pam", "sara", "tina")


def day(n: int) -> dt.date:
    return dt.date(2026, 3, n)


@dataclass
class Site:
    world: World
    staff: Staff
    a: Employment  # 张甲, team_a (general contractor A)
    b: Employment  # 李乙, team_b (subcontractor B)
    device: Device


@pytest.fixture
def site(world: World) -> Site:
    staff = build_staff(world)
    device = services.register_device(
        project=world.p1, kind=DeviceKind.ZKTECO, serial="ZKW1", name="东门", area="东区"
    )
    return Site(
        world,
        staff,
        Employment.objects.get(worker=world.worker_a, project=world.p1),
        Employment.objects.get(worker=world.worker_b, project=world.p1),
        device,
    )


def record(
    employment: Employment,
    n: int,
    *statuses: str,
    worked: bool = True,
    fatigue: bool = False,
    hours: str = "8",
    auto: bool = False,
) -> DayRecord:
    """A stored DayRecord (the derived row the warnings read), made directly."""
    date = day(n)
    rest = date.weekday() >= 5
    return DayRecord.objects.create(
        project_id=employment.project_id,
        employment=employment,
        worker_id=employment.worker_id,
        work_date=date,
        day_kind="weekend" if rest else "workday",
        first_in=dt.datetime.combine(date, dt.time(8, 0), tzinfo=TZ) if worked else None,
        hours=Decimal(hours) if worked else Decimal(0),
        overtime_kind="rest_day" if rest else "workday",
        statuses=list(statuses) or (["rest_day"] if rest else ["present"]),
        fatigue=fatigue,
        auto_clock_out=auto,
        computed_at=NOW,
    )


def days(employment: Employment, numbers: range | list[int], *statuses: str, **kw: Any) -> None:
    for n in numbers:
        record(employment, n, *statuses, **kw)


def inbox(username: str, kind: str | None = None) -> list[Notification]:
    qs = Notification.objects.filter(recipient__username=username).order_by("created_at", "id")
    return list(qs.filter(kind=kind) if kind else qs)


def who_got(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def run(now: dt.datetime = NOW) -> w.WarningSummary:
    return w.run_warnings(now=now)


# --- streaks ------------------------------------------------------------------------------------------------


def test_three_late_work_days_in_a_row_warn_the_pm_and_the_team_leader(site: Site) -> None:
    record(site.a, 6)
    days(site.a, [9, 10, 11], "late")
    summary = run()
    assert summary.found[w.LATE_STREAK] == 1
    assert who_got(w.LATE_STREAK) == {"pam", "tina"}
    (n,) = inbox("tina")
    assert (n.kind, n.level, n.project_id) == (w.LATE_STREAK, "warning", site.world.p1.pk)
    assert n.title == "连续迟到预警：张甲"
    assert n.body == "P1 张甲（甲钢筋班）连续 3 个工作日迟到：3月9日、3月10日、3月11日。"
    assert n.link == reverse(
        "attendance:day_detail", kwargs={"employment_id": site.a.public_id, "work_date": "2026-03-11"}
    )
    for name in set(EVERYONE) - {"pam", "tina"}:
        assert inbox(name) == [], name


@pytest.mark.parametrize(
    ("status", "kind"),
    [("late", w.LATE_STREAK), ("early_leave", w.EARLY_LEAVE_STREAK), ("absent", w.ABSENT_STREAK)],
)
def test_two_work_days_in_a_row_are_not_yet_a_streak(site: Site, status: str, kind: str) -> None:
    record(site.a, 9)
    days(site.a, [10, 11], status, worked=status != "absent")
    assert run().found[kind] == 0
    assert not Notification.objects.exists()


def test_the_streak_length_is_a_setting(site: Site, settings: Any) -> None:
    settings.REALNAME_WARN_STREAK_DAYS = 2
    record(site.a, 9)
    days(site.a, [10, 11], "late")
    run()
    assert who_got(w.LATE_STREAK) == {"pam", "tina"}
    assert "连续 2 个工作日迟到：3月10日、3月11日" in inbox("pam")[0].body


def test_rest_days_neither_count_nor_break_a_streak(site: Site) -> None:
    record(site.a, 4)
    days(site.a, [5, 6], "late")
    record(site.a, 7, worked=False)  # Saturday
    days(site.a, [9], "late")
    days(site.a, [10, 11])
    run()
    (n,) = inbox("pam")
    assert "3月5日、3月6日、3月9日" in n.body


def test_a_work_day_without_a_record_breaks_a_streak(site: Site) -> None:
    days(site.a, [6, 10, 11], "late")  # nothing recorded on Monday the 9th
    run()
    assert not Notification.objects.exists()


def test_a_longer_streak_is_reported_once(site: Site) -> None:
    days(site.a, [9, 10, 11], "late")
    run()
    record(site.a, 12, "late")
    later = run(NOW + dt.timedelta(days=1))
    assert later.notified.created == 0
    assert Notification.objects.count() == 2


@pytest.mark.parametrize(
    ("status", "kind", "word"),
    [("early_leave", w.EARLY_LEAVE_STREAK, "早退"), ("absent", w.ABSENT_STREAK, "缺勤")],
)
def test_early_leave_and_absence_streaks(site: Site, status: str, kind: str, word: str) -> None:
    days(site.b, [9, 10, 11], status, worked=status != "absent")
    run()
    assert who_got(kind) == {"pam", "bob"}  # B's worker: bob, and the general contractor's PM; not tina
    assert inbox("bob")[0].title == f"连续{word}预警：李乙"


def test_absences_written_by_the_nightly_close_make_a_streak(site: Site) -> None:
    for n in (9, 10, 11):
        daycalc.close_day(project=site.world.p1, work_date=day(n))
    run()
    assert who_got(w.ABSENT_STREAK) == {"pam", "tina", "bob"}
    assert {n.title for n in inbox("pam")} == {"连续缺勤预警：张甲", "连续缺勤预警：李乙"}


# --- fatigue and missing punches ----------------------------------------------------------------------------


def test_seven_days_worked_without_rest_warn_also_the_safety_officer(site: Site) -> None:
    record(site.a, 4, "absent", worked=False)
    days(site.a, range(5, 12))  # Thursday 5th to Wednesday 11th, the weekend included
    run()
    assert who_got(w.NO_REST) == {"pam", "tina", "sara"}
    (n,) = inbox("sara")
    assert n.title == "疲劳预警：张甲 连续 7 天未休息"
    assert "张甲（甲钢筋班）自 3月5日 至 3月11日 连续 7 天出勤" in n.body


def test_six_days_worked_are_not_yet_fatigue(site: Site) -> None:
    record(site.a, 5, "absent", worked=False)
    days(site.a, range(6, 12))
    run()
    assert not Notification.objects.filter(kind=w.NO_REST).exists()


def test_days_above_the_hour_limit_come_as_one_digest_per_person_and_day(site: Site) -> None:
    record(site.a, 10, fatigue=True, hours="12.50")
    record(site.b, 10, fatigue=True, hours="11.25")
    run()
    (pam,) = inbox("pam", w.FATIGUE_HOURS)
    assert pam.title == "疲劳预警：3月10日 2 人工时超限"
    assert "李乙（乙木工班） 11.25 小时、张甲（甲钢筋班） 12.50 小时" in pam.body  # by team, then name
    (sara,) = inbox("sara", w.FATIGUE_HOURS)
    assert sara.body == pam.body
    (tina,) = inbox("tina", w.FATIGUE_HOURS)
    assert "张甲" in tina.body and "李乙" not in tina.body
    (bob,) = inbox("bob", w.FATIGUE_HOURS)
    assert "李乙" in bob.body and "张甲" not in bob.body
    assert who_got(w.FATIGUE_HOURS) == {"pam", "sara", "tina", "bob"}


def test_missing_exit_punches_of_a_complete_day_come_as_a_digest(site: Site) -> None:
    record(site.a, 11, "missing_punch")
    record(site.b, 11, auto=True)
    record(site.a, 12, "missing_punch")  # today: people are still inside, not reported
    summary = run()
    assert summary.found[w.MISSING_EXIT] == 2
    (n,) = inbox("pam", w.MISSING_EXIT)
    assert (n.level, n.title) == ("info", "缺少出场打卡：3月11日 2 人")
    assert n.link == (
        reverse("attendance:day_list", kwargs={"project_id": site.world.p1.public_id})
        + "?date=2026-03-11&status=missing_punch"
    )
    assert [x.title for x in inbox("tina")] == ["缺少出场打卡：3月11日 1 人"]
    assert [x.title for x in inbox("bob")] == ["缺少出场打卡：3月11日 1 人"]
    assert inbox("sara") == []


@pytest.mark.parametrize(("hour", "minute", "reported"), [(3, 59, False), (4, 0, True)])
def test_a_day_is_checked_once_the_next_work_day_has_begun(
    site: Site, hour: int, minute: int, reported: bool
) -> None:
    record(site.a, 11, "missing_punch")
    run(dt.datetime(2026, 3, 12, hour, minute, tzinfo=TZ))
    assert bool(inbox("pam")) is reported


def test_a_teams_own_work_day_start_decides_when_its_day_is_complete(site: Site) -> None:
    AttendanceRules.objects.create(
        project=site.world.p1, team=site.world.team_a, work_day_start=dt.time(6, 0)
    )
    record(site.a, 11, "missing_punch")
    record(site.b, 11, "missing_punch")
    run(dt.datetime(2026, 3, 12, 5, 0, tzinfo=TZ))
    assert who_got(w.MISSING_EXIT) == {"pam", "bob"}
    assert "李乙" in inbox("pam")[0].body and "张甲" not in inbox("pam")[0].body


# --- gates --------------------------------------------------------------------------------------------------


def test_unknown_persons_at_a_gate_come_per_device_and_day_to_those_who_see_the_whole_project(
    site: Site,
) -> None:
    at = dt.datetime(2026, 3, 11, 7, 30, tzinfo=TZ)
    services.ingest_events(
        device=site.device,
        parsed=[
            punch("99", aware=at),
            punch("99", aware=at + dt.timedelta(hours=9), direction="02"),
            punch("98", aware=at + dt.timedelta(minutes=3)),
            punch("12345678901", aware=at + dt.timedelta(minutes=4), kind="card"),
            punch("97", aware=NOW - dt.timedelta(hours=1)),  # today: the day is not over
        ],
        raw_message=None,
        source="zkteco",
    )
    summary = run()
    assert summary.found[w.UNKNOWN_PERSON] == 1
    assert who_got(w.UNKNOWN_PERSON) == {"alice", "pam"}  # bob manages devices but sees only B's people
    (n,) = inbox("alice")
    assert n.title == "未登记人员刷卡：东门 3月11日 3 个标识"
    assert "P1 东门（ZKW1，东区） 3月11日 识别到 3 个未与本项目工人关联的人员标识，共 4 次" in n.body
    assert "考勤机工号 PIN 99（2 次）" in n.body and "卡号 ****8901（1 次）" in n.body
    assert "12345678901" not in n.body and "97" not in n.body
    assert n.link == reverse("attendance:device_detail", kwargs={"device_id": site.device.public_id})


def silent_since(device: Device, minutes: int) -> None:
    Device.objects.filter(pk=device.pk).update(last_seen_at=NOW - dt.timedelta(minutes=minutes))


def test_a_device_silent_longer_than_the_limit_warns_every_device_manager_of_the_project(site: Site) -> None:
    silent_since(site.device, 61)
    run()
    # bob's role may manage devices, but only project-wide scope manages a site's gates (as on the pages).
    assert who_got(w.DEVICE_SILENT) == {"alice", "pam"}
    (n,) = inbox("pam")
    assert (n.level, n.title) == ("critical", "设备离线：东门")
    assert "自 2026-03-12 08:59 起已 61 分钟没有通讯（阈值 60 分钟）" in n.body


def test_a_device_silent_for_less_than_the_limit_is_not_reported(site: Site) -> None:
    silent_since(site.device, 59)
    assert run().found[w.DEVICE_SILENT] == 0
    assert not Notification.objects.exists()


def test_disabled_and_never_seen_devices_are_not_reported(site: Site) -> None:
    silent_since(site.device, 600)
    Device.objects.filter(pk=site.device.pk).update(enabled=False)
    services.register_device(project=site.world.p1, kind=DeviceKind.ZKTECO, serial="NEVER")
    run()
    assert not Notification.objects.exists()


def test_a_device_that_comes_back_and_falls_silent_again_is_reported_again(site: Site) -> None:
    silent_since(site.device, 120)
    run()
    run(NOW + dt.timedelta(minutes=30))
    assert len(inbox("alice")) == 1
    Device.objects.filter(pk=site.device.pk).update(last_seen_at=NOW + dt.timedelta(minutes=40))
    run(NOW + dt.timedelta(minutes=200))
    assert len(inbox("alice")) == 2


def test_the_silence_limit_is_a_setting(site: Site, settings: Any) -> None:
    settings.REALNAME_WARN_DEVICE_SILENT_MINUTES = 10
    silent_since(site.device, 11)
    run()
    assert who_got(w.DEVICE_SILENT) == {"alice", "pam"}


# --- the run as a whole -------------------------------------------------------------------------------------


def everything(site: Site) -> None:
    days(site.a, [9, 10, 11], "late")
    days(site.b, [9, 10], "early_leave")
    record(site.b, 11, "missing_punch", fatigue=True, hours="12")
    services.ingest_events(
        device=site.device,
        parsed=[punch("99", aware=dt.datetime(2026, 3, 10, 9, 0, tzinfo=TZ))],
        raw_message=None,
        source="zkteco",
    )
    silent_since(site.device, 90)


def test_running_again_creates_nothing_new(site: Site) -> None:
    everything(site)
    first = run()
    assert first.notified.created == Notification.objects.count() > 0
    assert first.found == {
        w.LATE_STREAK: 1,
        w.FATIGUE_HOURS: 1,
        w.MISSING_EXIT: 1,
        w.UNKNOWN_PERSON: 1,
        w.DEVICE_SILENT: 1,
    }
    second = run()
    assert second.notified.created == 0
    assert second.notified.duplicates == first.notified.created
    assert Notification.objects.count() == first.notified.created


def test_one_project_at_a_time(site: Site) -> None:
    everything(site)
    assert w.run_warnings(now=NOW, project=site.world.p2).notified.created == 0
    assert w.run_warnings(now=NOW, project=site.world.p1).notified.created > 0


def test_an_opted_in_manager_also_gets_an_email(
    site: Site, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    pam = site.staff.pam
    pam.email = "pam@example.cn"
    pam.save(update_fields=["email"])
    notification_services.set_preferences(user=pam, email_enabled=True, email_min_level="critical")
    everything(site)
    with django_capture_on_commit_callbacks(execute=True):
        run()
    assert [m.subject for m in mail.outbox] == ["[实名制] 设备离线：东门"]  # only the critical one
    assert mail.outbox[0].to == ["pam@example.cn"]


def test_the_query_count_does_not_grow_with_the_number_of_workers_warned(site: Site) -> None:
    def count(now: dt.datetime) -> int:
        with CaptureQueriesContext(connection) as queries:
            run(now)
        return len(queries)

    days(site.a, [9, 10, 11], "late")
    one = count(NOW)
    Notification.objects.all().delete()
    for _ in range(12):
        employment = employ(make_worker(), site.world.gc_p1, team=site.world.team_a)
        days(employment, [9, 10, 11], "late")
    assert count(NOW) == one
    assert Notification.objects.filter(recipient__username="tina").count() == 13


def test_the_command_runs_the_checks_and_says_what_it_did(site: Site) -> None:
    Device.objects.filter(pk=site.device.pk).update(last_seen_at=timezone.now() - dt.timedelta(hours=3))
    out = StringIO()
    call_command("attendance_warnings", "--project", "P1", stdout=out)
    assert "1 project(s) checked" in out.getvalue()
    assert "device_silent 1" in out.getvalue()
    assert "2 notification(s) created" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("attendance_warnings", "--project", "NOPE")


def test_nobody_outside_the_audience_ever_hears(site: Site) -> None:
    everything(site)
    run()
    for name in ("charlie", "reggie", "wendy", "admin"):
        assert inbox(name) == [], name
    assert User.objects.filter(username="charlie").exists()
