"""Demo attendance: a month of gate punches on DEMO-1's ZKTeco gate, so the day records, the monthly
sheet, the muster list, the warnings and the ledger have something to show right after ``make demo``.

Deterministic (a seeded generator per person and day) and idempotent: the device event keys are the
ZKTeco ``PIN|time|status`` keys, so a second run on the same day finds every punch stored already.
Mostly on time; some late arrivals, early leaves, absences, a forgotten exit punch, a few weekend shifts.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils import timezone

from realname.attendance import daycalc, services
from realname.attendance.models import Device, DeviceIdentity, DeviceKind, EventSource
from realname.attendance.protocols import ParsedEvent

DAYS = 30


@dataclass(frozen=True)
class DemoAttendance:
    days: int
    punches: int
    new: int


def _punch(pin: str, at: dt.datetime, status: int) -> ParsedEvent:
    return ParsedEvent(
        device_event_key=f"{pin}|{at:%Y-%m-%d %H:%M:%S}|{status}",
        person_ref=pin,
        person_ref_kind="pin",
        local_time=at,
        aware_time=None,
        direction="01" if status == 0 else "02",
        method="001",  # fingerprint on this terminal
        raw={},
    )


def _day_punches(rng: random.Random, pin: str, day: dt.date, workday: bool) -> list[ParsedEvent]:
    if not workday and rng.random() > 0.2:
        return []  # most rest on the weekend
    if workday and rng.random() < 0.04:
        return []  # absent
    start = dt.datetime.combine(day, dt.time(7, 35))  # noqa: DTZ001 - the gate's wall clock
    late = rng.random() < 0.08
    clock_in = start + dt.timedelta(minutes=rng.randrange(40, 65) if late else rng.randrange(0, 30))
    clock_in += dt.timedelta(seconds=rng.randrange(60))
    punches = [_punch(pin, clock_in, 0)]
    if rng.random() < 0.03:
        return punches  # forgot to punch out
    early = rng.random() < 0.05
    end = dt.datetime.combine(day, dt.time(16, 5) if early else dt.time(17, 2))  # noqa: DTZ001
    clock_out = end + dt.timedelta(minutes=rng.randrange(0, 35 if early else 90), seconds=rng.randrange(60))
    punches.append(_punch(pin, clock_out, 1))
    return punches


def seed_attendance(*, serial: str = "DEMOZK0001", seed: int = 2026, days: int = DAYS) -> DemoAttendance:
    """Punches for every PIN mapped on the demo gate over the ``days`` days before today (in the project's
    zone), through the real ingest service; then the nightly close for those days."""
    device = Device.objects.select_related("project").get(serial=serial, kind=DeviceKind.ZKTECO)
    project = device.project
    tz = ZoneInfo(project.time_zone)
    pins = sorted(
        DeviceIdentity.objects.filter(device=device, ref_kind="pin").values_list("ref", flat=True), key=int
    )
    calendar = daycalc.holiday_calendar()
    today = timezone.now().astimezone(tz).date()
    first = today - dt.timedelta(days=days)
    punches = new = 0
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        workday = calendar.kind(day) in ("workday", "adjusted_workday")
        batch: list[ParsedEvent] = []
        for pin in pins:
            rng = random.Random(f"{seed}:{pin}:{day.isoformat()}")  # noqa: S311 - demo data
            batch.extend(_day_punches(rng, pin, day, workday))
        batch.sort(key=lambda p: p.local_time or dt.datetime.min)  # noqa: DTZ901 - sort key only
        # Uploaded as a live gate does, minutes after each punch (in four-minute groups, so the demo is
        # quick to build and no punch is further from its upload than the clock-skew limit).
        windows: dict[dt.datetime, list[ParsedEvent]] = {}
        for punch in batch:
            assert punch.local_time is not None  # noqa: S101 - made above with a wall-clock time
            start = punch.local_time.replace(minute=punch.local_time.minute // 4 * 4, second=0)
            windows.setdefault(start, []).append(punch)
        for start, group in windows.items():
            uploaded = (start + dt.timedelta(minutes=4, seconds=30)).replace(tzinfo=tz)
            result = services.ingest_events(
                device=device, parsed=group, raw_message=None, source=EventSource.ZKTECO, received_at=uploaded
            )
            new += result.accepted
        punches += len(batch)
        daycalc.close_day(project=project, work_date=day, calendar=calendar)
    return DemoAttendance(days=days, punches=punches, new=new)
