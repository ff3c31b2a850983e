"""Corrections (补卡): a missed punch asked for with a reason and evidence, decided by someone else.

Writes (keyword-only, atomic, audited): :func:`request_correction`, :func:`attach_evidence`,
:func:`approve_correction`, :func:`reject_correction`, :func:`cancel_correction`.
Reads: :func:`list_corrections`, :func:`requestable_employments`, :func:`get_day_view`.

Who: a correction is asked for by anyone whose role grants ``Perm.CORRECTION_REQUEST`` over the employment
(the worker for themself, a team leader for their team, a labour manager / project manager / administrator
for the people in their scope) and decided by a holder of ``Perm.CORRECTION_APPROVE`` over it — never by the
person who asked, nor by the worker it is about. The services check this themselves (``PermissionDenied``),
so no page or endpoint can forget it; pages and the API look the rows up through ``restrict`` first (404).

Approval does not touch any punch. It adds one new AccessEvent through
:func:`realname.attendance.services.ingest_events` — deduplicated by its key ``correction:<request id>``,
appended to the ledger, its work day recomputed — on the project's correction pseudo-device (serial
``BK-<project code>``, created on first use and registered *disabled*, so no device request can ever
authenticate as it; its secret is never shown). The request row is locked while it is decided, so
approving twice (two clicks, two approvers at once) adds one event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from realname.accounts.roles import Perm
from realname.accounts.scope import can, restrict
from realname.attendance import daycalc, services
from realname.attendance.days import DayRecord
from realname.attendance.models import (
    AccessEvent,
    Device,
    DeviceIdentity,
    DeviceKind,
    DeviceRole,
    EventSource,
    PersonRefKind,
)
from realname.attendance.models_corrections import (
    EVIDENCE_TYPES,
    CorrectionDirection,
    CorrectionRequest,
    CorrectionStatus,
)
from realname.attendance.protocols import METHOD_OTHER, ParsedEvent
from realname.attendance.rules import work_date
from realname.core.services import create_row, update_row
from realname.orgs.models import Project
from realname.workers.forms import clean_upload
from realname.workers.models import Employment

# 通行方式 011 其他方式 (regulations.md §3.4): a punch entered by a person, not read by a gate.
CORRECTION_METHOD = METHOD_OTHER
CORRECTION_DEVICE_NAME = "补卡 / corrections"
MAX_TEXT = 500


def max_days() -> int:
    """How many days back a correction may be asked for (REALNAME_CORRECTION_MAX_DAYS)."""
    return int(settings.REALNAME_CORRECTION_MAX_DAYS)


def correction_serial(project: Project) -> str:
    return f"BK-{project.code}"


def is_correction_device(device: Device) -> bool:
    """Whether ``device`` is a project's correction pseudo-device (never enabled, its secret never shown)."""
    return device.kind == DeviceKind.NATIVE and device.serial == f"BK-{device.project.code}"


def correction_ref(employment: Employment) -> str:
    """The identifier the correction device knows an employment by."""
    return f"correction:{employment.public_id}"


def event_key(correction: CorrectionRequest) -> str:
    """The device event key of the punch a request adds: the same request can only ever add one."""
    return f"correction:{correction.public_id}"


def project_zone(project: Project) -> ZoneInfo:
    return ZoneInfo(project.time_zone)


def local_moment(project: Project, day: dt.date, time: dt.time) -> dt.datetime:
    """A wall-clock date and time in the project's zone, as an aware instant."""
    return dt.datetime.combine(day, time.replace(second=0, microsecond=0), tzinfo=project_zone(project))


# --- the correction pseudo-device --------------------------------------------------------------------------


def correction_device(project: Project) -> Device:
    """The project's correction device, created on first use (two first approvals at once create one).

    Registered disabled: every device endpoint refuses a disabled device, and ingest_events does not ask.
    """
    serial = correction_serial(project)
    found = Device.objects.select_related("project").filter(serial=serial, project=project).first()
    if found is not None:
        if found.enabled:  # switched on by hand somewhere: it must never accept a device request
            found = update_row(found, enabled=False, audit_note="补卡设备不接受设备上传，已停用")
        return found
    try:
        with transaction.atomic():
            return services.register_device(
                project=project,
                kind=DeviceKind.NATIVE,
                serial=serial,
                name=CORRECTION_DEVICE_NAME,
                role=DeviceRole.BOTH,
                enabled=False,
            )
    except (IntegrityError, ValidationError):
        found = Device.objects.select_related("project").filter(serial=serial, project=project).first()
        if found is None:  # the serial is taken by a device of another project
            raise ValidationError(
                _("补卡设备序列号 %(serial)s 已被其他设备占用，请联系平台管理员") % {"serial": serial}
            ) from None
        return found


