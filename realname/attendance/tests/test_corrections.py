"""Corrections (补卡): a request with reason and evidence, decided by someone else; approval adds one new
event (source correction) through the ingest service — a ledger leaf, the day recomputed — and never
touches the original punches. Scope: bob only for subcontractor B's people, charlie nothing of P1."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict

from realname.accounts.models import ScopeKind, User
from realname.accounts.roles import Role
from realname.attendance import corrections, services
from realname.attendance.days import DayRecord
from realname.attendance.models import AccessEvent, Device, DeviceKind
from realname.attendance.models_corrections import CorrectionRequest, CorrectionStatus
from realname.attendance.protocols import ParsedEvent
from realname.attendance.tests.test_native_api import item, refused, send
from realname.core.models import AuditEntry
from realname.ledger.models import LedgerLeaf, LedgerState
from realname.testing import World, employ, make_user, make_worker
from realname.workers import services as worker_services
from realname.workers.models import Employment

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = dt.date(2026, 3, 9)
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=TZ)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n"


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass
class Site:
    world: World
    gate: Device
    a: Employment  # worker_a (wendy), team_a, general contractor A
    b: Employment  # worker_b, team_b, subcontractor B


def at(day: dt.date, hm: str) -> dt.datetime:
    hour, minute = (int(x) for x in hm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def gate_punch(site: Site, pin: str, moment: dt.datetime, direction: Any) -> AccessEvent:
    key = f"{pin}-{moment.isoformat()}-{direction}"
    event = ParsedEvent(
        device_event_key=key,
        person_ref=pin,
        person_ref_kind="pin",
        local_time=None,
        aware_time=moment,
        direction=direction,
        method="003",
        raw={},
    )
    services.ingest_events(
        device=site.gate, parsed=[event], raw_message=None, source="zkteco", received_at=moment
    )
    return AccessEvent.objects.get(device=site.gate, device_event_key=key)


@pytest.fixture
def site(world: World) -> Site:
    gate = services.register_device(project=world.p1, kind=DeviceKind.ZKTECO, serial="ZKC1", area="东门")
    a = Employment.objects.get(worker=world.worker_a, project=world.p1)
    b = Employment.objects.get(worker=world.worker_b, project=world.p1)
    services.map_person(project=world.p1, ref_kind="pin", ref="1", employment=a)
    services.map_person(project=world.p1, ref_kind="pin", ref="2", employment=b)
    return Site(world, gate, a, b)


def ask(site: Site, employment: Employment, user: User, hm: str = "17:00", **extra: Any) -> CorrectionRequest:
    fields: dict[str, Any] = {
        "employment": employment,
        "occurred_at": at(MONDAY, hm),
        "direction": "02",
        "reason": "下班时闸机故障，未能刷卡",
        "requested_by": user,
        "now": NOW,
    }
    fields.update(extra)
    return corrections.request_correction(**fields)


def day(employment: Employment) -> DayRecord:
    return DayRecord.objects.get(employment=employment, work_date=MONDAY)


def errors(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(exc.value.messages)


# --- approval: a new event, the original untouched ------------------------------------------------------


def test_approval_adds_one_correction_event_a_ledger_leaf_and_recomputes_the_day(site: Site) -> None:
    world = site.world
    original = gate_punch(site, "1", at(MONDAY, "08:00"), "01")
    before = model_to_dict(original)
    assert day(site.a).statuses == ["missing_punch"]
    leaves = LedgerState.objects.get().size
    request = ask(site, site.a, world.alice)

    approved = corrections.approve_correction(correction=request, user=world.admin, note="核实属实", now=NOW)

    assert approved.status == CorrectionStatus.APPROVED
    assert approved.decided_by == world.admin and approved.decided_at == NOW
    new = AccessEvent.objects.select_related("device").get(pk=approved.event_id)
    assert new.source == "correction"
    assert new.device.serial == "BK-P1" and new.device.kind == DeviceKind.NATIVE
    assert new.device_event_key == f"correction:{request.public_id}"
    assert (new.employment_id, new.worker_id) == (site.a.pk, world.worker_a.pk)
    assert new.occurred_at == at(MONDAY, "17:00")
    assert (new.direction, new.method) == ("02", "011")
    assert new.flags == []  # not an unknown person, not a skewed or replayed gate clock
    # The original punch is exactly as it was; the only other event is the correction.
    original.refresh_from_db()
    assert model_to_dict(original) == before
    assert AccessEvent.objects.count() == 2
    # One more leaf in the tamper-evident log, for the new event.
    assert LedgerState.objects.get().size == leaves + 1
    assert LedgerLeaf.objects.get(event=new).index == new.ledger_index
    # The day is recomputed: the missing exit is there now.
    record = day(site.a)
    assert record.statuses == ["present"]
    assert record.last_out == at(MONDAY, "17:00")
    assert str(new.public_id) in record.event_ids and str(original.public_id) in record.event_ids


def test_rejecting_changes_nothing_but_the_request(site: Site) -> None:
    world = site.world
    gate_punch(site, "1", at(MONDAY, "08:00"), "01")
    record = day(site.a)
    leaves = LedgerState.objects.get().size
    request = ask(site, site.a, world.alice)

    rejected = corrections.reject_correction(
        correction=request, user=world.admin, note="监控显示 16:10 已离场", now=NOW
    )

    assert rejected.status == CorrectionStatus.REJECTED
    assert rejected.decision_note == "监控显示 16:10 已离场"
    assert rejected.event_id is None
    assert AccessEvent.objects.count() == 1
    assert LedgerState.objects.get().size == leaves
    assert day(site.a).statuses == ["missing_punch"]
    assert day(site.a).computed_at == record.computed_at
    assert not Device.objects.filter(serial="BK-P1").exists()


def test_a_rejection_needs_a_reason(site: Site) -> None:
    request = ask(site, site.a, site.world.alice)
    with pytest.raises(ValidationError) as exc:
        corrections.reject_correction(correction=request, user=site.world.admin, note="  ")
    assert "驳回时请填写理由" in errors(exc)
    request.refresh_from_db()
    assert request.status == CorrectionStatus.PENDING


def test_approving_twice_adds_one_event(site: Site) -> None:
    world = site.world
    request = ask(site, site.b, world.bob)
    corrections.approve_correction(correction=request, user=world.alice, now=NOW)

    # The same (stale, still "pending" in memory) object again, as a double click would send it.
    assert request.status == CorrectionStatus.PENDING
    with pytest.raises(ValidationError) as exc:
        corrections.approve_correction(correction=request, user=world.admin, now=NOW)

    assert "已处理" in errors(exc)
    assert AccessEvent.objects.filter(source="correction").count() == 1
    request.refresh_from_db()
    assert request.decided_by == world.alice
    with pytest.raises(ValidationError):
        corrections.reject_correction(correction=request, user=world.admin, note="晚了")


def test_nobody_approves_their_own_request(site: Site) -> None:
    world = site.world
    request = ask(site, site.b, world.bob)
    with pytest.raises(ValidationError) as exc:
        corrections.approve_correction(correction=request, user=world.bob, now=NOW)
    assert "不能审批自己提交的补卡申请" in errors(exc)
    with pytest.raises(ValidationError):
        corrections.reject_correction(correction=request, user=world.bob, note="算了")
    assert AccessEvent.objects.filter(source="correction").count() == 0


def test_nobody_approves_a_request_about_themself(site: Site) -> None:
    world = site.world
    lena = make_user("lena", Role.LABOUR_MANAGER, ScopeKind.COMPANY, company=world.company_a)
    her_worker = make_worker("刘丽", sex="F", registered_by_company=world.company_a)
    her_worker.user = lena
    her_worker.save(update_fields=["user"])
    hers = employ(her_worker, world.gc_p1, team=world.team_a)
    request = ask(site, hers, world.alice)

    with pytest.raises(ValidationError) as exc:
        corrections.approve_correction(correction=request, user=lena, now=NOW)

    assert "不能审批本人的补卡申请" in errors(exc)
    assert corrections.may_decide(lena, request) is False
    assert corrections.may_decide(world.admin, request) is True


# --- who may ask and decide ------------------------------------------------------------------------------


def test_charlie_may_neither_ask_nor_decide_nor_see_anything_of_p1(site: Site) -> None:
    world = site.world
    with pytest.raises(PermissionDenied):
        ask(site, site.a, world.charlie)
    request = ask(site, site.a, world.alice)
    with pytest.raises(PermissionDenied):
        corrections.approve_correction(correction=request, user=world.charlie, now=NOW)
    with pytest.raises(PermissionDenied):
        corrections.reject_correction(correction=request, user=world.charlie, note="不行")
    assert list(corrections.list_corrections(world.charlie)) == []
    assert list(corrections.requestable_employments(world.charlie, today=NOW.date())) == [
        Employment.objects.get(worker=world.worker_c)
    ]
    request.refresh_from_db()
    assert request.status == CorrectionStatus.PENDING


def test_bob_asks_and_decides_only_for_subcontractor_bs_people(site: Site) -> None:
    world = site.world
    with pytest.raises(PermissionDenied):
        ask(site, site.a, world.bob)
    for_b = ask(site, site.b, world.alice)
    for_a = ask(site, site.a, world.wendy)

    with pytest.raises(PermissionDenied):
        corrections.approve_correction(correction=for_a, user=world.bob, now=NOW)
    approved = corrections.approve_correction(correction=for_b, user=world.bob, now=NOW)

    assert approved.status == CorrectionStatus.APPROVED
    assert list(corrections.list_corrections(world.bob)) == [approved]
    assert set(corrections.list_corrections(world.alice)) == {approved, for_a}
    assert list(corrections.requestable_employments(world.bob, today=NOW.date())) == [site.b]


def test_a_worker_asks_for_themself_and_a_team_leader_for_their_team_but_neither_decides(site: Site) -> None:
    world = site.world
    tina = make_user("tina", Role.TEAM_LEADER, ScopeKind.COMPANY, company=world.company_a)
    leader = make_worker("陈班长", registered_by_company=world.company_a)
    leader.user = tina
    leader.save(update_fields=["user"])
    employ(leader, world.gc_p1, team=world.team_a)
    world.team_a.leader = leader
    world.team_a.save(update_fields=["leader"])

    own = ask(site, site.a, world.wendy)
    with pytest.raises(PermissionDenied):
        ask(site, site.b, world.wendy)
    by_leader = ask(site, site.a, tina, hm="08:00", direction="01")
    with pytest.raises(PermissionDenied):
        ask(site, site.b, tina)

    assert own.requested_by == world.wendy and by_leader.requested_by == tina
    with pytest.raises(PermissionDenied):
        corrections.approve_correction(correction=by_leader, user=world.wendy, now=NOW)
    with pytest.raises(PermissionDenied):
        corrections.approve_correction(correction=own, user=tina, now=NOW)
    assert list(corrections.list_corrections(world.wendy)) == [by_leader, own]


def test_only_the_requester_cancels_and_a_cancelled_request_cannot_be_approved(site: Site) -> None:
    world = site.world
    request = ask(site, site.a, world.wendy)
    with pytest.raises(PermissionDenied):
        corrections.cancel_correction(correction=request, user=world.alice)

    cancelled = corrections.cancel_correction(correction=request, user=world.wendy, now=NOW)

    assert cancelled.status == CorrectionStatus.CANCELLED
    with pytest.raises(ValidationError):
        corrections.approve_correction(correction=request, user=world.alice, now=NOW)
    # Withdrawn, the same punch may be asked for again.
    assert ask(site, site.a, world.wendy).status == CorrectionStatus.PENDING


# --- limits ------------------------------------------------------------------------------------------------


def test_a_time_in_the_future_is_refused(site: Site) -> None:
    with pytest.raises(ValidationError) as exc:
        ask(site, site.a, site.world.alice, occurred_at=NOW + dt.timedelta(minutes=5))
    assert exc.value.message_dict == {"time": ["补卡时间不能晚于当前时间"]}


def test_a_day_before_entry_or_after_exit_is_refused(site: Site) -> None:
    world = site.world
    with pytest.raises(ValidationError) as exc:
        ask(site, site.a, world.alice, occurred_at=at(dt.date(2026, 2, 27), "17:00"))
    assert exc.value.message_dict == {"date": ["补卡日期 2026-02-27 早于该工人的进场日期 2026-03-01"]}

    worker_services.register_exit(employment=site.b, exit_date=dt.date(2026, 3, 5))
    site.b.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        ask(site, site.b, world.alice)
    assert exc.value.message_dict == {"date": ["补卡日期 2026-03-09 晚于该工人的退场日期 2026-03-05"]}
    assert ask(site, site.b, world.alice, occurred_at=at(dt.date(2026, 3, 5), "17:00")).is_pending


def test_an_exit_registered_after_the_request_still_bounds_its_approval(site: Site) -> None:
    request = ask(site, site.b, site.world.alice)
    worker_services.register_exit(employment=site.b, exit_date=dt.date(2026, 3, 6))
    with pytest.raises(ValidationError) as exc:
        corrections.approve_correction(correction=request, user=site.world.bob, now=NOW)
    assert "晚于该工人的退场日期" in errors(exc)
    assert AccessEvent.objects.filter(source="correction").count() == 0


def test_a_day_older_than_the_configured_limit_is_refused(site: Site, settings: Any) -> None:
    settings.REALNAME_CORRECTION_MAX_DAYS = 5
    with pytest.raises(ValidationError) as exc:
        ask(site, site.a, site.world.alice, occurred_at=at(dt.date(2026, 3, 4), "17:00"))
    assert exc.value.message_dict == {"date": ["只能为最近 5 天内（2026-03-05 起）的考勤补卡"]}
    assert ask(site, site.a, site.world.alice, occurred_at=at(dt.date(2026, 3, 5), "17:00")).is_pending


def test_a_second_standing_request_for_the_same_punch_is_refused(site: Site) -> None:
    world = site.world
    first = ask(site, site.a, world.wendy)
    with pytest.raises(ValidationError) as exc:
        ask(site, site.a, world.alice)
    assert "已有待审批或已批准的补卡申请" in errors(exc)
    # Another direction or time is another punch.
    assert ask(site, site.a, world.alice, direction="01").is_pending
    corrections.approve_correction(correction=first, user=world.alice, now=NOW)
    with pytest.raises(ValidationError):
        ask(site, site.a, world.alice)


def test_a_rejected_punch_may_be_asked_for_again(site: Site) -> None:
    first = ask(site, site.a, site.world.wendy)
    corrections.reject_correction(correction=first, user=site.world.alice, note="请补充证明材料")
    assert ask(site, site.a, site.world.wendy).is_pending


def test_a_reason_and_a_national_direction_are_required(site: Site) -> None:
    with pytest.raises(ValidationError) as exc:
        ask(site, site.a, site.world.alice, reason="   ")
    assert exc.value.message_dict == {"reason": ["请填写补卡原因"]}
    with pytest.raises(ValidationError) as exc:
        ask(site, site.a, site.world.alice, direction="")
    assert list(exc.value.message_dict) == ["direction"]


# --- evidence ----------------------------------------------------------------------------------------------


def test_evidence_is_stored_under_a_random_name_when_its_bytes_match_its_type(site: Site) -> None:
    photo = SimpleUploadedFile("张甲-110105199001011234.png", PNG, content_type="image/png")
    request = ask(site, site.a, site.world.wendy, evidence=photo)
    assert request.evidence.name.startswith("corrections/")
    assert "张甲" not in request.evidence.name and request.evidence.name.endswith(".png")
    with request.evidence.open("rb") as handle:
        assert handle.read() == PNG
    pdf = SimpleUploadedFile("note.pdf", PDF, content_type="application/pdf")
    assert ask(site, site.a, site.world.wendy, direction="01", evidence=pdf).evidence.name.endswith(".pdf")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("scan.pdf", b"MZ\x90\x00 not a pdf", "文件内容与扩展名 .pdf 不符"),
        ("photo.jpg", PNG, "文件内容与扩展名 .jpg 不符"),
        ("run.exe", b"MZ\x90\x00", "只能上传以下格式的文件"),
    ],
)
def test_evidence_whose_content_does_not_match_is_refused(
    site: Site, name: str, content: bytes, message: str
) -> None:
    upload = SimpleUploadedFile(name, content)
    with pytest.raises(ValidationError) as exc:
        ask(site, site.a, site.world.wendy, evidence=upload)
    assert list(exc.value.message_dict) == ["evidence"]
    assert message in errors(exc)
    assert not CorrectionRequest.objects.exists()


def test_only_the_requester_adds_evidence_and_only_while_pending(site: Site) -> None:
    request = ask(site, site.a, site.world.wendy)
    photo = SimpleUploadedFile("p.png", PNG)
    with pytest.raises(PermissionDenied):
        corrections.attach_evidence(correction=request, evidence=photo, user=site.world.alice)
    assert corrections.attach_evidence(correction=request, evidence=photo, user=site.world.wendy).evidence
    corrections.approve_correction(correction=request, user=site.world.alice, now=NOW)
    with pytest.raises(ValidationError):
        corrections.attach_evidence(
            correction=request, evidence=SimpleUploadedFile("q.png", PNG), user=site.world.wendy
        )


# --- the correction device, the audit trail ----------------------------------------------------------------


def test_the_correction_device_cannot_receive_uploads_from_outside(site: Site) -> None:
    request = ask(site, site.a, site.world.wendy)
    corrections.approve_correction(correction=request, user=site.world.alice, now=NOW)
    device = Device.objects.get(serial="BK-P1")
    assert device.enabled is False
    assert corrections.is_correction_device(device) and not corrections.is_correction_device(site.gate)

    # Even with its secret (never shown anywhere), a signed upload is refused.
    response = send(device, {"events": [item("forged", ref=corrections.correction_ref(site.a))]})

    refused(response, "device_disabled")
    assert AccessEvent.objects.filter(device=device).count() == 1


def test_a_correction_device_switched_on_by_hand_is_switched_off_again(site: Site) -> None:
    corrections.approve_correction(
        correction=ask(site, site.a, site.world.wendy), user=site.world.alice, now=NOW
    )
    Device.objects.filter(serial="BK-P1").update(enabled=True)

    corrections.approve_correction(
        correction=ask(site, site.b, site.world.alice), user=site.world.bob, now=NOW
    )

    device = Device.objects.get(serial="BK-P1")
    assert device.enabled is False
    assert AuditEntry.objects.filter(
        object_id=str(device.public_id), note="补卡设备不接受设备上传，已停用"
    ).exists()


def test_a_second_approval_on_the_project_reuses_its_correction_device(site: Site) -> None:
    world = site.world
    corrections.approve_correction(correction=ask(site, site.a, world.wendy), user=world.alice, now=NOW)
    corrections.approve_correction(correction=ask(site, site.b, world.alice), user=world.bob, now=NOW)
    corrections.approve_correction(
        correction=ask(site, site.a, world.wendy, hm="08:00", direction="01"), user=world.alice, now=NOW
    )
    assert Device.objects.filter(serial="BK-P1").count() == 1
    assert AccessEvent.objects.filter(source="correction").values("device").distinct().count() == 1
    assert AccessEvent.objects.filter(source="correction", employment=site.a).count() == 2


def test_asking_approving_rejecting_and_cancelling_are_audited(site: Site) -> None:
    world = site.world
    approved = ask(site, site.a, world.wendy)
    corrections.approve_correction(correction=approved, user=world.alice, now=NOW)
    rejected = ask(site, site.b, world.alice)
    corrections.reject_correction(correction=rejected, user=world.bob, note="无证明", now=NOW)
    cancelled = ask(site, site.a, world.wendy, hm="08:00", direction="01")
    corrections.cancel_correction(correction=cancelled, user=world.wendy, now=NOW)

    entries = AuditEntry.objects.filter(object_type="attendance.CorrectionRequest")
    assert entries.filter(action="create").count() == 3
    notes = {
        (entry.object_id, entry.note, entry.changes["status"][1]) for entry in entries.filter(action="update")
    }
    assert notes == {
        (str(approved.public_id), "批准补卡", "approved"),
        (str(rejected.public_id), "驳回补卡", "rejected"),
        (str(cancelled.public_id), "撤销补卡申请", "cancelled"),
    }
    assert all(entry.project_id == world.p1.pk for entry in entries)


def test_the_day_is_recomputed_on_approval_even_when_gate_recomputation_is_deferred(
    site: Site, settings: Any
) -> None:
    gate_punch(site, "1", at(MONDAY, "08:00"), "01")
    assert day(site.a).statuses == ["missing_punch"]
    settings.REALNAME_DAY_RECOMPUTE = "deferred"

    corrections.approve_correction(
        correction=ask(site, site.a, site.world.wendy), user=site.world.alice, now=NOW
    )

    assert day(site.a).statuses == ["present"]


def test_the_day_view_shows_the_punches_of_the_work_day_and_its_record(site: Site) -> None:
    world = site.world
    gate_punch(site, "1", at(MONDAY, "08:00"), "01")
    gate_punch(site, "1", at(MONDAY + dt.timedelta(days=1), "08:00"), "01")  # another day
    request = ask(site, site.a, world.wendy)

    view = corrections.get_day_view(request, world.alice)

    assert view.work_date == MONDAY
    assert [p.occurred_at for p in view.punches] == [at(MONDAY, "08:00")]
    assert view.record is not None and view.record.statuses == ["missing_punch"]
    corrections.approve_correction(correction=request, user=world.alice, now=NOW)
    after = corrections.get_day_view(request, world.alice)
    assert [p.source for p in after.punches] == ["zkteco", "correction"]
    assert after.record is not None and after.record.statuses == ["present"]
