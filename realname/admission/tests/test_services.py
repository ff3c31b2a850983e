"""Stored admission decisions: first decisions, flips pushed to the gates, the recheck queue, the daily
sweep and lapse moments, refused punches flagged and reported, the blacklist's rules."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from realname.admission import services
from realname.admission.models import AdmissionStatus, AdmissionSweep, AgePolicy, BlacklistEntry, Recheck
from realname.admission.rules import Code
from realname.admission.selectors import age_policy, decide_project
from realname.admission.warnings import report_denied_punches
from realname.attendance import services as attendance
from realname.attendance.models import AccessEvent, CommandStatus, DeviceCommand, DeviceKind
from realname.core.models import AuditEntry
from realname.notifications.models import Notification
from realname.testing import World, make_project
from realname.workers import services as workers
from realname.workers.models import Contract, Employment, IdentityCheck

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")


def qualify(employment: Employment) -> None:
    """What the world's workers lack to be admitted on a project with no training plan or certificate rule:
    a checked identity and a signed contract."""
    workers.verify_identity(worker=employment.worker, method=IdentityCheck.CARD_READER)
    contract = Contract.objects.get(employment=employment)
    workers.update_contract(contract=contract, signed_on=employment.entry_date)


def status(employment: Employment) -> AdmissionStatus:
    return AdmissionStatus.objects.get(employment=employment)


def test_a_first_refresh_decides_everyone_on_site_with_their_reasons(world: World) -> None:
    a = Employment.objects.get(worker=world.worker_a, project=world.p1)
    b = Employment.objects.get(worker=world.worker_b, project=world.p1)
    qualify(a)
    result = services.refresh(world.p1)
    assert (result.decided, result.created) == (2, 2)
    assert status(a).allowed is True
    assert status(a).reasons == []
    denied = status(b)
    assert denied.allowed is False
    assert [r["code"] for r in denied.reasons] == [Code.IDENTITY_UNVERIFIED, Code.NO_CONTRACT]
    # Deciding again with nothing changed writes nothing.
    again = services.refresh(world.p1)
    assert (again.decided, again.created, again.updated, again.flipped) == (2, 0, 0, 0)


def test_a_flip_reaches_the_zkteco_gate_as_an_add_and_later_a_delete(world: World) -> None:
    device = attendance.register_device(
        project=world.p1, kind=DeviceKind.ZKTECO, serial="ZKADM1", name="东门"
    )
    a = Employment.objects.get(worker=world.worker_a, project=world.p1)
    services.refresh(world.p1)
    assert not DeviceCommand.objects.filter(device=device).exists()  # refused and never on the device
    qualify(a)
    result = services.process_rechecks()
    assert result.rechecks >= 1 and result.flipped == 1
    add = DeviceCommand.objects.get(device=device, status=CommandStatus.QUEUED)
    assert "DATA UPDATE USERINFO" in add.text and world.worker_a.name in add.text
    workers.register_exit(employment=a, exit_date=dt.date(2026, 3, 10))
    services.process_rechecks()
    assert status(a).allowed is False
    assert [r["code"] for r in status(a).reasons] == [Code.EMPLOYMENT_ENDED]
    texts = list(
        DeviceCommand.objects.filter(device=device).order_by("command_id").values_list("text", flat=True)
    )
    assert "DATA DELETE USERINFO" in texts[-1]


def test_verifying_an_identity_queues_a_recheck_in_the_same_transaction(world: World) -> None:
    Recheck.objects.all().delete()
    workers.verify_identity(worker=world.worker_b, method=IdentityCheck.ORIGINAL, by=world.bob)
    assert list(Recheck.objects.values_list("worker_id", flat=True)) == [world.worker_b.pk]
    world.worker_b.refresh_from_db()
    assert world.worker_b.identity_check == IdentityCheck.ORIGINAL
    assert world.worker_b.identity_checked_by == world.bob
    entry = AuditEntry.objects.filter(
        object_type="workers.Worker", object_id=str(world.worker_b.public_id)
    ).latest("pk")
    assert "identity_checked_at" in entry.changes
    with pytest.raises(ValidationError):
        workers.verify_identity(worker=world.worker_b, method="guess")


def test_the_sweep_runs_once_per_local_day_and_lapses_are_refreshed_on_time(world: World) -> None:
    a = Employment.objects.get(worker=world.worker_a, project=world.p1)
    qualify(a)
    contract = Contract.objects.get(employment=a)
    workers.update_contract(contract=contract, end_date=dt.date(2026, 12, 31))
    now = dt.datetime(2026, 12, 30, 9, tzinfo=TZ)
    first = services.refresh_due(now=now)
    assert first.decided >= 2  # both projects swept
    assert AdmissionSweep.objects.get(project=world.p1).swept_on == dt.date(2026, 12, 30)
    assert status(a).allowed is True
    assert status(a).changes_at == dt.datetime(2027, 1, 1, tzinfo=ZoneInfo(world.p1.time_zone))
    assert services.refresh_due(now=now + dt.timedelta(hours=1)).decided == 0  # swept already today
    # Just after the contract's last day the lapse is due (and a new local day sweeps anyway).
    services.refresh_due(now=dt.datetime(2027, 1, 1, 0, 1, tzinfo=ZoneInfo(world.p1.time_zone)))
    assert status(a).allowed is False
    assert [r["code"] for r in status(a).reasons] == [Code.NO_CONTRACT]


def test_a_refused_workers_punch_is_kept_flagged_with_the_reasons_and_reported_once(world: World) -> None:
    device = attendance.register_device(
        project=world.p1, kind=DeviceKind.ZKTECO, serial="ZKADM2", name="北门"
    )
    b = Employment.objects.get(worker=world.worker_b, project=world.p1)
    attendance.map_person(project=world.p1, ref_kind="pin", ref="7", employment=b)
    services.refresh(world.p1)
    now = timezone.now().astimezone(TZ).replace(microsecond=0)
    body = f"7\t{now:%Y-%m-%d %H:%M:%S}\t0\t15\n".encode()
    response = Client().post(
        f"/iclock/cdata?SN={device.serial}&table=ATTLOG&Stamp=1", body, content_type="text/plain"
    )
    assert response.status_code == 200
    assert response.content.decode().startswith("OK: 1")
    event = AccessEvent.objects.get(device=device)
    assert event.employment_id == b.pk
    assert "admission_denied" in event.flags
    assert {"denied:identity_unverified", "denied:no_contract"} <= set(event.flags)
    created = report_denied_punches(now=timezone.now()).created
    assert created >= 1
    note = Notification.objects.filter(kind="admission.denied_at_gate", recipient=world.bob).get()
    assert world.worker_b.name in note.title and "身份未核验" in note.body
    assert report_denied_punches(now=timezone.now()).created == 0


def test_an_allowed_workers_punch_carries_no_admission_flag(world: World) -> None:
    device = attendance.register_device(
        project=world.p1, kind=DeviceKind.ZKTECO, serial="ZKADM3", name="南门"
    )
    a = Employment.objects.get(worker=world.worker_a, project=world.p1)
    qualify(a)
    services.refresh(world.p1)
    attendance.map_person(project=world.p1, ref_kind="pin", ref="8", employment=a)
    now = timezone.now().astimezone(TZ).replace(microsecond=0)
    Client().post(
        f"/iclock/cdata?SN={device.serial}&table=ATTLOG&Stamp=1",
        f"8\t{now:%Y-%m-%d %H:%M:%S}\t0\t15\n".encode(),
        content_type="text/plain",
    )
    event = AccessEvent.objects.get(device=device)
    assert not [flag for flag in event.flags if "denied" in flag]


def test_blacklisting_bars_on_its_level_only_and_taking_off_needs_a_reason(world: World) -> None:
    a = Employment.objects.get(worker=world.worker_a, project=world.p1)
    qualify(a)
    services.refresh(world.p1)
    entry = services.add_to_blacklist(
        worker=world.worker_a,
        level="company",
        company=world.company_b,  # not the company that employs worker_a on P1
        reason="在乙公司工地违章动火",
        starts_on=dt.date(2026, 1, 1),
        by=world.admin,
    )
    services.process_rechecks()
    assert status(a).allowed is True
    services.add_to_blacklist(
        worker=world.worker_a,
        level="project",
        project=world.p1,
        reason="殴打班组长",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2099, 1, 1),
        by=world.admin,
    )
    services.process_rechecks()
    reasons = status(a).reasons
    assert [r["code"] for r in reasons] == [Code.BLACKLISTED]
    assert reasons[0]["params"]["reason"] == "殴打班组长"
    with pytest.raises(ValidationError):
        services.remove_from_blacklist(entry=entry, reason="  ")
    removed = services.remove_from_blacklist(entry=entry, reason="核实为误登记", by=world.admin)
    assert removed.removed_by == world.admin and removed.removal_reason == "核实为误登记"
    with pytest.raises(ValidationError):
        services.remove_from_blacklist(entry=removed, reason="再次解除")
    assert BlacklistEntry.objects.count() == 2  # nothing deleted
    with pytest.raises(ValidationError) as refused:
        services.add_to_blacklist(
            worker=world.worker_a, level="company", reason="", starts_on=dt.date(2026, 1, 1)
        )
    assert set(refused.value.message_dict) == {"reason", "company"}


def test_the_longest_region_prefix_wins_and_a_project_policy_replaces_all(world: World) -> None:
    shanghai = make_project("SH1", world.company_a, region_code="310104")
    assert {line.region_prefix for line in age_policy(shanghai)} == {"31"}
    assert {line.region_prefix for line in age_policy(world.p1)} == {""}  # Beijing: the national line
    AgePolicy.objects.create(name="徐汇试点", region_prefix="3101", max_age=55)
    assert [line.name for line in age_policy(shanghai)] == ["徐汇试点"]
    AgePolicy.objects.create(name="本项目", project=shanghai, min_age=20)
    assert [line.name for line in age_policy(shanghai)] == ["本项目"]


def test_shanghai_refuses_a_61_year_old_man_and_a_55_year_old_scaffolder(world: World) -> None:
    from realname.testing import employ, make_worker, new_id_number

    shanghai = make_project("SH2", world.company_a, region_code="310104")
    from realname.orgs.models import Participant

    gc = Participant.objects.get(project=shanghai, role="009")
    old = employ(make_worker("老王", id_number=new_id_number(age=61)), gc, entry_date=dt.date(2026, 3, 1))
    climber = employ(
        make_worker("高空", id_number=new_id_number(age=55)), gc, trade="030", entry_date=dt.date(2026, 3, 1)
    )
    fine = employ(make_worker("壮年", id_number=new_id_number(age=40)), gc, entry_date=dt.date(2026, 3, 1))
    at = dt.datetime(2026, 11, 25, 9, tzinfo=TZ)
    decided = {d.employment.pk: d.decision for d in decide_project(shanghai, at)}
    assert Code.AGE_ABOVE_MAXIMUM in decided[old.pk].codes
    assert Code.AGE_ABOVE_MAXIMUM in decided[climber.pk].codes
    assert "高危" in decided[climber.pk].reasons[-1].message
    assert Code.AGE_ABOVE_MAXIMUM not in decided[fine.pk].codes


def test_a_worker_with_no_sex_recorded_is_refused_where_the_age_policy_differs_by_sex(world: World) -> None:
    from realname.orgs.models import Participant
    from realname.testing import employ, make_worker, new_id_number
    from realname.workers.models import Worker

    shanghai = make_project("SH3", world.company_a, region_code="310104")
    gc = Participant.objects.get(project=shanghai, role="009")
    elder = employ(make_worker("无性别", id_number=new_id_number(age=76)), gc, entry_date=dt.date(2026, 3, 1))
    Worker.objects.filter(pk=elder.worker_id).update(sex="")  # e.g. a passport holder registered without it
    at = dt.datetime(2026, 11, 25, 9, tzinfo=TZ)
    codes = {d.employment.pk: d.decision.codes for d in decide_project(shanghai, at)}[elder.pk]
    assert Code.AGE_SEX_UNKNOWN in codes
    # Beijing has only the national line (any sex): there the missing sex changes nothing.
    beijing = Participant.objects.get(project=world.p1, role="009")
    other = employ(
        make_worker("京无性别", id_number=new_id_number(age=40)), beijing, entry_date=dt.date(2026, 3, 1)
    )
    Worker.objects.filter(pk=other.worker_id).update(sex="")
    beijing_codes = {d.employment.pk: d.decision.codes for d in decide_project(world.p1, at)}[other.pk]
    assert Code.AGE_SEX_UNKNOWN not in beijing_codes


def test_blacklist_entries_are_seen_by_those_whose_business_they_are(world: World) -> None:
    from realname.admission.selectors import visible_blacklist
    from realname.testing import employ

    # 李乙 (worker_b) also works on P2 for 丙 (charlie's company).
    employ(world.worker_b, world.gc_p2, entry_date=dt.date(2026, 4, 1))
    internal = services.add_to_blacklist(
        worker=world.worker_b,
        level="company",
        company=world.company_c,
        reason="丙公司内部：殴打班组长",
        starts_on=dt.date(2026, 5, 1),
    )
    on_p2 = services.add_to_blacklist(
        worker=world.worker_b,
        level="project",
        project=world.p2,
        reason="P2内部：偷盗钢筋",
        starts_on=dt.date(2026, 5, 1),
    )
    everywhere = services.add_to_blacklist(
        worker=world.worker_b, level="platform", reason="冒用他人身份", starts_on=dt.date(2026, 5, 1)
    )
    assert set(visible_blacklist(world.charlie)) == {internal, on_p2, everywhere}
    assert set(visible_blacklist(world.bob)) == {everywhere}
    assert set(visible_blacklist(world.alice)) == {everywhere}
    assert set(visible_blacklist(world.admin)) == {internal, on_p2, everywhere}


def test_a_hikvision_gate_suspends_a_refused_worker_and_deletes_one_who_left(world: World) -> None:
    hik = attendance.register_device(
        project=world.p1, kind=DeviceKind.HIKVISION, serial="HKADM1", name="西门"
    )
    a = Employment.objects.get(worker=world.worker_a, project=world.p1)
    qualify(a)
    services.refresh(world.p1)
    added = DeviceCommand.objects.filter(device=hik, employment=a).latest("command_id")
    assert added.action == "add_person"
    services.add_to_blacklist(
        worker=world.worker_a,
        level="project",
        project=world.p1,
        reason="违章动火",
        starts_on=dt.date(2026, 1, 1),
    )
    services.process_rechecks()
    suspended = DeviceCommand.objects.filter(device=hik, employment=a).latest("command_id")
    assert suspended.action == "suspend_person"  # kept on the terminal with the enrolled face
    assert suspended.path.startswith("/ISAPI/AccessControl/UserInfo/Modify")
    assert suspended.body["UserInfo"]["Valid"]["endTime"] <= timezone.now().astimezone(TZ).strftime(
        "%Y-%m-%dT%H:%M:%S"
    )
    assert "违章动火" in suspended.reason
    workers.register_exit(employment=a, exit_date=dt.date(2026, 3, 10))
    services.process_rechecks()
    removed = DeviceCommand.objects.filter(device=hik, employment=a).latest("command_id")
    assert removed.action == "delete_person"


def test_a_training_expiry_is_told_in_the_projects_time(world: World) -> None:
    from realname.admission.facts import TrainingFact, TrainingState
    from realname.admission.rules import EmploymentFacts, Facts, decide

    expired = dt.datetime(2026, 9, 1, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
    fact = TrainingFact(
        1, "项目级安全教育", "project", TrainingState.EXPIRED, expired - dt.timedelta(days=365), expired
    )
    facts = Facts(
        identity_verified=True,
        employment=EmploymentFacts(dt.date(2026, 1, 1)),
        contracts=[(dt.date(2026, 1, 1), None)],
        training=[fact],
    )
    message = decide(facts, dt.datetime(2026, 10, 1, tzinfo=TZ), TZ).reasons[0].message
    assert message == "培训已过期：项目级安全教育（2026-09-01 10:00 到期）"