def _ensure_identity(device: Device, employment: Employment) -> None:
    ref = correction_ref(employment)
    exists = DeviceIdentity.objects.filter(
        project_id=device.project_id, ref_kind=PersonRefKind.EMPLOYEE_NO, ref=ref
    ).exists()
    if exists:
        return
    try:
        with transaction.atomic():
            services.map_person(
                project=device.project,
                ref_kind=PersonRefKind.EMPLOYEE_NO,
                ref=ref,
                employment=employment,
                device=device,
            )
    except IntegrityError:
        pass  # mapped by a concurrent first approval: the same mapping


# --- checks ------------------------------------------------------------------------------------------------


def _require(user: Any, perm: str, obj: Employment | CorrectionRequest) -> None:
    if not can(user, perm, obj):
        raise PermissionDenied(_("无权限"))


def _check_within_employment(employment: Employment, day: dt.date) -> None:
    if day < employment.entry_date:
        raise ValidationError(
            {
                "date": _("补卡日期 %(day)s 早于该工人的进场日期 %(entry)s")
                % {"day": day.isoformat(), "entry": employment.entry_date.isoformat()}
            }
        )
    if employment.exit_date is not None and day > employment.exit_date:
        raise ValidationError(
            {
                "date": _("补卡日期 %(day)s 晚于该工人的退场日期 %(exit)s")
                % {"day": day.isoformat(), "exit": employment.exit_date.isoformat()}
            }
        )


def _check_moment(employment: Employment, occurred_at: dt.datetime, now: dt.datetime) -> None:
    if occurred_at > now:
        raise ValidationError({"time": _("补卡时间不能晚于当前时间")})
    zone = project_zone(employment.project)
    day = occurred_at.astimezone(zone).date()
    _check_within_employment(employment, day)
    limit = max_days()
    earliest = now.astimezone(zone).date() - dt.timedelta(days=limit)
    if day < earliest:
        raise ValidationError(
            {
                "date": _("只能为最近 %(n)s 天内（%(earliest)s 起）的考勤补卡")
                % {"n": limit, "earliest": earliest}
            }
        )


def _checked_text(value: str, field: str, *, required_message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: required_message})
    if len(text) > MAX_TEXT:
        raise ValidationError({field: _("不能超过 %(n)s 个字") % {"n": MAX_TEXT}})
    return text


def _checked_evidence(evidence: Any) -> Any:
    """A photo or PDF checked as signed contracts are: size, extension, leading bytes; a random name."""
    try:
        return clean_upload(evidence, EVIDENCE_TYPES)
    except ValidationError as exc:
        raise ValidationError({"evidence": exc.messages}) from None


def _check_may_decide(correction: CorrectionRequest, user: Any) -> None:
    if correction.status != CorrectionStatus.PENDING:
        raise ValidationError(
            _("该补卡申请已处理（%(status)s），不能再次审批") % {"status": correction.get_status_display()}
        )
    if correction.requested_by_id == user.pk:
        raise ValidationError(_("不能审批自己提交的补卡申请"))
    if correction.worker.user_id is not None and correction.worker.user_id == user.pk:
        raise ValidationError(_("不能审批本人的补卡申请"))


def _locked(correction: CorrectionRequest) -> CorrectionRequest:
    """The request re-read under a row lock: whoever decides second sees the first decision."""
    return (
        CorrectionRequest.objects.select_for_update(of=("self",))
        .select_related("project", "employment__project", "worker")
        .get(pk=correction.pk)
    )


# --- writes ------------------------------------------------------------------------------------------------


