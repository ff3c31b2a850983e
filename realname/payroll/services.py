"""Writes for pay periods and pay sheets: generate, inputs, and every workflow step (atomic, recorded).

``generate`` is the one way lines come to exist: it reads a month of DayRecords, contracts, piece
quantities and additions/deductions for a project in a handful of queries, hands each employment's month
to :func:`realname.payroll.calc.compute`, and writes only what changed. Each line keeps a digest of its
inputs, so regenerating a draft recomputes exactly the employments whose inputs changed and records
the difference (added, removed, changed lines with the old and new net pay) on the sheet.

Workflow (each step a :class:`~realname.payroll.models.SheetStep` with who and when, and an audit entry):
draft → ``confirm_team`` → every line ``confirm_line`` (the worker, on the phone page, or a paper
signature recorded by a manager) → ``approve_employer`` → ``approve_gc`` → (bank batches) sent → paid /
partly failed. ``reopen`` sends a sheet not yet approved back to draft; ``revise`` replaces an approved
sheet by a new revision, with the reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

import orjson
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from realname.accounts.models import User
from realname.accounts.roles import Perm, Role
from realname.accounts.scope import (
    companies_on_project,
    company_role_projects,
    has_perm,
    is_platform,
    restrict,
)
from realname.attendance.calendar import HolidayCalendar
from realname.core import audit
from realname.core.bulk import paused_gc
from realname.core.ids import time_ordered_uuid_text
from realname.core.models import AuditAction
from realname.core.text import listed
from realname.orgs.models import GENERAL_CONTRACTOR, Participant, Project, Team
from realname.payroll import calc
from realname.payroll.models import (
    ConfirmVia,
    ItemDirection,
    LineStatus,
    MinimumWage,
    PayItem,
    PayLine,
    PayPeriod,
    PaySheet,
    PieceQuantity,
    SheetStatus,
    SheetStep,
    Step,
    WageDeposit,
)
from realname.workers.models import Contract, Employment, Worker

# --- periods -------------------------------------------------------------------------------------------


def default_pay_date(month: dt.date, pay_day: int, calendar: HolidayCalendar) -> dt.date:
    """The contracts' pay day in the month after ``month`` (条例 Art. 14: 当期或次期), moved earlier to the
    nearest working day when it falls on a rest day or holiday (工资支付暂行规定 Art. 7)."""
    nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    last = (nxt.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    day = nxt.replace(day=min(pay_day, last.day))
    while calendar.is_rest_day(day):
        day -= dt.timedelta(days=1)
    return day


def common_pay_day(project: Project, month: dt.date) -> int:
    """The pay day most of the month's contracts name (15 when there are none)."""
    first, last = month, calc.month_dates(month)[-1]
    counts: dict[int, int] = defaultdict(int)
    for pay_day in (
        Contract.objects.filter(project=project, start_date__lte=last)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=first))
        .values_list("pay_day", flat=True)
    ):
        counts[pay_day] += 1
    if not counts:
        return 15
    return max(sorted(counts), key=lambda d: counts[d])


def _holiday_calendar() -> HolidayCalendar:
    from realname.attendance.daycalc import holiday_calendar

    return holiday_calendar()


@transaction.atomic
def open_period(
    *, project: Project, month: dt.date, by: User | None, pay_date: dt.date | None = None
) -> PayPeriod:
    """Open a project's pay period for ``month`` (the first of the month); one per project and month."""
    if (
        by is not None
        and not restrict(Project.objects.filter(pk=project.pk), by, Perm.PAYROLL_PREPARE).exists()
    ):
        raise PermissionDenied(_("您不能为该项目编制工资"))
    month = month.replace(day=1)
    if PayPeriod.objects.filter(project=project, month=month).exists():
        raise ValidationError(_("%(month)s 的计薪周期已经存在") % {"month": f"{month:%Y-%m}"})
    if pay_date is None:
        pay_date = default_pay_date(month, common_pay_day(project, month), _holiday_calendar())
    if pay_date <= month:
        raise ValidationError({"pay_date": _("发薪日必须在计薪月份开始之后")})
    period = PayPeriod(project=project, month=month, pay_date=pay_date)
    period.full_clean()
    period.save()
    audit.record_create(period)
    return period


# --- who may do what ------------------------------------------------------------------------------------


def preparable_participants(user: User | None, project: Project) -> QuerySet[Participant]:
    """The participants of ``project`` whose pay sheets ``user`` may prepare: their own company's (分包编制
    工资支付表), or all of them where the company is the general contractor (its 劳资专管员 reviews and may
    prepare every participant's, 条例 Art. 28). The owner and the supervisor see pay but do not prepare it."""
    qs = Participant.objects.filter(project=project)
    if user is None:
        return qs
    if is_platform(user, Perm.PAYROLL_PREPARE):
        return qs
    companies = companies_on_project(user, Perm.PAYROLL_PREPARE, project)
    if not companies:
        return qs.none()
    wide = Participant.objects.filter(project=project, company_id__in=companies, role=GENERAL_CONTRACTOR)
    if wide.exists():
        return qs
    return qs.filter(company_id__in=companies)


def _is_gc(user: User, project: Project) -> bool:
    if is_platform(user, Perm.PAYROLL_APPROVE):
        return True
    return (
        company_role_projects(user, Perm.PAYROLL_APPROVE, GENERAL_CONTRACTOR).filter(pk=project.pk).exists()
    )


def _is_employer(user: User, sheet: PaySheet) -> bool:
    """Whether ``user`` approves ``sheet`` for its employer: through a membership of the sheet's company
    whose own scope reaches the sheet (not another membership's)."""
    if is_platform(user, Perm.PAYROLL_APPROVE):
        return True
    if not restrict(PaySheet.objects.filter(pk=sheet.pk), user, Perm.PAYROLL_APPROVE).exists():
        return False
    return sheet.participant.company_id in companies_on_project(user, Perm.PAYROLL_APPROVE, sheet.project)


