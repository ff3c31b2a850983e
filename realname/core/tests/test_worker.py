"""The background worker: its scheduler (jobs when due, a failure never stops the others) and its jobs —
deferred day records caught up from the ledger-numbered queue, the nightly close, signed checkpoints."""

from __future__ import annotations

import datetime as dt
import logging
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from realname.attendance import services
from realname.attendance.days import DayQueue, DayRecord
from realname.attendance.models import Device, DeviceKind
from realname.attendance.protocols import ParsedEvent
from realname.core import jobs
from realname.core.worker import Job, Scheduler
from realname.ledger.models import Checkpoint, LedgerState
from realname.testing import World
from realname.workers.models import Employment

MONDAY = dt.date(2026, 3, 9)
TUESDAY = dt.date(2026, 3, 10)


# --- the scheduler ------------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_each_job_runs_when_due_and_not_before() -> None:
    clock = FakeClock()
    calls: list[str] = []
    scheduler = Scheduler(
        [
            Job("fast", 2, lambda: calls.append("fast") or ""),
            Job("slow", 10, lambda: calls.append("slow") or ""),
        ],
        clock=clock,
        between_jobs=lambda: None,
    )

    scheduler.run_due()  # both are due at the first tick
    clock.now += 1
    scheduler.run_due()  # neither
    clock.now += 1.5
    scheduler.run_due()  # fast only
    clock.now += 8
    scheduler.run_due()  # both

    assert calls == ["fast", "slow", "fast", "fast", "slow"]
    assert scheduler.seconds_to_next() == pytest.approx(2)