@transaction.atomic
def request_correction(
    *,
    employment: Employment,
    occurred_at: dt.datetime,
    direction: str,
    reason: str,
    requested_by: Any,
    evidence: Any = None,
    now: dt.datetime | None = None,
) -> CorrectionRequest:
    """Ask for one missed punch of ``employment`` at ``occurred_at`` (aware), with a reason and evidence.

    Refused: a time in the future, a day outside the employment (before entry, after exit), a day more
    than REALNAME_CORRECTION_MAX_DAYS back, and a second standing (pending or approved) request for the
    same punch — the last by a database constraint.
    """
    if occurred_at.tzinfo is None or occurred_at.utcoffset() is None:
        raise ValueError("occurred_at must be timezone-aware")
    _require(requested_by, Perm.CORRECTION_REQUEST, employment)
    if direction not in CorrectionDirection.values:
        raise ValidationError({"direction": _("考勤方向须为 01（入场）或 02（出场）")})
    text = _checked_text(reason, "reason", required_message=_("请填写补卡原因"))
    moment = now or timezone.now()
    occurred = occurred_at.replace(microsecond=0)
    _check_moment(employment, occurred, moment)
    fields: dict[str, Any] = {}
    if evidence:
        fields["evidence"] = _checked_evidence(evidence)
    try:
        with transaction.atomic():
            return create_row(
                CorrectionRequest,
                project_id=employment.project_id,
                employment=employment,
                worker_id=employment.worker_id,
                occurred_at=occurred,
                direction=direction,
                reason=text,
                requested_by=requested_by,
                requested_at=moment,
                **fields,
            )
    except IntegrityError:  # a concurrent identical request won the race past full_clean
        raise ValidationError(_("该工人在这一时间、这一方向已有待审批或已批准的补卡申请")) from None


@transaction.atomic
def attach_evidence(*, correction: CorrectionRequest, evidence: Any, user: Any) -> CorrectionRequest:
    """Add or replace the evidence of a pending request (its requester only)."""
    locked = _locked(correction)
    if locked.requested_by_id != user.pk:
        raise PermissionDenied(_("只有申请人可以补充证明材料"))
    if locked.status != CorrectionStatus.PENDING:
        raise ValidationError(_("该补卡申请已处理，不能再补充证明材料"))
    if not evidence:
        raise ValidationError({"evidence": _("请选择要上传的文件")})
    return update_row(locked, evidence=_checked_evidence(evidence), audit_note="补充证明材料")


@transaction.atomic
def approve_correction(
    *, correction: CorrectionRequest, user: Any, note: str = "", now: dt.datetime | None = None
) -> CorrectionRequest:
    """Approve a pending request: one new punch (source ``correction``) through the ingest service."""
    locked = _locked(correction)
    _require(user, Perm.CORRECTION_APPROVE, locked)
    _check_may_decide(locked, user)
    employment = locked.employment
    # The employment may have been closed since the request: its exit still bounds the day.
    _check_within_employment(employment, locked.occurred_at.astimezone(project_zone(locked.project)).date())
    moment = now or timezone.now()
    device = correction_device(locked.project)
    _ensure_identity(device, employment)
    key = event_key(locked)
    punch = ParsedEvent(
        device_event_key=key,
        person_ref=correction_ref(employment),
        person_ref_kind="employee_no",
        local_time=None,
        aware_time=locked.occurred_at,
        direction=locked.direction,  # type: ignore[arg-type]  # "01" or "02" by the model's choices
        method=CORRECTION_METHOD,
        raw={"correction": str(locked.public_id)},
        # Entered after the fact on purpose: not a device clock to be judged for skew.
        replayed=True,
    )
    services.ingest_events(
        device=device, parsed=[punch], raw_message=None, source=EventSource.CORRECTION, received_at=moment
    )
    event = AccessEvent.objects.get(device=device, device_event_key=key)
    if services.FLAG_REPLAYED in event.flags:
        # "Replayed" means a gate's offline cache; a correction says what it is through its source.
        # Flags are not part of the ledger's canonical bytes.
        event.flags = [flag for flag in event.flags if flag != services.FLAG_REPLAYED]
        AccessEvent.objects.filter(pk=event.pk).update(flags=event.flags)
    if settings.REALNAME_DAY_RECOMPUTE != "inline":
        # An approver is waiting to see the day change: this one day is recomputed now.
        daycalc.recompute_for_events([event])
    return update_row(
        locked,
        status=CorrectionStatus.APPROVED,
        decided_by=user,
        decided_at=moment,
        decision_note=(note or "").strip()[:MAX_TEXT],
        event=event,
        audit_note="批准补卡",
    )


