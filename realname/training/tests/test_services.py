"""Exams (draw, grading, time limit, attempts), offline sessions, validity, the retake-after-absence job."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from realname.admission.facts import TrainingState
from realname.admission.models import Recheck
from realname.attendance.models import AccessEvent
from realname.testing import World
from realname.training import services
from realname.training.jobs import mark_retakes_after_absence
from realname.training.models import ExamAttempt, LessonKind, Question, TrainingRecord
from realname.training.selectors import add_months, training_facts
from realname.training.tests.conftest import Training
from realname.workers.models import Employment

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def job_of(world: World, name: str = "worker_a") -> Employment:
    return Employment.objects.get(worker=getattr(world, name), project=world.p1)


def right_answers(attempt: ExamAttempt) -> dict[str, list[int]]:
    keys = dict(Question.objects.filter(pk__in=attempt.question_ids).values_list("pk", "correct"))
    return {str(q): keys[q] for q in attempt.question_ids}


def pass_course(world: World, course: object, *, at: dt.datetime = NOW, name: str = "worker_a") -> None:
    attempt = services.start_exam(employment=job_of(world, name), course=course, now=at)  # type: ignore[arg-type]
    services.submit_exam(attempt=attempt, answers=right_answers(attempt), now=at + dt.timedelta(minutes=5))


def state_of(world: World, course_id: int, at: dt.datetime, name: str = "worker_a") -> TrainingState:
    employment = job_of(world, name)
    facts = training_facts([employment], at)[employment.pk]
    return next(f.state for f in facts if f.course_id == course_id)


def test_an_exam_draws_exactly_the_configured_number_of_distinct_questions(
    world: World, training: Training, rng: random.Random
) -> None:
    attempt = services.start_exam(employment=job_of(world), course=training.company, now=NOW, rng=rng)
    assert len(attempt.question_ids) == 5
    assert len(set(attempt.question_ids)) == 5
    assert set(attempt.question_ids) <= set(training.bank.questions.values_list("pk", flat=True))
    assert attempt.deadline_at == NOW + dt.timedelta(minutes=20)


def test_reloading_the_exam_page_keeps_the_open_attempt(world: World, training: Training) -> None:
    first = services.start_exam(employment=job_of(world), course=training.company, now=NOW)
    again = services.start_exam(
        employment=job_of(world), course=training.company, now=NOW + dt.timedelta(minutes=3)
    )
    assert again.pk == first.pk


def test_a_bank_with_too_few_questions_is_refused_with_a_reason(world: World, training: Training) -> None:
    services.update_course(course=training.company, exam_question_count=50)
    with pytest.raises(ValidationError, match="题库题目不足"):
        services.start_exam(employment=job_of(world), course=training.company, now=NOW)


def test_a_course_outside_the_plan_cannot_be_taken(world: World, training: Training) -> None:
    other = services.create_course(company=world.company_a, title="技能培训", training_type="003004")
    with pytest.raises(ValidationError, match="不在本项目的培训计划"):
        services.start_exam(employment=job_of(world), course=other, now=NOW)


def test_grading_needs_every_right_option_and_no_wrong_one() -> None:
    key = {1: [1], 2: [0, 2], 3: [0], 4: [0, 2]}
    assert services.grade(key, {1: [1], 2: [0, 2], 3: [0], 4: [0]}) == Decimal("75.0")
    assert services.grade(key, {1: [1], 2: [2, 0], 3: [1], 4: [0, 1, 2]}) == Decimal("50.0")
    assert services.grade(key, {}) == Decimal("0.0")


def test_only_the_drawn_questions_are_graded(world: World, training: Training) -> None:
    attempt = services.start_exam(employment=job_of(world), course=training.company, now=NOW)
    answers = right_answers(attempt)
    other = training.bank.questions.exclude(pk__in=attempt.question_ids).first()
    assert other is not None
    answers[str(other.pk)] = other.correct
    result = services.submit_exam(attempt=attempt, answers=answers, now=NOW + dt.timedelta(minutes=1))
    assert result.attempt.score == Decimal("100.0")
    assert str(other.pk) not in result.attempt.answers


def test_a_pass_creates_the_record_with_score_attempts_time_and_expiry(
    world: World, training: Training
) -> None:
    attempt = services.start_exam(employment=job_of(world), course=training.company, now=NOW)
    wrong = {str(q): [99] for q in attempt.question_ids}
    failed = services.submit_exam(attempt=attempt, answers=wrong, now=NOW + dt.timedelta(minutes=2))
    assert failed.attempt.passed is False
    assert "及格分" in failed.attempt.failure_reason
    assert failed.record.passed_at is None
    pass_course(world, training.company, at=NOW + dt.timedelta(hours=1))
    record = TrainingRecord.objects.get(worker=world.worker_a, course=training.company)
    assert record.project_id is None, "a company-level pass counts on every project"
    assert record.attempts == 2
    assert record.score == Decimal("100.0")
    assert record.time_spent_seconds == 120 + 300
    assert record.passed_at == NOW + dt.timedelta(hours=1, minutes=5)
    assert record.expires_at == add_months(record.passed_at, 12)
    assert record.source == "online"
    assert Recheck.objects.filter(worker_id=world.worker_a.pk).exists()


def test_a_submission_after_the_time_limit_is_recorded_as_failed(world: World, training: Training) -> None:
    attempt = services.start_exam(employment=job_of(world), course=training.company, now=NOW)
    late = NOW + dt.timedelta(minutes=20) + services.GRACE + dt.timedelta(seconds=1)
    result = services.submit_exam(attempt=attempt, answers=right_answers(attempt), now=late)
    assert result.attempt.passed is False
    assert result.attempt.score == Decimal("100.0")
    assert "超过考试时限" in result.attempt.failure_reason
    assert result.record.passed_at is None
    assert result.record.attempts == 1
    with pytest.raises(ValidationError, match="已交卷"):
        services.submit_exam(attempt=attempt, answers={}, now=late)


def test_a_submission_within_the_grace_still_counts(world: World, training: Training) -> None:
    attempt = services.start_exam(employment=job_of(world), course=training.company, now=NOW)
    just = NOW + dt.timedelta(minutes=20) + services.GRACE
    assert services.submit_exam(attempt=attempt, answers=right_answers(attempt), now=just).attempt.passed


def test_validity_runs_out_after_the_plans_months(world: World, training: Training) -> None:
    pass_course(world, training.company)
    passed_at = NOW + dt.timedelta(minutes=5)
    assert state_of(world, training.company.pk, passed_at + dt.timedelta(days=300)) == TrainingState.PASSED
    assert state_of(world, training.company.pk, add_months(passed_at, 12)) == TrainingState.EXPIRED
    pass_course(world, training.company, at=add_months(passed_at, 13))
    assert state_of(world, training.company.pk, add_months(passed_at, 14)) == TrainingState.PASSED


def test_a_plan_change_refreshes_the_stored_expiry_and_queues_a_recheck(
    world: World, training: Training
) -> None:
    pass_course(world, training.company)
    Recheck.objects.all().delete()
    services.update_plan_course(item=training.items["company"], validity_months=6)
    record = TrainingRecord.objects.get(worker=world.worker_a, course=training.company)
    assert record.expires_at == add_months(NOW + dt.timedelta(minutes=5), 6)
    assert set(Recheck.objects.values_list("worker_id", flat=True)) == {world.worker_a.pk, world.worker_b.pk}


def test_absence_limit_only_fits_project_level_courses(world: World, training: Training) -> None:
    plan = services.create_plan(project=world.p1, name="木工", trade="010")
    with pytest.raises(ValidationError) as info:
        services.add_plan_course(plan=plan, course=training.team, absence_limit_days=10)
    assert "absence_limit_days" in info.value.message_dict


def _punch(employment: Employment, at: dt.datetime) -> None:
    from realname.attendance.models import Device

    device = Device.objects.filter(project=employment.project).first()
    if device is None:
        device = Device.objects.create(project=employment.project, name="闸机", serial="SN-T1", kind="zkteco")
    AccessEvent.objects.create(
        project=employment.project,
        device=device,
        device_event_key=f"{employment.pk}|{at.isoformat()}",
        person_ref=str(employment.pk),
        person_ref_kind="pin",
        employment=employment,
        worker_id=employment.worker_id,
        occurred_at=at,
        method="001",
        source="zkteco",
        received_at=at,
    )


def test_absence_longer_than_the_limit_marks_the_project_pass_and_a_new_pass_clears_it(
    world: World, training: Training
) -> None:
    pass_course(world, training.project)
    pass_course(world, training.project, name="worker_b")
    passed_at = NOW + dt.timedelta(minutes=5)
    _punch(job_of(world, "worker_b"), passed_at + dt.timedelta(days=20))
    assert mark_retakes_after_absence(now=passed_at + dt.timedelta(days=29)) == 0
    Recheck.objects.all().delete()
    # Worker A was never seen after passing: the pass time counts; worker B was seen 20 days in.
    assert mark_retakes_after_absence(now=passed_at + dt.timedelta(days=31)) == 1
    assert (
        state_of(world, training.project.pk, passed_at + dt.timedelta(days=31))
        == TrainingState.RETAKE_AFTER_ABSENCE
    )
    assert (
        state_of(world, training.project.pk, passed_at + dt.timedelta(days=31), "worker_b")
        == TrainingState.PASSED
    )
    assert list(Recheck.objects.values_list("worker_id", flat=True)) == [world.worker_a.pk]
    # Coming back (a refused punch) does not undo the mark; running again marks nothing new.
    _punch(job_of(world), passed_at + dt.timedelta(days=32))
    assert mark_retakes_after_absence(now=passed_at + dt.timedelta(days=33)) == 0
    assert (
        state_of(world, training.project.pk, passed_at + dt.timedelta(days=33))
        == TrainingState.RETAKE_AFTER_ABSENCE
    )
    assert mark_retakes_after_absence(now=passed_at + dt.timedelta(days=51)) == 1  # worker B now, not A again
    # A new pass clears the mark.
    pass_course(world, training.project, at=passed_at + dt.timedelta(days=52))
    assert state_of(world, training.project.pk, passed_at + dt.timedelta(days=53)) == TrainingState.PASSED
    assert TrainingRecord.objects.get(worker=world.worker_a, course=training.project).retake_marked_at is None


def test_company_and_team_passes_are_never_marked_for_absence(world: World, training: Training) -> None:
    pass_course(world, training.company)
    pass_course(world, training.team)
    assert mark_retakes_after_absence(now=NOW + dt.timedelta(days=400)) == 0


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_an_offline_session_passes_like_an_online_exam(
    world: World, training: Training, settings: object, tmp_path: object
) -> None:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    a, b = job_of(world), job_of(world, "worker_b")
    session = services.record_offline_session(
        project=world.p1,
        course=training.team,
        held_on=dt.date(2026, 5, 30),
        trainer="王安全",
        attendees=[
            services.AttendeeResult(a, Decimal("90"), True),
            services.AttendeeResult(b, Decimal("40"), False),
        ],
        photo=SimpleUploadedFile("现场.png", PNG),
        now=NOW,
    )
    assert session.photo.name.endswith(".png") and "现场" not in session.photo.name
    record = TrainingRecord.objects.get(worker=world.worker_a, course=training.team)
    assert record.project_id == world.p1.pk and record.source == "offline" and record.session == session
    assert state_of(world, training.team.pk, NOW) == TrainingState.PASSED
    assert state_of(world, training.team.pk, NOW, "worker_b") == TrainingState.NOT_PASSED


def test_an_offline_session_refuses_a_photo_that_is_not_an_image(world: World, training: Training) -> None:
    with pytest.raises(ValidationError) as info:
        services.record_offline_session(
            project=world.p1,
            course=training.team,
            held_on=dt.date(2026, 5, 30),
            trainer="王安全",
            attendees=[services.AttendeeResult(job_of(world), Decimal("90"), True)],
            photo=SimpleUploadedFile("x.png", b"MZ\x90\x00not an image"),
            now=NOW,
        )
    assert "photo" in info.value.message_dict


def test_an_offline_session_refuses_people_from_another_project(world: World, training: Training) -> None:
    other = Employment.objects.get(worker=world.worker_c)
    with pytest.raises(ValidationError, match="参训人员"):
        services.record_offline_session(
            project=world.p1,
            course=training.team,
            held_on=dt.date(2026, 5, 30),
            trainer="王安全",
            attendees=[services.AttendeeResult(other, Decimal("90"), True)],
            now=NOW,
        )


def test_lessons_check_their_content(
    world: World, training: Training, settings: object, tmp_path: object
) -> None:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    with pytest.raises(ValidationError):
        services.add_lesson(
            course=training.company,
            title="图",
            kind=LessonKind.IMAGE,
            file=SimpleUploadedFile("a.jpg", b"GIF89a"),
        )
    mp4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 20
    lesson = services.add_lesson(
        course=training.company, title="视频", kind=LessonKind.VIDEO, file=SimpleUploadedFile("v.mp4", mp4)
    )
    assert lesson.position == 1
    with pytest.raises(ValidationError):
        services.add_lesson(course=training.company, title="正文", kind=LessonKind.TEXT, body="  ")


def test_questions_are_checked(world: World, training: Training) -> None:
    with pytest.raises(ValidationError):
        services.add_question(bank=training.bank, kind="single", text="?", options=["a", "b"], correct=[0, 1])
    with pytest.raises(ValidationError):
        services.add_question(bank=training.bank, kind="multiple", text="?", options=["a"], correct=[0])
    q = services.add_question(
        bank=training.bank, kind="true_false", text="安全帽须系好下颏带", options=[], correct=[0]
    )
    assert q.options == ["正确", "错误"]


def test_timezone_now_is_aware() -> None:
    assert timezone.is_aware(timezone.now())


def test_an_attempt_left_open_past_its_limit_counts_as_failed_when_a_new_one_starts(
    world: World, training: Training
) -> None:
    first = services.start_exam(employment=job_of(world), course=training.company, now=NOW)
    second = services.start_exam(
        employment=job_of(world), course=training.company, now=NOW + dt.timedelta(hours=1)
    )
    assert second.pk != first.pk
    first.refresh_from_db()
    assert first.passed is False and first.failure_reason == "超过考试时限未交卷"
    assert first.submitted_at == first.deadline_at
    record = TrainingRecord.objects.get(worker=world.worker_a, course=training.company)
    assert record.attempts == 1 and record.passed_at is None
    assert record.time_spent_seconds == 20 * 60


def test_expiry_warnings_go_out_30_and_7_days_before_once_each(world: World, training: Training) -> None:
    from realname.accounts.models import ScopeKind
    from realname.accounts.roles import Role
    from realname.notifications.models import Notification
    from realname.testing import make_user
    from realname.training.jobs import warn_expiring

    safety = make_user("sam", Role.SAFETY_OFFICER, ScopeKind.COMPANY, company=world.company_a)
    pass_course(world, training.company)  # valid for 12 months
    expires = add_months(NOW + dt.timedelta(minutes=5), 12)
    assert warn_expiring(now=expires - dt.timedelta(days=40)) == 0
    first = warn_expiring(now=expires - dt.timedelta(days=20))
    recipients = set(Notification.objects.values_list("recipient__username", flat=True))
    assert recipients == {"wendy", "sam"}  # not bob (another company), not charlie, not company admins
    assert first == len(recipients)
    assert warn_expiring(now=expires - dt.timedelta(days=19)) == 0, "once per threshold"
    assert warn_expiring(now=expires - dt.timedelta(days=5)) == first
    assert Notification.objects.filter(recipient=safety, kind="training.expiring").count() == 2


def test_refreshing_the_expiry_after_a_plan_change_is_bulk(world: World, training: Training) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from realname.testing import employ, make_worker

    workers = [world.worker_a]
    for _ in range(10):
        worker = make_worker()
        employ(worker, world.gc_p1, team=world.team_a)
        workers.append(worker)
    for worker in workers:
        TrainingRecord.objects.create(worker=worker, course=training.company, passed_at=NOW)
    training.items["company"].validity_months = 3
    training.items["company"].save()
    with CaptureQueriesContext(connection) as queries:
        changed = services.refresh_expiry(
            worker_ids=[w.pk for w in workers], course_ids=[training.company.pk]
        )
    assert changed == 11
    # records, employments, plans, the bulk update, the workers' companies, the audit insert (+ savepoint)
    assert len(queries.captured_queries) <= 7
    assert set(TrainingRecord.objects.values_list("expires_at", flat=True)) == {add_months(NOW, 3)}
    from realname.core.models import AuditEntry

    audited = AuditEntry.objects.filter(
        object_type="training.TrainingRecord", note="培训计划变更，重新计算有效期"
    )
    assert audited.count() == 11


# --- review fixes ------------------------------------------------------------------------------------------


def test_a_question_deleted_or_edited_after_the_draw_does_not_change_the_attempts_key(
    world: World, training: Training
) -> None:
    attempt = services.start_exam(employment=job_of(world), course=training.company, now=NOW)
    key = right_answers(attempt)
    assert attempt.answer_key == key
    drawn = [Question.objects.get(pk=q) for q in attempt.question_ids]
    for question in drawn[:3]:
        services.delete_question(question=question)
    # Deleted questions answered with nothing are not "right": the attempt scores 0, not 60.
    result = services.submit_exam(attempt=attempt, answers={}, now=NOW + dt.timedelta(minutes=1))
    assert result.attempt.score == Decimal("0.0") and result.attempt.passed is False
    assert result.record.passed_at is None
    # An edited key does not change a drawn attempt: the answers right when drawn stay right.
    second = services.start_exam(
        employment=job_of(world), course=training.company, now=NOW + dt.timedelta(hours=1)
    )
    answers = right_answers(second)
    edited = Question.objects.get(pk=second.question_ids[0])
    services.update_question(
        question=edited, correct=[i for i in range(len(edited.options)) if i not in edited.correct][:1]
    )
    services.delete_question(question=Question.objects.get(pk=second.question_ids[1]))
    answers.pop(str(second.question_ids[1]))
    result = services.submit_exam(attempt=second, answers=answers, now=NOW + dt.timedelta(hours=1, minutes=2))
    assert result.attempt.score == Decimal("80.0") and result.attempt.passed


def _leave_and_return(world: World, training: Training, *, exit_day: int, back_day: int) -> Employment:
    from realname.workers import services as worker_services

    pass_course(world, training.project)
    old = job_of(world)
    _punch(old, NOW + dt.timedelta(days=1))
    worker_services.register_exit(employment=old, exit_date=(NOW + dt.timedelta(days=exit_day)).date())
    back = NOW + dt.timedelta(days=back_day)
    new = worker_services.register_entry(
        worker=old.worker,
        project=old.project,
        participant=old.participant,
        trade=old.trade,
        team=old.team,
        entry_date=back.date(),
    ).employment
    assert new.pk != old.pk
    _punch(new, back)  # the first punch on return, before the job runs
    return new


def test_a_worker_back_on_a_new_employment_after_a_long_absence_must_retake(
    world: World, training: Training
) -> None:
    new = _leave_and_return(world, training, exit_day=2, back_day=200)
    at = NOW + dt.timedelta(days=200, minutes=10)
    # Marked when the new entry was registered (workers.services.register_entry runs the check for the
    # returning worker), so the punch on return already meets a retake; the job finds nothing left.
    record = TrainingRecord.objects.get(worker=world.worker_a, course=training.project)
    assert record.retake_marked_at is not None
    assert mark_retakes_after_absence(now=at, worker_ids=[world.worker_b.pk]) == 0
    assert mark_retakes_after_absence(now=at, worker_ids=[world.worker_a.pk]) == 0
    facts = training_facts([new], at)[new.pk]
    assert (
        next(f.state for f in facts if f.course_id == training.project.pk)
        == TrainingState.RETAKE_AFTER_ABSENCE
    )
    assert mark_retakes_after_absence(now=at + dt.timedelta(days=1)) == 0


def test_a_short_gap_between_two_employments_is_no_absence(world: World, training: Training) -> None:
    new = _leave_and_return(world, training, exit_day=2, back_day=20)  # limit: 30 days
    at = NOW + dt.timedelta(days=20, minutes=10)
    assert mark_retakes_after_absence(now=at) == 0
    facts = training_facts([new], at)[new.pk]
    assert next(f.state for f in facts if f.course_id == training.project.pk) == TrainingState.PASSED
    # The exit date counts as presence: 29 days after it (and 10 after the return punch) nothing is due.
    assert mark_retakes_after_absence(now=NOW + dt.timedelta(days=31)) == 0


def test_an_offline_score_decides_the_pass_against_the_courses_pass_mark(
    world: World, training: Training
) -> None:
    a, b = job_of(world), job_of(world, "worker_b")
    with pytest.raises(ValidationError, match="低于及格分 60 分"):
        services.record_offline_session(
            project=world.p1,
            course=training.company,
            held_on=NOW.date(),
            trainer="王安全",
            attendees=[services.AttendeeResult(a, Decimal("10"), True)],
            now=NOW,
        )
    assert not TrainingRecord.objects.exists()
    session = services.record_offline_session(
        project=world.p1,
        course=training.company,
        held_on=NOW.date(),
        trainer="王安全",
        attendees=[
            services.AttendeeResult(a, Decimal("75"), False),  # the box left unticked: the score decides
            services.AttendeeResult(b, None, True),  # no score: the tick decides
        ],
        now=NOW,
    )
    assert sorted(session.attendees.values_list("passed", flat=True)) == [True, True]
    assert state_of(world, training.company.pk, NOW) == TrainingState.PASSED
    assert state_of(world, training.company.pk, NOW, "worker_b") == TrainingState.PASSED


def test_an_offline_session_refuses_an_employment_not_open_on_its_date(
    world: World, training: Training
) -> None:
    from realname.workers import services as worker_services

    employment = job_of(world)
    worker_services.register_exit(employment=employment, exit_date=dt.date(2026, 4, 1))
    employment.refresh_from_db()
    for held_on in (dt.date(2026, 5, 30), dt.date(2026, 2, 1)):  # after the exit, before the entry
        with pytest.raises(ValidationError, match="不在本项目"):
            services.record_offline_session(
                project=world.p1,
                course=training.company,
                held_on=held_on,
                trainer="王安全",
                attendees=[services.AttendeeResult(employment, Decimal("90"), True)],
                now=NOW,
            )
    # Held while they were still there, recorded after they left: accepted.
    services.record_offline_session(
        project=world.p1,
        course=training.company,
        held_on=dt.date(2026, 3, 20),
        trainer="王安全",
        attendees=[services.AttendeeResult(employment, Decimal("90"), True)],
        now=NOW,
    )
    assert TrainingRecord.objects.get(worker=world.worker_a, course=training.company).passed_at is not None


def test_a_company_pass_required_on_two_projects_warns_the_worker_once(
    world: World, training: Training
) -> None:
    from realname.notifications.models import Notification
    from realname.testing import employ
    from realname.training.jobs import warn_expiring

    employ(world.worker_a, world.gc_p2, team=world.team_c)
    plan = services.create_plan(project=world.p2, name="P2 安全教育")
    services.add_plan_course(plan=plan, course=training.company, validity_months=12)
    pass_course(world, training.company)
    expires = add_months(NOW + dt.timedelta(minutes=5), 12)
    warn_expiring(now=expires - dt.timedelta(days=20))
    assert Notification.objects.filter(recipient=world.wendy, kind="training.expiring").count() == 1
    warn_expiring(now=expires - dt.timedelta(days=5))
    assert Notification.objects.filter(recipient=world.wendy, kind="training.expiring").count() == 2


def test_a_pass_expiring_exactly_30_days_ahead_is_warned_without_error(
    world: World, training: Training
) -> None:
    from realname.notifications.models import Notification
    from realname.training.jobs import warn_expiring

    pass_course(world, training.company)
    expires = add_months(NOW + dt.timedelta(minutes=5), 12)
    assert warn_expiring(now=expires - dt.timedelta(days=30)) >= 1
    assert Notification.objects.filter(recipient=world.wendy, dedupe_key__endswith=":30").count() == 1
    assert warn_expiring(now=expires - dt.timedelta(days=7)) >= 1
    assert Notification.objects.filter(recipient=world.wendy, dedupe_key__endswith=":7").count() == 1


def test_a_back_dated_offline_session_neither_clears_a_retake_nor_moves_a_pass_back(
    world: World, training: Training
) -> None:
    pass_course(world, training.project)
    marked_at = NOW + dt.timedelta(days=40)
    assert mark_retakes_after_absence(now=marked_at) == 1
    record = TrainingRecord.objects.get(worker=world.worker_a, course=training.project)
    session_args = {
        "project": world.p1,
        "course": training.project,
        "trainer": "王安全",
        "attendees": [services.AttendeeResult(job_of(world), Decimal("90"), True)],
        "now": marked_at + dt.timedelta(days=1),
    }
    # Held before the mark (recorded late): the mark stays.
    services.record_offline_session(held_on=(NOW + dt.timedelta(days=10)).date(), **session_args)
    record.refresh_from_db()
    assert record.retake_marked_at == marked_at
    assert (
        state_of(world, training.project.pk, marked_at + dt.timedelta(days=1))
        == TrainingState.RETAKE_AFTER_ABSENCE
    )
    # A pass after the mark clears it; a later back-dated session does not move that pass back.
    pass_course(world, training.project, at=marked_at + dt.timedelta(days=2))
    record.refresh_from_db()
    newest = record.passed_at
    assert record.retake_marked_at is None and newest == marked_at + dt.timedelta(days=2, minutes=5)
    services.record_offline_session(
        held_on=(NOW + dt.timedelta(days=20)).date(),
        **{**session_args, "now": marked_at + dt.timedelta(days=3)},
    )
    record.refresh_from_db()
    assert record.passed_at == newest and record.source == "online" and record.session is None
    assert record.attempts == 4


def test_a_pass_is_in_the_audit_log(world: World, training: Training) -> None:
    from realname.core.context import acting_as
    from realname.core.models import AuditEntry

    with acting_as(world.wendy):
        pass_course(world, training.project)
    record = TrainingRecord.objects.get(worker=world.worker_a, course=training.project)
    entry = AuditEntry.objects.get(object_type="training.TrainingRecord", object_id=str(record.public_id))
    assert entry.action == "create" and entry.actor == world.wendy
    assert entry.changes["passed_at"] == str(record.passed_at) and entry.changes["score"] == "100.0"
    assert entry.project_id == world.p1.pk and entry.company_id == world.company_a.pk
    assert "线上考试" in entry.note
    # A company-level pass (no project of its own) is filed under the project it was earned on.
    pass_course(world, training.company)
    company_pass = TrainingRecord.objects.get(worker=world.worker_a, course=training.company)
    entry = AuditEntry.objects.get(object_id=str(company_pass.public_id))
    assert entry.project_id == world.p1.pk
    # The retake mark is audited too.
    mark_retakes_after_absence(now=NOW + dt.timedelta(days=40))
    marks = AuditEntry.objects.filter(object_id=str(record.public_id), action="update")
    assert [list(m.changes) for m in marks] == [["retake_marked_at"]]
