"""Pay periods, generation, regeneration and the whole workflow through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction

from realname.accounts.roles import Perm
from realname.accounts.scope import restrict
from realname.notifications.models import Notification
from realname.payroll import db_triggers, services
from realname.payroll.models import LineStatus, PayLine, PaySheet, SheetStatus, SheetStep, Step
from realname.payroll.tests.conftest import CAL, OCT, Payroll, record_day, working_days

D = Decimal
# October 2026 has 18 working days (see test_calc); 18 × 380 = 6840.


def sheet_of(pay: Payroll, team_id: int) -> PaySheet:
    return PaySheet.objects.exclude(status=SheetStatus.SUPERSEDED).get(period=pay.period, team_id=team_id)


def line_of(sheet: PaySheet, employment_id: int) -> PayLine:
    return PayLine.objects.get(sheet=sheet, employment_id=employment_id)


def test_the_default_pay_date_is_the_next_months_pay_day_moved_before_a_weekend(pay: Payroll) -> None:
    # Contracts pay on the 15th (default); 15 Nov 2026 is a Sunday → Friday 13 Nov.
    assert pay.period.pay_date == dt.date(2026, 11, 13)
    with pytest.raises(ValidationError):
        services.open_period(project=pay.world.p1, month=OCT, by=pay.world.alice)


def test_a_company_without_payroll_rights_on_the_project_cannot_open_a_period(pay: Payroll) -> None:
    with pytest.raises(PermissionDenied):
        services.open_period(project=pay.world.p1, month=dt.date(2026, 11, 1), by=pay.world.charlie)


def test_generate_builds_one_sheet_per_participant_and_team_from_the_days(pay: Payroll) -> None:
    record_day(pay.emp_a, dt.date(2026, 10, 17), "8")  # a Saturday: 8 h at 200 %
    result = services.generate(period=pay.period, by=pay.world.alice)
    # team_a: 张甲 (the leader has no days, no contract: nothing to pay or explain); team_b: 李乙
    assert result.sheets_created == 2 and result.lines_added == 2
    sheet_a = sheet_of(pay, pay.world.team_a.pk)
    line = line_of(sheet_a, pay.emp_a.pk)
    assert line.days == D("18")
    assert [p["code"] for p in line.parts] == ["base.daily", "overtime.rest_day"]
    # 18 × 380 = 6840; 8 × 380 / 8 × 200 % = 760
    assert line.gross == D("7600.00") and line.net == D("7600.00")
    assert sheet_a.gross == line.gross and sheet_a.line_count == 1
    assert SheetStep.objects.filter(sheet=sheet_a, step=Step.GENERATED).count() == 1


def test_a_subcontractor_generates_only_its_own_sheets(pay: Payroll) -> None:
    services.generate(period=pay.period, by=pay.world.bob)
    assert list(PaySheet.objects.values_list("participant_id", flat=True)) == [pay.world.sub_b.pk]


def test_regenerating_a_draft_recomputes_only_what_changed_and_keeps_the_diff(pay: Payroll) -> None:
    services.generate(period=pay.period, by=pay.world.alice)
    sheet = sheet_of(pay, pay.world.team_a.pk)
    untouched = line_of(sheet_of(pay, pay.world.team_b.pk), pay.emp_b.pk)
    record_day(pay.emp_a, dt.date(2026, 10, 20), "0", "absent")  # a late correction: absent after all
    result = services.generate(period=pay.period, by=pay.world.alice)
    assert (result.lines_changed, result.lines_unchanged, result.lines_added) == (1, 1, 0)
    sheet.refresh_from_db()
    assert sheet.last_diff["changed"] == [
        {"employment": pay.emp_a.pk, "worker": pay.world.worker_a.pk, "old_net": "6840.00", "net": "6460.00"}
    ]
    untouched_after = PayLine.objects.get(pk=untouched.pk)
    assert untouched_after.updated_at == untouched.updated_at  # not rewritten
    assert (
        SheetStep.objects.filter(sheet=sheet, step=Step.REGENERATED)
        .get()
        .note.startswith("新增 0 人，变化 1 人")
    )


def _through_team(pay: Payroll) -> PaySheet:
    services.generate(period=pay.period, by=pay.world.alice)
    sheet = sheet_of(pay, pay.world.team_a.pk)
    return services.confirm_team(sheet=sheet, by=pay.tina)


def test_the_whole_workflow_to_the_general_contractors_approval(pay: Payroll) -> None:
    world = pay.world
    sheet = _through_team(pay)
    assert sheet.status == SheetStatus.TEAM_CONFIRMED
    line = line_of(sheet, pay.emp_a.pk)
    # the worker is told, and confirms on their phone
    assert Notification.objects.filter(recipient=world.wendy, kind="payroll.confirm").count() == 1
    with pytest.raises(PermissionDenied):
        services.confirm_line(line=line, by=pay.tina)  # only the worker themself
    services.confirm_line(line=line, by=world.wendy)
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.WORKERS_CONFIRMED  # the only line
    with pytest.raises(PermissionDenied):
        services.approve_employer(sheet=sheet, by=pay.bella)  # company B does not employ team_a
    services.approve_employer(sheet=sheet, by=world.alice)
    with pytest.raises(PermissionDenied):
        services.approve_gc(sheet=sheet, by=pay.bella)
    services.approve_gc(sheet=sheet, by=world.alice, note="已核对考勤")
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.GC_APPROVED and sheet.locked
    steps = list(SheetStep.objects.filter(sheet=sheet).values_list("step", "actor_label"))
    assert steps == [
        (Step.GENERATED, "alice"),
        (Step.TEAM_CONFIRMED, "tina"),
        (Step.WORKER_CONFIRMED, "wendy"),
        (Step.WORKERS_CONFIRMED, "wendy"),
        (Step.EMPLOYER_APPROVED, "alice"),
        (Step.GC_APPROVED, "alice"),
    ]


def test_a_subcontractors_sheet_needs_its_employer_then_the_general_contractor(pay: Payroll) -> None:
    world = pay.world
    services.generate(period=pay.period, by=world.bob)
    sheet = sheet_of(pay, world.team_b.pk)
    with pytest.raises(ValidationError):  # team_b has no leader account: a preparer records it, with a note
        services.confirm_team(sheet=sheet, by=world.bob)
    services.confirm_team(sheet=sheet, by=world.bob, note="班组长已在纸质工资表签字")
    line = line_of(sheet, pay.emp_b.pk)
    with pytest.raises(ValidationError):
        services.record_paper_signature(line=line, by=world.bob, note=" ")
    services.record_paper_signature(line=line, by=world.bob, note="纸质工资表第1页本人签字")
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.WORKERS_CONFIRMED
    with pytest.raises(PermissionDenied):
        services.approve_employer(sheet=sheet, by=world.bob)  # a labour manager prepares, does not approve
    with pytest.raises(ValidationError):
        services.approve_gc(sheet=sheet, by=world.alice)  # not before the employer
    services.approve_employer(sheet=sheet, by=pay.bella)
    services.approve_gc(sheet=sheet, by=world.alice)
    line.refresh_from_db()
    assert line.confirm_via == "paper" and line.confirmed_by == world.bob


def test_a_dispute_blocks_until_answered_and_the_worker_confirms(pay: Payroll) -> None:
    world = pay.world
    sheet = _through_team(pay)
    line = line_of(sheet, pay.emp_a.pk)
    with pytest.raises(ValidationError):
        services.dispute_line(line=line, by=world.wendy, reason="  ")
    services.dispute_line(line=line, by=world.wendy, reason="10月17日我上了班", part="base.daily")
    assert Notification.objects.filter(recipient=world.alice, kind="payroll.disputed").exists()
    with pytest.raises(ValidationError):
        services.record_paper_signature(line=line, by=world.alice, note="签了")
    services.answer_dispute(line=line, by=world.alice, reply="17日无考勤记录，请申请补卡")
    line.refresh_from_db()
    assert line.status == LineStatus.PENDING and line.dispute_reason == "10月17日我上了班"
    services.confirm_line(line=line, by=world.wendy)
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.WORKERS_CONFIRMED


def test_reopen_and_regenerate_asks_only_the_changed_workers_again(pay: Payroll) -> None:
    world = pay.world
    sheet = _through_team(pay)
    services.confirm_line(line=line_of(sheet, pay.emp_a.pk), by=world.wendy)
    services.reopen(sheet=sheet, by=world.alice, reason="补录借支")
    services.add_item(
        period=pay.period,
        employment=pay.emp_a,
        by=world.alice,
        direction="deduction",
        kind="advance",
        amount=D("500"),
    )
    services.generate(period=pay.period, by=world.alice)
    line = line_of(sheet, pay.emp_a.pk)
    assert line.net == D("6340.00") and line.status == LineStatus.PENDING  # answers again


def test_an_approved_sheet_is_locked_and_changes_are_a_new_revision(pay: Payroll) -> None:
    world = pay.world
    sheet = _through_team(pay)
    services.confirm_line(line=line_of(sheet, pay.emp_a.pk), by=world.wendy)
    services.approve_employer(sheet=sheet, by=world.alice)
    services.approve_gc(sheet=sheet, by=world.alice)
    with pytest.raises(ValidationError):
        services.add_item(
            period=pay.period,
            employment=pay.emp_a,
            by=world.alice,
            direction="addition",
            kind="bonus",
            amount=D("1"),
        )
    record_day(pay.emp_a, dt.date(2026, 10, 20), "0", "absent")
    result = services.generate(period=pay.period, by=world.alice)
    assert result.skipped_sheets == [str(sheet)]  # left as approved
    assert line_of(sheet, pay.emp_a.pk).net == D("6840.00")
    with pytest.raises(ValidationError):
        services.revise(sheet=sheet, by=world.alice, reason=" ")
    new = services.revise(sheet=sheet, by=world.alice, reason="10月20日考勤更正为缺勤")
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.SUPERSEDED
    assert (new.revision, new.previous_id, new.status) == (2, sheet.pk, SheetStatus.DRAFT)
    assert line_of(new, pay.emp_a.pk).net == D("6460.00")
    assert line_of(sheet, pay.emp_a.pk).net == D("6840.00")  # the approved figures stay on record


def test_the_database_refuses_to_delete_or_change_what_was_approved(pay: Payroll) -> None:
    world = pay.world
    db_triggers.install(connection)  # what migration payroll.0002 does outside the test suite
    sheet = _through_team(pay)
    line = line_of(sheet, pay.emp_a.pk)
    with pytest.raises(DatabaseError), transaction.atomic():
        PaySheet.objects.filter(pk=sheet.pk).delete()  # past the draft
    services.confirm_line(line=line, by=world.wendy)
    services.approve_employer(sheet=sheet, by=world.alice)
    with pytest.raises(DatabaseError), transaction.atomic():
        PayLine.objects.filter(pk=line.pk).update(net=D("1"), gross=D("1"))
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM payroll_payline WHERE id = %s", [line.pk])
    assert PayLine.objects.get(pk=line.pk).net == D("6840.00")


def test_piece_quantities_by_the_team_leader_for_their_own_team_only(pay: Payroll) -> None:
    world = pay.world
    piece = services.add_piece(
        period=pay.period,
        employment=pay.emp_a,
        by=pay.tina,
        description="钢筋绑扎",
        unit="80",
        quantity=D("2.5"),
        unit_price=D("800"),
    )
    assert piece.entered_by == pay.tina
    with pytest.raises(PermissionDenied):
        services.add_piece(
            period=pay.period,
            employment=pay.emp_b,
            by=pay.tina,
            description="x",
            unit="80",
            quantity=D("1"),
            unit_price=D("1"),
        )
    with pytest.raises(ValidationError):  # a daily-rate worker's piece needs a price
        services.add_piece(
            period=pay.period, employment=pay.emp_a, by=pay.tina, description="x", unit="80", quantity=D("1")
        )
    services.generate(period=pay.period, by=world.alice)
    line = line_of(sheet_of(pay, world.team_a.pk), pay.emp_a.pk)
    assert line.gross == D("8840.00")  # 6840 + 2.5 × 800


def test_who_sees_which_sheets_and_lines(pay: Payroll) -> None:
    world = pay.world
    services.generate(period=pay.period, by=world.alice)
    sheets = PaySheet.objects.all()
    assert restrict(sheets, world.alice, Perm.PAYROLL_VIEW).count() == 2  # general contractor: all
    assert [s.team_id for s in restrict(sheets, world.bob, Perm.PAYROLL_VIEW)] == [world.team_b.pk]
    assert [s.team_id for s in restrict(sheets, pay.tina, Perm.PAYROLL_VIEW)] == [world.team_a.pk]
    assert restrict(sheets, world.reggie, Perm.PAYROLL_VIEW).count() == 2  # the region's regulator reads
    assert restrict(sheets, world.charlie, Perm.PAYROLL_VIEW).count() == 0
    assert restrict(sheets, world.wendy, Perm.PAYROLL_VIEW).count() == 0  # workers see lines, not sheets
    own = restrict(PayLine.objects.all(), world.wendy, Perm.PAYROLL_CONFIRM)
    assert [line.employment_id for line in own] == [pay.emp_a.pk]


def test_late_entry_in_the_month_is_paid_from_the_entry(pay: Payroll) -> None:
    from realname.testing import employ, make_worker
    from realname.workers import services as worker_services

    late = make_worker("钱晚", registered_by_company=pay.world.company_a)
    emp = employ(late, pay.world.gc_p1, team=pay.world.team_a, entry_date=dt.date(2026, 10, 19))
    worker_services.create_contract(
        employment=emp,
        pay_type="monthly",
        monthly_salary=D("6000"),
        period_type="1",
        start_date=emp.entry_date,
    )
    for day in working_days():
        if day >= emp.entry_date:
            record_day(emp, day)
    services.generate(period=pay.period, by=pay.world.alice)
    line = line_of(sheet_of(pay, pay.world.team_a.pk), emp.pk)
    assert line.gross == D("2758.62")  # 10 paid days × 6000 / 21.75


def test_the_databases_month_summary_is_calcs_summary_of_the_same_days(pay: Payroll) -> None:
    """The month rows the database keeps as DayRecords are written (read by selectors.attendance_query, on
    either database) sum a month up exactly as calc.summarise does."""
    import random

    from realname.attendance.days import DayRecord
    from realname.payroll import calc
    from realname.payroll.selectors import attendance_of, attendance_query

    rng = random.Random(11)
    shapes = [
        ("8", ("present",), None),
        ("10", ("present",), "2"),
        ("5", ("late", "half_day"), None),
        ("0", ("absent",), None),
        ("0", ("missing_punch",), None),
        ("7.25", ("early_leave", "half_day", "missing_punch"), None),
        ("9.5", ("late",), "1.5"),
        ("3", ("absent",), None),
    ]
    for emp in (pay.emp_a, pay.emp_b):
        for day in calc.month_dates(OCT):
            if rng.random() < 0.8:
                hours, statuses, overtime = rng.choice(shapes)
                record_day(emp, day, hours, *statuses, overtime=overtime)
    record_day(pay.emp_a, dt.date(2026, 11, 1), "8")  # another month: not in October's summary
    month = calc.Month({d: CAL.kind(d) for d in calc.month_dates(OCT)})
    with connection.cursor() as cursor:
        cursor.execute(*attendance_query(pay.world.p1.pk, month))
        summaries = attendance_of(cursor.fetchall())
    for emp in (pay.emp_a, pay.emp_b):
        singles = [
            calc.Day(
                work_date=r.work_date,
                day_kind=r.day_kind,
                hours=r.hours,
                overtime_hours=r.overtime_hours,
                overtime_kind=r.overtime_kind,
                statuses=tuple(r.statuses),
            )
            for r in DayRecord.objects.filter(employment=emp)
        ]
        expected = calc.summarise(singles, month)
        assert summaries[emp.pk] == expected
        assert expected.full and expected.half and expected.missing and expected.workday_overtime
        assert expected.rest_day_overtime or expected.holiday_overtime
    assert summaries[pay.emp_a.pk] != summaries[pay.emp_b.pk]


def test_the_bank_marks_an_approved_sheet_sent_then_paid_or_partly_failed(pay: Payroll) -> None:
    world = pay.world
    sheet = _through_team(pay)
    with pytest.raises(ValidationError):
        services.mark_sent(sheet=sheet, by=world.alice, note="批次 B1")  # not approved yet
    services.confirm_line(line=line_of(sheet, pay.emp_a.pk), by=world.wendy)
    services.approve_employer(sheet=sheet, by=world.alice)
    services.approve_gc(sheet=sheet, by=world.alice)
    services.mark_sent(sheet=sheet, by=world.alice, note="批次 B1")
    services.mark_settled(sheet=sheet, by=None, failed=1, note="1 笔失败")
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.PARTLY_FAILED
    with pytest.raises(ValidationError):
        services.revise(sheet=sheet, by=world.alice, reason="x")  # what went to the bank is not revised
    services.mark_settled(sheet=sheet, by=None, failed=0, note="补发成功")
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.PAID
    assert [s.step for s in SheetStep.objects.filter(sheet=sheet)][-3:] == [
        Step.SENT,
        Step.PARTLY_FAILED,
        Step.PAID,
    ]


def test_a_contract_starting_mid_month_pays_from_its_start_without_failing(pay: Payroll) -> None:
    from realname.workers import services as worker_services
    from realname.workers.models import Contract

    # worker_b's only contract now starts on 15 Oct (on site since March): the days before are unpaid, named
    Contract.objects.filter(employment=pay.emp_b).update(start_date=dt.date(2026, 10, 15))
    assert worker_services  # the contract was made through the service in the shared world
    services.generate(period=pay.period, by=pay.world.alice)
    line = line_of(sheet_of(pay, pay.world.team_b.pk), pay.emp_b.pk)
    assert line.days == D("12")  # 15, 16, 19–23, 26–30
    assert [w["code"] for w in line.warnings] == ["no_terms"]


def test_inputs_or_attendance_changed_after_generation_stop_the_confirmation(pay: Payroll) -> None:
    world = pay.world
    services.generate(period=pay.period, by=world.alice)
    sheet = sheet_of(pay, world.team_a.pk)
    services.add_item(
        period=pay.period,
        employment=pay.emp_a,
        by=world.alice,
        direction="addition",
        kind="allowance",
        amount=D("200"),
    )
    with pytest.raises(ValidationError, match="张甲"):
        services.confirm_team(sheet=sheet, by=pay.tina)
    services.generate(period=pay.period, by=world.alice)
    services.confirm_team(sheet=sheet, by=pay.tina)
    services.confirm_line(line=line_of(sheet, pay.emp_a.pk), by=world.wendy)
    record_day(pay.emp_a, dt.date(2026, 10, 24), "8")  # a Saturday's 补卡 approved late
    with pytest.raises(ValidationError, match="张甲"):
        services.approve_employer(sheet=sheet, by=world.alice)


def test_the_owner_sees_pay_but_does_not_prepare_it(pay: Payroll) -> None:
    from realname.orgs import services as org_services
    from realname.testing import make_company, make_user

    owner = make_company("丁房地产开发有限公司")
    org_services.add_participant(project=pay.world.p1, company=owner, role="008")
    olga = make_user("olga", "company_admin", "company", company=owner)
    # only its own participation (no workers here), not the contractors' sheets
    assert [p.company_id for p in services.preparable_participants(olga, pay.world.p1)] == [owner.pk]
    assert services.generate(period=pay.period, by=olga).sheets_created == 0
    assert not PaySheet.objects.exists()
    assert restrict(PaySheet.objects.all(), olga, Perm.PAYROLL_VIEW).count() == 0  # nothing generated yet
    services.generate(period=pay.period, by=pay.world.alice)
    assert restrict(PaySheet.objects.all(), olga, Perm.PAYROLL_VIEW).count() == 2  # but sees them all


def test_a_company_s_part_in_a_project_comes_from_one_membership_not_two(pay: Payroll) -> None:
    """mia manages for subcontractor B on P1 and, in another membership, for general contractor A on
    another project only: on P1 she prepares and approves B's pay as its employer, never A's pay nor
    anything as the general contractor, and she keeps no wage account there."""
    from realname.accounts.models import Membership, ScopeKind
    from realname.accounts.roles import Role
    from realname.bank import services as bank
    from realname.testing import make_project, make_user

    world = pay.world
    elsewhere = make_project("P3", world.company_a)
    mia = make_user("mia", Role.PROJECT_MANAGER, ScopeKind.COMPANY, company=world.company_b)
    a_only_elsewhere = Membership.objects.create(
        user=mia, role=Role.PROJECT_MANAGER, scope_kind=ScopeKind.PROJECTS, company=world.company_a
    )
    a_only_elsewhere.projects.set([elsewhere])

    assert [p.pk for p in services.preparable_participants(mia, world.p1)] == [world.sub_b.pk]
    assert not services.may_record_deposit(mia, world.p1)
    assert not bank.may_pay(mia, world.p1)
    assert bank.may_pay(mia, elsewhere)  # A is the general contractor there, and the membership reaches it
    services.generate(period=pay.period, by=mia)
    assert list(PaySheet.objects.values_list("participant_id", flat=True)) == [world.sub_b.pk]

    services.generate(period=pay.period, by=world.alice)
    gc_sheet, b_sheet = sheet_of(pay, world.team_a.pk), sheet_of(pay, world.team_b.pk)
    assert services._is_employer(mia, b_sheet)
    assert not services._is_employer(mia, gc_sheet)  # A's own sheet: not through B's membership
    assert not services._is_gc(mia, world.p1)
    assert services._is_gc(mia, elsewhere)

    # With A's membership reaching P1 as well, she is the general contractor's there too.
    a_only_elsewhere.projects.add(world.p1)
    mia = type(mia).objects.get(pk=mia.pk)  # memberships are cached on the user object
    assert services.preparable_participants(mia, world.p1).count() == 2
    assert services.may_record_deposit(mia, world.p1)
    assert bank.may_pay(mia, world.p1)
    assert services._is_gc(mia, world.p1)
    assert services._is_employer(mia, gc_sheet)


def test_generate_names_a_worker_moved_into_a_team_whose_sheet_is_already_confirmed(pay: Payroll) -> None:
    from realname.orgs import services as org_services
    from realname.testing import employ, make_worker
    from realname.workers import services as worker_services

    world = pay.world
    formwork = org_services.create_team(participant=world.gc_p1, name="甲模板班")
    other = employ(make_worker("周模"), world.gc_p1, team=formwork)
    for day in working_days():
        record_day(other, day)
    services.generate(period=pay.period, by=world.alice)
    formwork_sheet = sheet_of(pay, formwork.pk)
    services.confirm_team(sheet=formwork_sheet, by=world.alice, note="班组长已在纸质工资表上签字")

    worker_services.update_employment(employment=pay.emp_a, team=formwork)  # 张甲 moves mid-month
    result = services.generate(period=pay.period, by=world.alice)

    assert result.left_out == ["张甲"]
    assert result.skipped_sheets == [str(formwork_sheet)]
    assert not PayLine.objects.filter(employment=pay.emp_a).exclude(sheet__status=SheetStatus.SUPERSEDED)
    # Once the confirmed sheet is back in draft, the next generate puts him on it.
    services.reopen(sheet=formwork_sheet, by=world.alice, reason="张甲调入本班组")
    assert services.generate(period=pay.period, by=world.alice).left_out == []
    assert PayLine.objects.get(employment=pay.emp_a).sheet == formwork_sheet


def test_a_digest_of_another_form_over_the_same_figures_is_no_change(pay: Payroll) -> None:
    """An upgrade that changes how a line's inputs are digested leaves the lines whose figures are still
    right alone: not reported stale, not asked again; figures that differ still count."""
    world = pay.world
    sheet = _through_team(pay)
    services.confirm_line(line=line_of(sheet, pay.emp_a.pk), by=world.wendy)
    PayLine.objects.filter(sheet=sheet).update(inputs_digest="0" * 64)
    assert services.stale_workers(sheet) == []
    services.reopen(sheet=sheet, by=world.alice, reason="核对")
    result = services.generate(period=pay.period, by=world.alice)
    line = line_of(sheet, pay.emp_a.pk)
    assert (result.lines_changed, line.status) == (0, LineStatus.CONFIRMED)
    assert line.inputs_digest not in ("", "0" * 64)
    assert services.stale_workers(sheet) == []
    PayLine.objects.filter(sheet=sheet).update(inputs_digest="0" * 64)
    record_day(pay.emp_a, dt.date(2026, 10, 24), "8")  # a Saturday worked: the figures differ now
    assert services.stale_workers(sheet) == ["张甲"]
    result = services.generate(period=pay.period, by=world.alice)
    line = line_of(sheet, pay.emp_a.pk)
    assert (result.lines_changed, line.status) == (1, LineStatus.PENDING)