@transaction.atomic
def reject_correction(
    *, correction: CorrectionRequest, user: Any, note: str, now: dt.datetime | None = None
) -> CorrectionRequest:
    """Reject a pending request, saying why; nothing else changes."""
    locked = _locked(correction)
    _require(user, Perm.CORRECTION_APPROVE, locked)
    _check_may_decide(locked, user)
    text = _checked_text(note, "decision_note", required_message=_("驳回时请填写理由"))
    return update_row(
        locked,
        status=CorrectionStatus.REJECTED,
        decided_by=user,
        decided_at=now or timezone.now(),
        decision_note=text,
        audit_note="驳回补卡",
    )


@transaction.atomic
def cancel_correction(
    *, correction: CorrectionRequest, user: Any, note: str = "", now: dt.datetime | None = None
) -> CorrectionRequest:
    """Withdraw a pending request (its requester only), optionally saying why."""
    locked = _locked(correction)
    if locked.requested_by_id != user.pk:
        raise PermissionDenied(_("只有申请人可以撤销补卡申请"))
    if locked.status != CorrectionStatus.PENDING:
        raise ValidationError(
            _("该补卡申请已处理（%(status)s），不能撤销") % {"status": locked.get_status_display()}
        )
    return update_row(
        locked,
        status=CorrectionStatus.CANCELLED,
        decided_by=user,
        decided_at=now or timezone.now(),
        decision_note=(note or "").strip()[:MAX_TEXT],
        audit_note="撤销补卡申请",
    )


# --- reads -------------------------------------------------------------------------------------------------


def list_corrections(
    user: Any,
    *,
    project: Project | None = None,
    status: str = "",
    employment: Employment | None = None,
) -> QuerySet[CorrectionRequest]:
    """The requests the user may see, pending first, then newest first."""
    qs = restrict(
        CorrectionRequest.objects.select_related(
            "project", "worker", "employment__team", "requested_by", "decided_by"
        ),
        user,
        Perm.ATTENDANCE_VIEW,
    )
    if project is not None:
        qs = qs.filter(project=project)
    if status:
        qs = qs.filter(status=status)
    if employment is not None:
        qs = qs.filter(employment=employment)
    pending_first = Case(
        When(status=CorrectionStatus.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return qs.order_by(pending_first, "-requested_at", "-id")


def requestable_employments(user: Any, *, today: dt.date | None = None) -> QuerySet[Employment]:
    """The employments the user may ask a correction for: in scope, and not exited before the window."""
    earliest = (today or timezone.localdate()) - dt.timedelta(days=max_days())
    qs = restrict(Employment.objects.all(), user, Perm.CORRECTION_REQUEST)
    return (
        qs.exclude(exit_date__lt=earliest)
        .select_related("worker", "project", "team")
        .order_by("project__code", "worker__name", "-entry_date", "id")
    )


@dataclass(frozen=True)
class DayView:
    """The work day a correction falls in, as it stands: its DayRecord (if computed) and its punches."""

    work_date: dt.date
    record: DayRecord | None
    punches: list[AccessEvent]


def get_day_view(correction: CorrectionRequest, user: Any) -> DayView:
    """The correction's work day (by the employment's rules, e.g. a night shift's) and the punches in it
    that the user may see, the correction's own punch included once approved."""
    employment = correction.employment
    rules = daycalc.rules_for(employment)
    zone = project_zone(correction.project)
    day = work_date(correction.occurred_at, rules, zone)
    start = dt.datetime.combine(day, rules.work_day_start, tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), rules.work_day_start, tzinfo=zone)
    punches = restrict(
        AccessEvent.objects.filter(employment=employment, occurred_at__gte=start, occurred_at__lt=end),
        user,
        Perm.ATTENDANCE_VIEW,
    ).select_related("device")
    record = DayRecord.objects.filter(employment=employment, work_date=day).first()
    return DayView(work_date=day, record=record, punches=list(punches.order_by("occurred_at", "id")))


def may_decide(user: Any, correction: CorrectionRequest) -> bool:
    """Whether to offer ``user`` the approve / reject buttons (the services decide again)."""
    if correction.status != CorrectionStatus.PENDING or user.pk is None:
        return False
    if correction.requested_by_id == user.pk or correction.worker.user_id == user.pk:
        return False
    return can(user, Perm.CORRECTION_APPROVE, correction)


def may_cancel(user: Any, correction: CorrectionRequest) -> bool:
    return correction.status == CorrectionStatus.PENDING and correction.requested_by_id == user.pk
