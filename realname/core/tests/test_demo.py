from __future__ import annotations

import io
import logging

import pytest
from django.core.management import call_command
from stdnum import luhn
from stdnum.cn import ric

from realname.accounts.models import User
from realname.attendance.models import Device, DeviceIdentity
from realname.core.demo_data import build_demo
from realname.core.models import AuditEntry
from realname.orgs.models import Participant, Project, Team
from realname.workers.models import BankAccount, Contract, Employment, Worker

pytestmark = pytest.mark.django_db


def test_the_demo_builds_the_promised_installation_and_a_second_run_changes_nothing() -> None:
    first = build_demo(workers=30)
    counts = [
        m.objects.count() for m in (Worker, BankAccount, Employment, Contract, Team, Participant, AuditEntry)
    ]
    assert set(Project.objects.values_list("code", flat=True)) == {"DEMO-1", "DEMO-2"}
    assert first.created_workers == 30 and Worker.objects.count() == 30
    roles = set(Participant.objects.filter(project__code="DEMO-1").values_list("role", flat=True))
    assert {"008", "009", "001", "006", "007"} <= roles
    assert Participant.objects.filter(role="001").values("company").distinct().count() == 3
    assert all(p.sections.count() == 2 and p.teams.exists() for p in Project.objects.all())
    for worker in Worker.objects.all():
        number = worker.id_number()
        assert ric.is_valid(number), "demo IDs have valid checksums and region codes for the birth year"
        assert 18 <= (2026 - worker.birth_date.year) <= 61
    assert all(luhn.is_valid(a.card_number()) for a in BankAccount.objects.all())
    assert Contract.objects.count() == Employment.objects.count() == 30
    logins = {u for u, _r, _s in first.logins}
    assert {
        "admin",
        "gc_admin",
        "pm",
        "labour",
        "team_leader",
        "finance",
        "safety",
        "supervisor",
        "regulator",
    } <= logins
    assert {"worker"} <= logins and User.objects.get(username="admin").is_superuser

    again = build_demo(workers=30)
    assert again.created_workers == 0
    assert counts == [
        m.objects.count() for m in (Worker, BankAccount, Employment, Contract, Team, Participant, AuditEntry)
    ]


def test_the_demo_registers_a_zkteco_and_a_hikvision_gate_whose_numbers_are_the_first_workers() -> None:
    result = build_demo(workers=30)
    zk = Device.objects.get(serial="DEMOZK0001")
    hik = Device.objects.get(serial="DEMOHIK0001")
    assert (zk.kind, hik.kind) == ("zkteco", "hikvision")
    assert zk.project.code == hik.project.code == "DEMO-1" and zk.enabled and hik.enabled
    on_demo1 = list(Employment.objects.filter(project__code="DEMO-1", status="active").order_by("id"))
    n = len(on_demo1)
    assert n > 0
    for device, ref_kind in ((zk, "pin"), (hik, "employee_no")):
        mapping = {i.ref: i.employment for i in DeviceIdentity.objects.filter(device=device)}
        assert set(mapping) == {str(k) for k in range(1, n + 1)}
        assert [mapping[str(k)] for k in range(1, n + 1)] == on_demo1[:n]
        assert set(DeviceIdentity.objects.filter(device=device).values_list("ref_kind", flat=True)) == {
            ref_kind
        }
    assert [(d.serial, d.identities) for d in result.devices] == [("DEMOZK0001", n), ("DEMOHIK0001", n)]

    again = build_demo(workers=30)
    assert Device.objects.count() == 2 and DeviceIdentity.objects.count() == 2 * n
    assert [d.secret for d in again.devices] == [zk.secret, hik.secret]


def test_the_demo_maps_every_active_worker_of_demo_1_up_to_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    from realname.core import demo_data

    monkeypatch.setattr(demo_data, "DEVICE_PEOPLE", 20)
    build_demo(workers=120)
    assert DeviceIdentity.objects.filter(device__serial="DEMOZK0001").count() == 20
    assert DeviceIdentity.objects.filter(device__serial="DEMOHIK0001", ref="20").exists()


def test_the_demo_command_prints_the_device_settings_but_never_logs_the_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    out = io.StringIO()
    with caplog.at_level(logging.DEBUG):
        call_command("demo", "--no-serve", "--workers", "10", "--addr", "192.168.1.20:8000", stdout=out)
    text = out.getvalue()
    secret = Device.objects.get(serial="DEMOHIK0001").secret
    assert "DEMOZK0001" in text and "/iclock/cdata" in text and "192.168.1.20" in text
    assert f"http://192.168.1.20:8000/devices/hik/{secret}/events" in text
    assert secret not in caplog.text


def test_the_demo_has_a_month_of_attendance_that_a_second_run_does_not_repeat() -> None:
    from realname.attendance.days import DayRecord
    from realname.attendance.models import AccessEvent
    from realname.ledger.selectors import verify_ledger
    from realname.notifications.models import Notification

    first = build_demo(workers=60)
    events, days, notes = AccessEvent.objects.count(), DayRecord.objects.count(), Notification.objects.count()
    second = build_demo(workers=60)

    assert first.new_punches == first.punches == events > 0
    assert second.new_punches == 0 and second.punches == first.punches
    assert (AccessEvent.objects.count(), DayRecord.objects.count()) == (events, days)
    assert Notification.objects.count() == notes and second.notifications == 0
    statuses = {s for row in DayRecord.objects.values_list("statuses", flat=True) for s in row}
    assert {"present", "late", "absent"} <= statuses
    assert verify_ledger().ok


def test_the_demo_punches_look_like_a_live_gate_not_a_wrong_clock() -> None:
    from realname.attendance.models import AccessEvent

    build_demo(workers=40)

    flags = {flag for row in AccessEvent.objects.values_list("flags", flat=True) for flag in row}
    assert AccessEvent.objects.exists() and flags == set()