def _may_prepare(user: User, sheet: PaySheet) -> bool:
    return preparable_participants(user, sheet.project).filter(pk=sheet.participant_id).exists()


def _step(
    sheet: PaySheet, step: str, by: User | None, note: str = "", line: PayLine | None = None
) -> SheetStep:
    label = by.get_username() if by is not None else "<system>"
    row = SheetStep.objects.create(
        sheet=sheet, line=line, step=step, actor=by, actor_label=label, at=timezone.now(), note=note
    )
    audit.record(
        AuditAction.UPDATE,
        sheet,
        changes={"step": step, "status": sheet.status, **({"line": str(line.public_id)} if line else {})},
        note=note,
    )
    return row


def _set_status(sheet: PaySheet, status: str) -> None:
    sheet.status = status
    sheet.save(update_fields=["status", "updated_at"])


# --- generate --------------------------------------------------------------------------------------------


@dataclass
class GenerateResult:
    sheets_created: int = 0
    sheets_regenerated: int = 0
    lines_added: int = 0
    lines_changed: int = 0
    lines_removed: int = 0
    lines_unchanged: int = 0
    skipped_sheets: list[str] = field(default_factory=list)  # not in draft: left as they are
    # Workers with pay this month who belong on one of the skipped sheets (moved into that team after it
    # was confirmed, say) and are on no sheet: they get a line once that sheet is back in draft.
    left_out: list[str] = field(default_factory=list)


class _Emp(NamedTuple):  # one per employment of the month: 10,000 on a big site
    id: int
    worker_id: int
    participant_id: int
    team_id: int | None
    entry_date: dt.date
    exit_date: dt.date | None


def _minimum_wage(project: Project, month: dt.date) -> Decimal | None:
    rows = [
        r
        for r in MinimumWage.objects.filter(effective_from__lte=month).order_by("-effective_from")
        if project.region_code.startswith(r.region_prefix)
    ]
    if not rows:
        return None
    best = max(rows, key=lambda r: (len(r.region_prefix), r.effective_from))
    return best.monthly


def collect_inputs(
    period: PayPeriod, *, participant_ids: Collection[int] | None = None
) -> tuple[dict[int, _Emp], _Inputs]:
    """Everything the month's lines are computed from, read in a handful of queries: the employments on
    the project during the month (of ``participant_ids``, or all), their contracts' terms, their month of
    days summed up (or single days where the summary does not fit), the period's piece quantities and
    additions/deductions, the calendar and the minimum wage."""
    from realname.core.bulk import read_in_order
    from realname.payroll.selectors import attendance_of, attendance_query, single_days

    project = period.project
    first = period.month
    dates = calc.month_dates(first)
    last = dates[-1]
    calendar = _holiday_calendar()
    month = calc.Month({d: calendar.kind(d) for d in dates})
    month_key = tuple(month[d] for d in dates)
    minimum = _minimum_wage(project, first)

    employments = Employment.objects.filter(project=project, entry_date__lte=last).filter(
        Q(exit_date__isnull=True) | Q(exit_date__gte=first)
    )
    if participant_ids is not None:
        employments = employments.filter(participant_id__in=list(participant_ids))
    contracts = (
        Contract.objects.filter(project=project, start_date__lte=last)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=first))
        .values_list(
            "employment_id",
            "public_id",
            "pay_type",
            "daily_rate",
            "monthly_salary",
            "hourly_rate",
            "piece_unit_price",
            "start_date",
            "end_date",
            "piece_unit",
        )
    )
    piece_rows = (
        PieceQuantity.objects.filter(period=period)
        .order_by("created_at", "id")
        .values_list(
            "employment_id", "public_id", "description", "unit", "quantity", "unit_price", "overtime"
        )
    )
    item_rows = (
        PayItem.objects.filter(period=period)
        .order_by("created_at", "id")
        .values_list("employment_id", "public_id", "direction", "kind", "amount", "note")
    )
    emps: dict[int, _Emp] = {}
    terms: dict[int, list[calc.Terms]] = defaultdict(list)
    pieces: dict[int, list[calc.Piece]] = defaultdict(list)
    items: dict[int, list[calc.Item]] = defaultdict(list)
    unit_labels = dict(PieceQuantity._meta.get_field("unit").flatchoices)
    # Sent together: one round trip for the five reads.
    with read_in_order(
        employments.values_list("id", "worker_id", "participant_id", "team_id", "entry_date", "exit_date"),
        contracts,
        piece_rows,
        item_rows,
        attendance_query(project.pk, month),
    ) as results:
        for row in next(results):
            emps[row[0]] = _Emp(*row)
        for emp_id, public_id, pay_type, daily, monthly, hourly, piece, start, end, unit in next(results):
            if emp_id not in emps:
                continue
            rate = {"daily": daily, "monthly": monthly, "hourly": hourly, "piece": piece}[pay_type]
            if rate is None or rate <= 0:
                continue
            terms[emp_id].append(
                calc.Terms(
                    ref=str(public_id),
                    pay_type=pay_type,
                    rate=rate,
                    start=start,
                    end=end,
                    piece_unit=unit,
                )
            )
        for employment_id, public_id, description, unit, quantity, unit_price, overtime in next(results):
            if employment_id in emps:
                pieces[employment_id].append(
                    calc.Piece(
                        ref=str(public_id),
                        description=description,
                        unit=str(unit_labels.get(unit, unit)),
                        quantity=quantity,
                        unit_price=unit_price,
                        overtime_kind=overtime or None,
                    )
                )
        for employment_id, public_id, direction, kind, amount, note in next(results):
            if employment_id in emps:
                items[employment_id].append(
                    calc.Item(ref=str(public_id), direction=direction, kind=kind, amount=amount, note=note)
                )
        summaries = attendance_of(next(results))

    # The month's days, summed up per employment by the database. Where they do not fit as they are (the
    # terms change within the month, or records lie outside the employment's span), single days instead,
    # so each day is paid under its own terms.
    days: dict[int, calc.Attendance | list[calc.Day]] = {}
    day_keys: dict[int, tuple[Any, ...]] = {}
    single: list[int] = []
    for e, summary in summaries.items():
        emp = emps.get(e)
        if emp is None:
            continue
        if calc.fits(month, emp.entry_date, emp.exit_date, terms.get(e, ()), summary):
            days[e] = summary
            day_keys[e] = tuple(summary)
        else:
            single.append(e)
    for e, records in single_days(single, first, last).items():
        emp = emps[e]
        span = month.between(emp.entry_date, emp.exit_date)
        mine = [d for d in records if month.bit(d.work_date) & span]
        if mine:
            days[e] = mine
            day_keys[e] = tuple(
                (d.work_date.day, d.day_kind, d.hours, d.overtime_hours, d.overtime_kind, d.statuses)
                for d in mine
            )

    # What each line is computed from, as text for its inputs digest (see _line_digest).
    terms_keys = {
        e: ";".join(f"{t.ref},{t.pay_type},{t.rate},{t.start},{t.end},{t.full_day_hours}" for t in ts)
        for e, ts in terms.items()
    }
    common = f"{','.join(month_key)}|{minimum}"
    return emps, _Inputs(month, common, minimum, terms, terms_keys, days, day_keys, pieces, items)


