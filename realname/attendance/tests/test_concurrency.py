"""Two gate uploads at once (PostgreSQL only): two OS processes ingest overlapping ATTLOG batches of the
same device concurrently; every punch is stored exactly once and the ledger stays contiguous and valid."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count

from realname.attendance import services
from realname.attendance.models import AccessEvent, DeviceKind
from realname.ledger import selectors as ledger
from realname.testing import World
from realname.workers.models import Employment

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs a database two processes can write at once (SQLite serialises writers)",
    ),
]

ROOT = Path(__file__).resolve().parents[3]
SERIAL = "ZKCONC01"
PINS = ("1", "2")
LINES = 600  # punches in all; each process sends a window of them, the windows overlap
BATCH = 50
TIMEOUT = 120

# Run in each child: wait for the shared start time, then ingest its batches one upload at a time.
CHILD = """
import json, os, sys, time
import django
django.setup()
from realname.attendance import services
from realname.attendance.models import Device
from realname.attendance.protocols import zkteco
from realname.core.context import acting_as

device = Device.objects.select_related("project").get(serial=os.environ["CONC_SERIAL"])
bodies = json.loads(os.environ["CONC_BODIES"])
start_at = float(os.environ["CONC_START_AT"])
while time.time() < start_at:
    time.sleep(0.005)
accepted = duplicates = 0
with acting_as(None, via="command"):
    for body in bodies:
        batch = zkteco.parse_attlog(body.encode())
        assert not batch.errors, batch.errors
        result = services.ingest_events(device=device, parsed=batch.items, raw_message=None, source="zkteco")
        accepted += result.accepted
        duplicates += result.duplicates
print(json.dumps({"accepted": accepted, "duplicates": duplicates}))
"""


def attlog_lines() -> list[str]:
    """Punches of two mapped PINs and one unknown one, a minute apart, in time order."""
    lines = []
    for n in range(LINES):
        minute = 7 * 60 + n  # from 07:00, one a minute, across the day boundary of a work day
        day, rest = divmod(minute, 24 * 60)
        pin = ("1", "2", "99")[n % 3]
        status = "0" if n % 2 == 0 else "1"
        lines.append(f"{pin}\t2026-11-{2 + day:02d} {rest // 60:02d}:{rest % 60:02d}:00\t{status}\t1\t0\t0")
    return lines


def bodies(lines: list[str]) -> list[str]:
    return ["\n".join(lines[i : i + BATCH]) + "\n" for i in range(0, len(lines), BATCH)]


def database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def spawn(batches: list[str], start_at: float) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CONC_SERIAL": SERIAL,
        "CONC_BODIES": json.dumps(batches),
        "CONC_START_AT": str(start_at),
    }
    env.pop("REALNAME_TEST_DATABASE_NAME", None)
    return subprocess.Popen(  # noqa: S603 - our own interpreter running our own script
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> dict[str, Any]:
    try:
        out, err = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"an ingesting process did not finish in {TIMEOUT}s: {err[-2000:]}")
    assert process.returncode == 0, err[-4000:]
    return dict(json.loads(out.strip().splitlines()[-1]))


def test_two_processes_ingesting_overlapping_uploads_store_each_punch_once_in_a_contiguous_ledger(
    world: World,
) -> None:
    device = services.register_device(project=world.p1, kind=DeviceKind.ZKTECO, serial=SERIAL)
    for pin, worker in zip(PINS, (world.worker_a, world.worker_b), strict=True):
        employment = Employment.objects.get(worker=worker, project=world.p1)
        services.map_person(project=world.p1, ref_kind="pin", ref=pin, employment=employment)
    lines = attlog_lines()
    # The first sends lines 0–399, the second 200–599 (a retry with an older cursor, say): 200 shared,
    # sent by both at about the same moment, and cut at other places so batches straddle each other.
    first = bodies(lines[:400])
    second = bodies(lines[200:225]) + bodies(lines[225:])
    start_at = time.time() + 3  # both start together, after their Django start-up
    processes = [spawn(first, start_at), spawn(second, start_at)]
    results = [finish(p) for p in processes]

    events = AccessEvent.objects.filter(device=device)
    assert events.count() == LINES  # the union: nothing lost
    assert sum(r["accepted"] for r in results) == LINES  # and each stored by exactly one of them
    assert sum(r["duplicates"] for r in results) == 200
    repeated = events.values("device_event_key").annotate(n=Count("id")).filter(n__gt=1)
    assert not repeated.exists()
    indices = list(events.order_by("ledger_index").values_list("ledger_index", flat=True))
    assert indices == list(range(LINES))
    assert ledger.tree_size() == LINES
    report = ledger.verify_ledger()
    assert report.ok, [str(finding) for finding in report.findings]
    assert events.filter(flags__contains=["unknown_person"]).count() == LINES // 3