def test_a_failing_job_is_logged_and_the_others_still_run(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> str:
        raise RuntimeError("database went away")

    calls: list[str] = []
    scheduler = Scheduler(
        [Job("broken", 5, broken), Job("fine", 5, lambda: calls.append("fine") or "ok")],
        between_jobs=lambda: None,
    )

    with caplog.at_level(logging.ERROR, logger="realname.core.worker"):
        outcomes = scheduler.run_due()

    assert [(o.job, o.ok) for o in outcomes] == [("broken", False), ("fine", True)]
    assert calls == ["fine"]
    assert scheduler.jobs[0].failures == 1
    assert "worker job broken failed" in caplog.text


def test_job_names_must_be_unique() -> None:
    with pytest.raises(ValueError, match="unique"):
        Scheduler([Job("a", 1, lambda: ""), Job("a", 2, lambda: "")])


def test_the_default_schedule_has_every_job() -> None:
    names = [job.name for job in jobs.default_jobs()]

    assert names == [
        "uploads.pending",
        "days.pending",
        "days.close",
        "ledger.checkpoint",
        "attendance.warnings",
        "notifications.deliver",
        "training.retakes",
        "admission.refresh",
        "safety.warnings",
        "payroll.arrears",
    ]


# --- the jobs -----------------------------------------------------------------------------------------


def _punches(
    world: World, device: Device, day: dt.date, times: tuple[str, ...] = ("07:58", "17:02"), first: str = "01"
) -> None:
    """Punches at ``times`` alternating in and out, starting with ``first``."""
    other = "02" if first == "01" else "01"
    services.ingest_events(
        device=device,
        parsed=[
            ParsedEvent(
                device_event_key=f"1|{day.isoformat()} {hm}",
                person_ref="1",
                person_ref_kind="pin",
                local_time=dt.datetime.combine(day, dt.time.fromisoformat(hm)),  # noqa: DTZ001 - device clock
                aware_time=None,
                direction=first if n % 2 == 0 else other,
                method="003",
                raw={},
            )
            for n, hm in enumerate(times)
        ],
        raw_message=None,
        source="zkteco",
    )


@pytest.fixture
def gate(world: World) -> Device:
    device = services.register_device(project=world.p1, kind=DeviceKind.ZKTECO, serial="ZKW1")
    employment = Employment.objects.get(worker=world.worker_a, project=world.p1)
    services.map_person(project=world.p1, ref_kind="pin", ref="1", employment=employment)
    return device


def _ledger_size() -> int:
    return LedgerState.objects.get().size


@pytest.mark.django_db
def test_deferred_punches_get_their_day_records_from_the_worker(world: World, gate: Device) -> None:
    employment = Employment.objects.get(worker=world.worker_a, project=world.p1)
    with override_settings(REALNAME_DAY_RECOMPUTE="deferred"):
        _punches(world, gate, MONDAY)
    assert not DayRecord.objects.filter(employment=employment).exists()  # nothing inline

    out = StringIO()
    call_command("worker", "--once", "--only", "days.pending", stdout=out)

    row = DayRecord.objects.get(employment=employment, work_date=MONDAY)
    assert row.statuses == ["present"]
    assert DayQueue.objects.get().done_size == _ledger_size() == 2
    assert "days.pending: ok 2 events, 1 day records written" in out.getvalue()
    computed = row.computed_at

    call_command("worker", "--once", "--only", "days.pending", stdout=StringIO())  # nothing pending

    assert DayRecord.objects.get(pk=row.pk).computed_at == computed


@pytest.mark.django_db
def test_a_late_deferred_punch_changes_only_its_own_day(world: World, gate: Device) -> None:
    employment = Employment.objects.get(worker=world.worker_a, project=world.p1)
    _punches(world, gate, MONDAY)  # inline
    _punches(world, gate, TUESDAY, ("07:58",))  # inline: an entry without exit
    monday = DayRecord.objects.get(employment=employment, work_date=MONDAY)
    assert "missing_punch" in DayRecord.objects.get(employment=employment, work_date=TUESDAY).statuses

    with override_settings(REALNAME_DAY_RECOMPUTE="deferred"):
        _punches(world, gate, TUESDAY, ("17:30",), first="02")  # the offline gate uploads the exit
    jobs.recompute_pending_days()

    assert DayRecord.objects.get(employment=employment, work_date=TUESDAY).statuses == ["present"]
    assert DayRecord.objects.get(pk=monday.pk).computed_at == monday.computed_at


@pytest.mark.django_db
def test_inline_ingest_moves_the_queue_mark_so_the_worker_redoes_nothing(world: World, gate: Device) -> None:
    _punches(world, gate, MONDAY)

    assert DayQueue.objects.get().done_size == _ledger_size() == 2
    assert jobs.recompute_pending_days() == ""


@pytest.mark.django_db
def test_the_nightly_close_gives_every_employment_on_site_a_record_once(world: World) -> None:
    employment = Employment.objects.get(worker=world.worker_a, project=world.p1)
    employment.entry_date = MONDAY - dt.timedelta(days=30)
    employment.save(update_fields=["entry_date"])
    today = TUESDAY + dt.timedelta(days=1)  # Wednesday: closes Tuesday, Monday and Sunday

    with override_settings(REALNAME_CLOSE_DAYS_BACK=3):
        summary = jobs.close_recent_days(today=today)
        again = jobs.close_recent_days(today=today)

    rows = {r.work_date: r.statuses for r in DayRecord.objects.filter(employment=employment)}
    assert rows == {MONDAY: ["absent"], TUESDAY: ["absent"], MONDAY - dt.timedelta(days=1): ["rest_day"]}
    assert summary.endswith("day records created")
    assert again == ""


@pytest.mark.django_db
def test_the_checkpoint_job_signs_new_events_once(world: World, gate: Device) -> None:
    _punches(world, gate, MONDAY)

    first = jobs.sign_checkpoint()
    second = jobs.sign_checkpoint()

    assert first.startswith("checkpoint 2 ")
    assert second == ""
    assert list(Checkpoint.objects.values_list("tree_size", flat=True)) == [2]


@pytest.mark.django_db
def test_an_unknown_job_name_is_refused() -> None:
    with pytest.raises(CommandError, match="unknown job"):
        call_command("worker", "--once", "--only", "nonsense", stdout=StringIO())


@pytest.mark.django_db
def test_every_job_runs_once_on_a_real_site(world: World, gate: Device) -> None:
    with override_settings(REALNAME_DAY_RECOMPUTE="deferred"):
        _punches(world, gate, MONDAY)
    Device.objects.filter(pk=gate.pk).update(last_seen_at=dt.datetime(2026, 3, 9, 9, 0, tzinfo=dt.UTC))
    out = StringIO()

    call_command("worker", "--once", stdout=out)

    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == [job.name for job in jobs.default_jobs()]
    assert all(": ok" in line for line in lines), lines
    assert DayRecord.objects.filter(work_date=MONDAY).exists()
    assert Checkpoint.objects.filter(tree_size=2).exists()
    assert "notifications created" in lines[4]  # the gate silent since Monday morning


@pytest.mark.django_db
def test_the_admission_job_works_off_the_queue_then_sweeps_each_project_once_a_day(world: World) -> None:
    from realname.admission.models import AdmissionStatus, AdmissionSweep, Recheck
    from realname.workers import services as worker_services

    worker_services.verify_identity(worker=world.worker_a, method="card_reader")
    assert Recheck.objects.exists()
    out = StringIO()
    call_command("worker", "--once", "--only", "admission.refresh", stdout=out)
    assert not Recheck.objects.exists()
    assert AdmissionSweep.objects.count() == 2  # both projects swept after their local midnight
    assert AdmissionStatus.objects.count() == 3  # every employment on site decided
    assert "admission.refresh: ok" in out.getvalue() and "decided" in out.getvalue()
    again = StringIO()
    call_command("worker", "--once", "--only", "admission.refresh", stdout=again)
    assert "decided" not in again.getvalue()  # nothing queued, nothing due, swept today already


@pytest.mark.django_db
def test_the_safety_job_reports_refused_punches_once(world: World, gate: Device) -> None:
    from realname.admission.services import refresh

    refresh(world.p1)  # worker_a is refused: identity unchecked, contract unsigned
    today = dt.datetime.now(dt.UTC).astimezone(ZoneInfo(world.p1.time_zone)).date()
    _punches(world, gate, today, ("00:01",))
    assert "1 refused-at-gate" in jobs.run_safety_warnings()
    assert jobs.run_safety_warnings() == ""