def estimate(period: PayPeriod) -> Decimal:
    """The month's expected labour cost (gross pay of every employment, from attendance × rates and the
    entered inputs), computed as ``generate`` would and written nowhere."""
    emps, inputs = collect_inputs(period)
    total = Decimal("0.00")
    for e in emps.values():
        total += _compute(e, inputs).gross
    return total


@paused_gc()
@transaction.atomic
def generate(
    *, period: PayPeriod, by: User | None, participants: Iterable[int] | None = None
) -> GenerateResult:
    """Build or rebuild the period's draft sheets (one per participant and team) for the participants
    ``by`` may prepare (all of them when ``by`` is None: a command or job). Sheets that have left the
    draft state are not touched; an employment already on such a sheet gets no second line."""
    project = period.project
    allowed = preparable_participants(by, project)
    if participants is not None:
        allowed = allowed.filter(pk__in=list(participants))
    allowed_ids = set(allowed.values_list("pk", flat=True))
    if by is not None and not allowed_ids:
        raise PermissionDenied(_("您不能为该项目编制工资"))

    emps, inputs = collect_inputs(period, participant_ids=allowed_ids)
    # Employments already on a sheet past the draft keep that line (no second line, no second payment).
    settled: set[int] = set(
        PayLine.objects.filter(sheet__period=period)
        .exclude(sheet__status__in=[SheetStatus.DRAFT, SheetStatus.SUPERSEDED])
        .values_list("employment_id", flat=True)
    )

    # Which employments go on a sheet: those with anything to pay or explain this month.
    groups: dict[tuple[int, int], list[_Emp]] = defaultdict(list)
    for e in emps.values():
        if e.id in settled:
            continue
        if not _has_anything(e, inputs):
            continue
        groups[(e.participant_id, e.team_id or 0)].append(e)

    existing = {
        (s.participant_id, s.team_key): s
        for s in PaySheet.objects.filter(period=period, participant_id__in=allowed_ids)
        .exclude(status=SheetStatus.SUPERSEDED)
        .select_related("participant__company", "team")  # each sheet's step names it
    }
    participants = Participant.objects.select_related("company").in_bulk({k[0] for k in groups})
    teams = Team.objects.in_bulk({k[1] for k in groups if k[1]})
    result = GenerateResult()
    result.skipped_sheets = [str(s) for k, s in sorted(existing.items()) if s.status != SheetStatus.DRAFT]
    now = timezone.now()
    left_out: list[int] = []
    for key in sorted(set(groups) | {k for k, s in existing.items() if s.status == SheetStatus.DRAFT}):
        sheet = existing.get(key)
        if sheet is not None and sheet.status != SheetStatus.DRAFT:
            # confirmed or approved: reopen or revise it first (listed in skipped_sheets). Its members
            # already on it are settled; whoever is still here has no line anywhere.
            left_out.extend(e.worker_id for e in groups.get(key, []))
            continue
        created = sheet is None
        if sheet is None:
            participant_id, team_key = key
            sheet = PaySheet.objects.create(
                period=period,
                project=project,
                participant=participants[participant_id],
                team=teams.get(team_key),
                team_key=team_key,
                generated_at=now,
            )
            result.sheets_created += 1
        else:
            result.sheets_regenerated += 1
        diff, totals = _write_lines(
            sheet=sheet, created=created, members=groups.get(key, []), inputs=inputs, result=result, now=now
        )
        sheet.gross, sheet.deductions, sheet.net, sheet.line_count, sheet.warning_count = totals
        sheet.generated_at = now
        sheet.last_diff = {} if created else diff
        sheet.save(
            update_fields=[
                "gross",
                "deductions",
                "net",
                "line_count",
                "warning_count",
                "generated_at",
                "last_diff",
                "updated_at",
            ]
        )
        _step(
            sheet,
            Step.GENERATED if created else Step.REGENERATED,
            by,
            note="" if created else _diff_note(diff),
        )
    if left_out:
        result.left_out = sorted(Worker.objects.filter(pk__in=left_out).values_list("name", flat=True))
    return result


def _line_digest(e: _Emp, inputs: _Inputs) -> str:
    """What a line is computed from, hashed: equal digests, equal lines. (The text is made of plain
    ``str``/``repr`` of the inputs: the same inputs always give the same text.)"""
    pieces = inputs.pieces.get(e.id)
    items = inputs.items.get(e.id)
    text = "|".join(
        (
            inputs.common,
            str(e.entry_date),
            str(e.exit_date),
            inputs.terms_keys.get(e.id, ""),
            repr(inputs.day_keys.get(e.id, ())),
            repr([(p.ref, p.description, p.unit, p.quantity, p.unit_price, p.overtime_kind) for p in pieces])
            if pieces
            else "",
            repr([(i.ref, i.direction, i.kind, i.amount, i.note) for i in items]) if items else "",
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()


# What a line says: when its inputs digest differs (the inputs changed, or the digest's own form changed
# with an upgrade), the line is recomputed, and it has changed only when one of these differs.
_FIGURES = ("pay_type", "days", "hours", "overtime_hours", "gross", "deductions", "net", "parts", "warnings")
_PLAIN_FIGURES = _FIGURES[:-2]  # all but the JSON ones


def _figures(e: _Emp, inputs: _Inputs, outcome: calc.PayResult | None = None) -> dict[str, Any]:
    """A line's figures as stored (parts and warnings as their JSON), computed from ``inputs``."""
    e_terms = inputs.terms.get(e.id, [])
    if outcome is None:
        outcome = _compute(e, inputs)
    return {
        "pay_type": "/".join(sorted({t.pay_type for t in e_terms})),
        "days": outcome.days,
        "hours": outcome.hours,
        "overtime_hours": outcome.overtime_hours,
        "gross": outcome.gross,
        "deductions": outcome.deductions,
        "net": outcome.net,
        "parts": [p.as_json() for p in outcome.parts],
        "warnings": [w.as_json() for w in outcome.warnings],
    }


def _compute(e: _Emp, inputs: _Inputs) -> calc.PayResult:
    return calc.compute(
        month=inputs.month,
        employed_from=e.entry_date,
        employed_to=e.exit_date,
        terms=inputs.terms.get(e.id, []),
        days=inputs.days.get(e.id, ()),
        pieces=inputs.pieces.get(e.id, ()),
        items=inputs.items.get(e.id, ()),
        minimum_monthly=inputs.minimum,
    )


def stale_workers(sheet: PaySheet) -> list[str]:
    """The workers whose line on ``sheet`` no longer matches its inputs (a late punch or 补卡, an addition
    or deduction entered after the sheet was computed, a changed contract), or who should be on it and
    are not. Empty when the sheet is what its inputs give today."""
    emps, inputs = collect_inputs(sheet.period, participant_ids=[sheet.participant_id])
    lines = {
        row[0]: (row[1], row[2], row[3:])
        for row in PayLine.objects.filter(sheet=sheet).values_list(
            "employment_id", "inputs_digest", "worker__name", *_FIGURES
        )
    }
    names: list[str] = []
    for e in emps.values():
        if (e.team_id or 0) != sheet.team_key:
            continue
        line = lines.get(e.id)
        if line is None:
            if (
                _has_anything(e, inputs)
                and not PayLine.objects.filter(sheet__period=sheet.period, employment_id=e.id)
                .exclude(sheet__status__in=[SheetStatus.DRAFT, SheetStatus.SUPERSEDED])
                .exclude(sheet=sheet)
                .exists()
            ):
                names.append(
                    Worker.objects.filter(pk=e.worker_id).values_list("name", flat=True).first() or ""
                )
        elif line[0] != _line_digest(e, inputs) and _figures(e, inputs) != dict(
            zip(_FIGURES, line[2], strict=True)
        ):
            names.append(line[1])
    return sorted(names)


def _refuse_stale(sheet: PaySheet, action: str) -> None:
    names = stale_workers(sheet)
    if names:
        raise ValidationError(
            _("自上次计算以来，%(names)s 的考勤、增减项或合同有变化；请%(action)s")
            % {"names": listed(names[:10]), "action": action}
        )


def _has_anything(e: _Emp, inputs: _Inputs) -> bool:
    """Whether the employment has anything to pay or explain this month (so a line on a sheet): days,
    piece quantities, additions or deductions, or a monthly salary (paid, or explained as not earned)."""
    return bool(
        inputs.days.get(e.id)
        or inputs.pieces.get(e.id)
        or inputs.items.get(e.id)
        or any(t.pay_type == "monthly" for t in inputs.terms.get(e.id, ()))
    )


@dataclass(frozen=True)
class _Inputs:
    month: calc.Month
    common: str  # the month's day kinds and the minimum wage, as digest text
    minimum: Decimal | None
    terms: dict[int, list[calc.Terms]]
    terms_keys: dict[int, str]
    days: dict[int, calc.Attendance | list[calc.Day]]
    day_keys: dict[int, tuple[Any, ...]]
    pieces: dict[int, list[calc.Piece]]
    items: dict[int, list[calc.Item]]


_LINE_UPDATE_FIELDS = [
    "pay_type",
    "days",
    "hours",
    "overtime_hours",
    "gross",
    "deductions",
    "net",
    "parts",
    "warnings",
    "inputs_digest",
    "status",
    "confirmed_at",
    "confirmed_by",
    "confirm_via",
    "confirm_note",
    "updated_at",
]


def _write_lines(
    *,
    sheet: PaySheet,
    created: bool,
    members: list[_Emp],
    inputs: _Inputs,
    result: GenerateResult,
    now: dt.datetime,
) -> tuple[dict[str, Any], tuple[Decimal, Decimal, Decimal, int, int]]:
    """Compute the lines whose inputs changed, write them, and return the diff (of a sheet ``created`` just
    now, without the lines added) and the sheet's totals."""
    from realname.core.bulk import streamed_insert

    old = (
        {}  # a sheet made just now has no lines yet
        if created
        else {
            row[0]: row
            for row in PayLine.objects.filter(sheet=sheet).values_list(
                "employment_id", "pk", "inputs_digest", "gross", "deductions", "net", "warnings", "worker_id"
            )
        }
    )
    diff: dict[str, Any] = {"added": [], "removed": [], "changed": [], "unchanged": 0}
    digests = {e.id: _line_digest(e, inputs) for e in members}
    # Lines whose digest differs are recomputed; their stored figures tell whether anything changed.
    stored = {
        row[0]: dict(zip(_FIGURES, row[1:], strict=True))
        for row in PayLine.objects.filter(
            pk__in=[row[1] for e, row in old.items() if e in digests and row[2] != digests[e]]
        ).values_list("pk", *_FIGURES)
    }
    # A new line's own columns; every other (but the key) is the same on each: the sheet, the time, and
    # each field's default (not confirmed, no dispute).
    names = ["public_id", "employment_id", "worker_id", *_PLAIN_FIGURES, "parts", "warnings", "inputs_digest"]
    same = {
        f.attname: f.get_default()
        for f in PayLine._meta.concrete_fields
        if not f.primary_key and f.attname not in names
    }
    same.update(created_at=now, updated_at=now, sheet_id=sheet.pk)
    changed: dict[int, dict[str, Any]] = {}
    refreshed: dict[int, str] = {}  # the same figures from a digest of another form: the digest is updated
    gross = deductions = Decimal("0.00")
    count = flagged = 0
    # New lines stream into the table as they are computed (a COPY on PostgreSQL); nothing else may
    # touch the database inside this block.
    with streamed_insert(PayLine, names, json_text=("parts", "warnings"), same=same) as write:
        for e in members:
            digest = digests[e.id]
            count += 1
            before = old.pop(e.id, None)
            if before is not None and before[2] == digest:
                result.lines_unchanged += 1
                diff["unchanged"] += 1
                gross += before[3]
                deductions += before[4]
                flagged += 1 if before[6] else 0
                continue
            outcome = _compute(e, inputs)
            gross += outcome.gross
            deductions += outcome.deductions
            flagged += 1 if outcome.warnings else 0
            values = _figures(e, inputs, outcome)
            if before is None:
                write(
                    [
                        # time-ordered (as the gate ingest's events): appended to the end of the unique index
                        time_ordered_uuid_text(),
                        e.id,
                        e.worker_id,
                        *[values[name] for name in _PLAIN_FIGURES],
                        orjson.dumps(values["parts"]).decode(),
                        orjson.dumps(values["warnings"]).decode() if outcome.warnings else "[]",
                        digest,
                    ]
                )
                if not created:  # a new sheet's diff is not kept (nothing was there before)
                    diff["added"].append({"employment": e.id, "worker": e.worker_id, "net": str(outcome.net)})
                result.lines_added += 1
            elif stored.get(before[1]) == values:
                refreshed[before[1]] = digest
                result.lines_unchanged += 1
                diff["unchanged"] += 1
            else:
                changed[before[1]] = {**values, "inputs_digest": digest}
                diff["changed"].append(
                    {
                        "employment": e.id,
                        "worker": e.worker_id,
                        "old_net": str(before[5]),
                        "net": str(outcome.net),
                    }
                )
                result.lines_changed += 1
    if refreshed:
        PayLine.objects.bulk_update(
            [PayLine(pk=pk, inputs_digest=digest) for pk, digest in refreshed.items()],
            ["inputs_digest"],
            batch_size=500,
        )
    if changed:
        lines = list(PayLine.objects.filter(pk__in=changed))
        for line in lines:
            for name, value in changed[line.pk].items():
                setattr(line, name, value)
            if line.status != LineStatus.PENDING:
                # The worker confirmed (or disputed) other figures: they answer again.
                line.status = LineStatus.PENDING
                line.confirmed_at = None
                line.confirmed_by = None
                line.confirm_via = ""
                line.confirm_note = ""
            line.updated_at = now
        PayLine.objects.bulk_update(lines, _LINE_UPDATE_FIELDS, batch_size=500)
    for row in old.values():  # employments no longer on this sheet (moved team, nothing this month)
        diff["removed"].append({"employment": row[0], "worker": row[7], "net": str(row[5])})
        result.lines_removed += 1
    if old:
        gone = [row[1] for row in old.values()]
        SheetStep.objects.filter(line_id__in=gone).update(line=None)
        PayLine.objects.filter(pk__in=gone).delete()
    return diff, (gross, deductions, gross - deductions, count, flagged)


def _diff_note(diff: dict[str, Any]) -> str:
    return _("新增 %(added)d 人，变化 %(changed)d 人，移除 %(removed)d 人，未变 %(unchanged)d 人") % {
        "added": len(diff.get("added", [])),
        "changed": len(diff.get("changed", [])),
        "removed": len(diff.get("removed", [])),
        "unchanged": diff.get("unchanged", 0),
    }


# --- inputs (piece quantities, additions and deductions) --------------------------------------------------


def _employment_open_for_input(period: PayPeriod, employment: Employment) -> None:
    if employment.project_id != period.project_id:
        raise ValidationError(_("该工人不在本项目"))
    last = calc.month_dates(period.month)[-1]
    if employment.entry_date > last or (
        employment.exit_date is not None and employment.exit_date < period.month
    ):
        raise ValidationError(_("该工人本月不在场"))
    locked = PayLine.objects.filter(sheet__period=period, employment=employment).exclude(
        sheet__status__in=[SheetStatus.DRAFT, SheetStatus.SUPERSEDED]
    )
    if locked.exists():
        raise ValidationError(_("该工人本月的工资表已在确认或审核中；请先退回草稿，已审核的请修订为新版本"))


@transaction.atomic
def add_piece(
    *,
    period: PayPeriod,
    employment: Employment,
    by: User,
    description: str,
    unit: str,
    quantity: Decimal,
    unit_price: Decimal | None = None,
    overtime: str = "",
) -> PieceQuantity:
    """Enter a piece-work quantity (计件); the unit price defaults to the employment's piece contract."""
    if not restrict(Employment.objects.filter(pk=employment.pk), by, Perm.PAYROLL_TEAM).exists():
        raise PermissionDenied(_("您不能为该工人录入计件数量"))
    _employment_open_for_input(period, employment)
    if unit_price is None:
        contract = (
            Contract.objects.filter(
                employment=employment, pay_type="piece", start_date__lte=calc.month_dates(period.month)[-1]
            )
            .order_by("-start_date")
            .first()
        )
        if contract is None or contract.piece_unit_price is None:
            raise ValidationError({"unit_price": _("该工人没有计件合同，请填写单价")})
        unit_price = contract.piece_unit_price
    piece = PieceQuantity(
        period=period,
        employment=employment,
        description=description.strip(),
        unit=unit,
        quantity=quantity,
        unit_price=unit_price,
        overtime=overtime,
        entered_by=by,
    )
    piece.full_clean()
    if quantity <= 0 or unit_price <= 0:
        raise ValidationError(_("数量和单价必须大于零"))
    piece.save()
    audit.record_create(piece)
    return piece


@transaction.atomic
def add_item(
    *,
    period: PayPeriod,
    employment: Employment,
    by: User,
    direction: str,
    kind: str,
    amount: Decimal,
    note: str = "",
) -> PayItem:
    """Enter a typed addition or deduction (借支, 伙食费, 住宿费, 补贴 …)."""
    if not restrict(Employment.objects.filter(pk=employment.pk), by, Perm.PAYROLL_PREPARE).exists():
        raise PermissionDenied(_("您不能为该工人录入增减项"))
    if direction not in ItemDirection.values or kind not in calc.ITEM_KINDS[direction]:
        raise ValidationError({"kind": _("未知的增减项目")})
    if amount <= 0:
        raise ValidationError({"amount": _("金额必须大于零")})
    _employment_open_for_input(period, employment)
    item = PayItem(
        period=period,
        employment=employment,
        direction=direction,
        kind=kind,
        amount=amount,
        note=note,
        created_by=by,
    )
    item.full_clean()
    item.save()
    audit.record_create(item)
    return item


@transaction.atomic
def remove_input(*, row: PayItem | PieceQuantity, by: User) -> None:
    """Take back an addition, deduction or piece quantity while the worker's sheet is still a draft."""
    perm = Perm.PAYROLL_TEAM if isinstance(row, PieceQuantity) else Perm.PAYROLL_PREPARE
    if not restrict(type(row).objects.filter(pk=row.pk), by, perm).exists():
        raise PermissionDenied(_("您不能删除该项"))
    _employment_open_for_input(row.period, row.employment)
    audit.record_delete(row)
    row.delete()


# --- workflow ---------------------------------------------------------------------------------------------


def _lock_sheet(sheet: PaySheet) -> PaySheet:
    return (
        PaySheet.objects.select_for_update(of=("self",))
        .select_related("participant", "project", "team")
        .get(pk=sheet.pk)
    )


@transaction.atomic
def confirm_team(*, sheet: PaySheet, by: User, note: str = "") -> PaySheet:
    """The team leader confirms the sheet (their own team's). Without a team, or when the team leader signed
    on paper, a preparer records it with a note saying so."""
    sheet = _lock_sheet(sheet)
    if sheet.status != SheetStatus.DRAFT:
        raise ValidationError(_("只有草稿状态的工资表可以确认"))
    if sheet.line_count == 0:
        raise ValidationError(_("工资表没有任何明细"))
    _refuse_stale(sheet, _("先重新计算草稿，核对后再确认"))
    own_team = sheet.team is not None and sheet.team.leader is not None and sheet.team.leader.user_id == by.pk
    if own_team and has_perm(by, Perm.PAYROLL_TEAM):
        pass
    elif _may_prepare(by, sheet):
        if not note.strip():
            raise ValidationError(
                {"note": _("代为登记班组长确认时请写明依据（如：班组长已在纸质工资表上签字）")}
            )
    else:
        raise PermissionDenied(_("只有该班组的班组长可以确认"))
    _set_status(sheet, SheetStatus.TEAM_CONFIRMED)
    _step(sheet, Step.TEAM_CONFIRMED, by, note=note.strip())
    _notify_workers(sheet)
    _maybe_all_confirmed(sheet, by)
    return sheet


def _notify_workers(sheet: PaySheet) -> None:
    from realname.notifications.services import Message, post_messages

    rows = PayLine.objects.filter(
        sheet=sheet, status=LineStatus.PENDING, worker__user__isnull=False
    ).values_list("worker__user_id", "public_id", "net")
    post_messages(
        Message(
            recipient_id=user_id,
            kind="payroll.confirm",
            level="info",
            title=_("%(month)s 工资待您确认") % {"month": f"{sheet.period.month:%Y-%m}"},
            body=_("实发 %(net)s 元，请核对明细后确认，有异议请写明原因。") % {"net": net},
            link=f"/payroll/me/{public_id}/",
            project_id=sheet.project_id,
            dedupe_key=f"payroll.confirm:{public_id}:{sheet.revision}",
        )
        for user_id, public_id, net in rows
    )


def _maybe_all_confirmed(sheet: PaySheet, by: User | None) -> None:
    if sheet.status != SheetStatus.TEAM_CONFIRMED:
        return
    if PayLine.objects.filter(sheet=sheet).exclude(status=LineStatus.CONFIRMED).exists():
        return
    _set_status(sheet, SheetStatus.WORKERS_CONFIRMED)
    _step(sheet, Step.WORKERS_CONFIRMED, by)


def _lock_line(line: PayLine) -> tuple[PayLine, PaySheet]:
    line = PayLine.objects.select_for_update(of=("self",)).select_related("worker").get(pk=line.pk)
    return line, _lock_sheet(line.sheet)


@transaction.atomic
def confirm_line(*, line: PayLine, by: User) -> PayLine:
    """The worker confirms their own line (on the phone page)."""
    line, sheet = _lock_line(line)
    if line.worker.user_id != by.pk or not has_perm(by, Perm.PAYROLL_CONFIRM):
        raise PermissionDenied(_("只能确认本人的工资"))
    if sheet.status != SheetStatus.TEAM_CONFIRMED:
        raise ValidationError(_("该工资表当前不需要确认"))
    if line.status == LineStatus.CONFIRMED:
        return line
    _confirm(line, by, ConfirmVia.PHONE, "")
    _step(sheet, Step.WORKER_CONFIRMED, by, line=line)
    _maybe_all_confirmed(sheet, by)
    return line


@transaction.atomic
def record_paper_signature(*, line: PayLine, by: User, note: str) -> PayLine:
    """A manager records that the worker signed the printed sheet (for workers without a phone)."""
    line, sheet = _lock_line(line)
    if not _may_prepare(by, sheet):
        raise PermissionDenied(_("您不能登记该工人的签字"))
    if sheet.status != SheetStatus.TEAM_CONFIRMED:
        raise ValidationError(_("该工资表当前不需要确认"))
    if not note.strip():
        raise ValidationError({"note": _("请写明签字的依据（如：纸质工资表第 3 页，本人签字按手印）")})
    if line.status == LineStatus.DISPUTED:
        raise ValidationError(_("该工人有异议，请先答复异议"))
    _confirm(line, by, ConfirmVia.PAPER, note.strip())
    _step(sheet, Step.WORKER_CONFIRMED, by, note=note.strip(), line=line)
    _maybe_all_confirmed(sheet, by)
    return line


def _confirm(line: PayLine, by: User, via: str, note: str) -> None:
    line.status = LineStatus.CONFIRMED
    line.confirmed_at = timezone.now()
    line.confirmed_by = by
    line.confirm_via = via
    line.confirm_note = note
    line.save(
        update_fields=["status", "confirmed_at", "confirmed_by", "confirm_via", "confirm_note", "updated_at"]
    )


@transaction.atomic
def dispute_line(*, line: PayLine, by: User, reason: str, part: str = "") -> PayLine:
    """The worker disputes their line (or one part of it), with a reason; the preparers are told."""
    line, sheet = _lock_line(line)
    if line.worker.user_id != by.pk or not has_perm(by, Perm.PAYROLL_CONFIRM):
        raise PermissionDenied(_("只能对本人的工资提出异议"))
    if sheet.status != SheetStatus.TEAM_CONFIRMED:
        raise ValidationError(_("该工资表当前不能提出异议"))
    if not reason.strip():
        raise ValidationError({"reason": _("请写明异议原因")})
    codes = {p.get("code") for p in line.parts}
    if part and part not in codes:
        raise ValidationError({"part": _("没有这一项")})
    line.status = LineStatus.DISPUTED
    line.dispute_part = part
    line.dispute_reason = reason.strip()
    line.disputed_at = timezone.now()
    line.dispute_reply = ""
    line.replied_by = None
    line.replied_at = None
    line.save()
    _step(sheet, Step.WORKER_DISPUTED, by, note=reason.strip(), line=line)
    from realname.notifications.selectors import Audience
    from realname.notifications.services import notify

    notify(
        kind="payroll.disputed",
        level="warning",
        title=_("%(name)s 对 %(month)s 工资有异议")
        % {"name": line.worker.name, "month": f"{sheet.period.month:%Y-%m}"},
        body=reason.strip(),
        link=f"/payroll/sheets/{sheet.public_id}/",
        project=sheet.project,
        dedupe_key=f"payroll.disputed:{line.public_id}:{line.disputed_at.isoformat()}",
        audience=Audience(perm=Perm.PAYROLL_PREPARE, over=sheet),
    )
    return line


@transaction.atomic
def answer_dispute(*, line: PayLine, by: User, reply: str) -> PayLine:
    """A preparer answers a dispute without changing figures; the worker may then confirm (or dispute again).
    To change figures, reopen the sheet and regenerate."""
    line, sheet = _lock_line(line)
    if not _may_prepare(by, sheet):
        raise PermissionDenied(_("您不能答复该异议"))
    if line.status != LineStatus.DISPUTED:
        raise ValidationError(_("该明细没有异议"))
    if not reply.strip():
        raise ValidationError({"reply": _("请写明答复")})
    line.status = LineStatus.PENDING
    line.dispute_reply = reply.strip()
    line.replied_by = by
    line.replied_at = timezone.now()
    line.save()
    _step(sheet, Step.DISPUTE_ANSWERED, by, note=reply.strip(), line=line)
    return line


@transaction.atomic
def reopen(*, sheet: PaySheet, by: User, reason: str) -> PaySheet:
    """Send a confirmed (not yet approved) sheet back to draft, e.g. to fix inputs after a dispute."""
    sheet = _lock_sheet(sheet)
    if sheet.status not in (SheetStatus.TEAM_CONFIRMED, SheetStatus.WORKERS_CONFIRMED):
        raise ValidationError(_("只有已确认、未审核的工资表可以退回草稿；已审核的请修订为新版本"))
    if not _may_prepare(by, sheet):
        raise PermissionDenied(_("您不能退回该工资表"))
    if not reason.strip():
        raise ValidationError({"reason": _("请写明退回原因")})
    _set_status(sheet, SheetStatus.DRAFT)
    _step(sheet, Step.REOPENED, by, note=reason.strip())
    return sheet


@transaction.atomic
def approve_employer(*, sheet: PaySheet, by: User, note: str = "") -> PaySheet:
    """The employing participant (分包单位, or the general contractor for its own people) approves."""
    sheet = _lock_sheet(sheet)
    if sheet.status != SheetStatus.WORKERS_CONFIRMED:
        raise ValidationError(_("工人全部确认后才能审核"))
    if not _is_employer(by, sheet):
        raise PermissionDenied(_("只有用工单位的负责人可以审核"))
    _refuse_stale(sheet, _("退回草稿、重新计算后再审核"))
    _set_status(sheet, SheetStatus.EMPLOYER_APPROVED)
    _step(sheet, Step.EMPLOYER_APPROVED, by, note=note.strip())
    return sheet


@transaction.atomic
def approve_gc(*, sheet: PaySheet, by: User, note: str = "") -> PaySheet:
    """The general contractor (总包, 条例 Art. 28/31) approves; the sheet can then be paid."""
    sheet = _lock_sheet(sheet)
    if sheet.status != SheetStatus.EMPLOYER_APPROVED:
        raise ValidationError(_("用工单位审核后才能由总承包单位审核"))
    if not _is_gc(by, sheet.project):
        raise PermissionDenied(_("只有总承包单位可以审核"))
    _refuse_stale(sheet, _("退回草稿或修订为新版本、重新计算后再审核"))
    _set_status(sheet, SheetStatus.GC_APPROVED)
    _step(sheet, Step.GC_APPROVED, by, note=note.strip())
    return sheet


@transaction.atomic
def revise(*, sheet: PaySheet, by: User, reason: str) -> PaySheet:
    """Replace an approved sheet (not yet sent to the bank) by a new draft revision, with the reason; the
    old one stays as it was, marked superseded. The new revision is generated from the current inputs."""
    sheet = _lock_sheet(sheet)
    if sheet.status not in (SheetStatus.EMPLOYER_APPROVED, SheetStatus.GC_APPROVED):
        raise ValidationError(_("只有已审核、未提交银行的工资表可以修订"))
    if not _may_prepare(by, sheet):
        raise PermissionDenied(_("您不能修订该工资表"))
    if not reason.strip():
        raise ValidationError({"reason": _("请写明修订原因")})
    from realname.bank.selectors import payment_status

    batched = payment_status(list(PayLine.objects.filter(sheet=sheet).values_list("pk", flat=True)))
    if batched:
        reference = next(iter(batched.values())).batch_reference
        raise ValidationError(
            _("该工资表已编入银行代发批次 %(batch)s；请先在代发页取消该批次，再修订") % {"batch": reference}
        )
    _set_status(sheet, SheetStatus.SUPERSEDED)
    _step(sheet, Step.REVISED, by, note=reason.strip())
    new = PaySheet.objects.create(
        period=sheet.period,
        project=sheet.project,
        participant=sheet.participant,
        team=sheet.team,
        team_key=sheet.team_key,
        revision=sheet.revision + 1,
        previous=sheet,
        revision_reason=reason.strip(),
    )
    _step(new, Step.REVISED, by, note=reason.strip())
    generate(period=sheet.period, by=by, participants=[sheet.participant_id])
    new.refresh_from_db()
    return new


# --- payment (called by the bank batches, realname/bank) ----------------------------------------------------


@transaction.atomic
def mark_sent(*, sheet: PaySheet, by: User | None, note: str) -> PaySheet:
    """The approved sheet's lines went to the bank in a batch (``note`` names it)."""
    sheet = _lock_sheet(sheet)
    if sheet.status != SheetStatus.GC_APPROVED:
        raise ValidationError(_("只有总承包单位审核通过的工资表可以提交银行"))
    _set_status(sheet, SheetStatus.SENT)
    _step(sheet, Step.SENT, by, note=note)
    return sheet


@transaction.atomic
def mark_settled(*, sheet: PaySheet, by: User | None, failed: int, note: str = "") -> PaySheet:
    """The bank's answer for the sheet: every line paid (``failed == 0``) or some failed. A partly failed
    sheet becomes paid once its failed lines were paid in a re-issue batch."""
    sheet = _lock_sheet(sheet)
    if sheet.status not in (SheetStatus.SENT, SheetStatus.PARTLY_FAILED):
        raise ValidationError(_("该工资表没有提交银行"))
    status = SheetStatus.PAID if failed == 0 else SheetStatus.PARTLY_FAILED
    if status != sheet.status:
        _set_status(sheet, status)
        _step(sheet, Step.PAID if failed == 0 else Step.PARTLY_FAILED, by, note=note)
    return sheet


# --- the wage account ---------------------------------------------------------------------------------------


def may_record_deposit(user: User, project: Project) -> bool:
    """The general contractor keeps the project's wage account (条例 Art. 26): its people with pay rights
    (not team leaders) record what arrived in it; platform administrators too."""
    if is_platform(user, Perm.PAYROLL_PREPARE):
        return True
    companies = companies_on_project(
        user, Perm.PAYROLL_VIEW, project, excluding_roles=(Role.TEAM_LEADER, Role.WORKER)
    )
    return Participant.objects.filter(
        project=project, company_id__in=companies, role=GENERAL_CONTRACTOR
    ).exists()


@transaction.atomic
def record_deposit(
    *,
    project: Project,
    by: User,
    received_on: dt.date,
    for_month: dt.date,
    amount: Decimal,
    payer: str,
    reference: str = "",
    note: str = "",
) -> WageDeposit:
    """Record money paid into the project's wage account for a month's wages (e.g. the owner's 人工费)."""
    if not may_record_deposit(by, project):
        raise PermissionDenied(_("只有总承包单位可以登记专户到账"))
    if amount <= 0:
        raise ValidationError({"amount": _("金额必须大于零")})
    deposit = WageDeposit(
        project=project,
        received_on=received_on,
        for_month=for_month.replace(day=1),
        amount=amount,
        payer=payer.strip(),
        reference=reference.strip(),
        note=note.strip(),
        recorded_by=by,
    )
    deposit.full_clean()
    deposit.save()
    audit.record_create(deposit)
    return deposit
