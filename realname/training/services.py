"""Writes for training: courses, lessons, question banks, plans, exams, offline sessions, training records.

Every change to who has passed what (a pass, an offline session, a plan change) tells the admission app in
the same transaction through :func:`realname.admission.changes.inputs_changed`.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from realname.accounts.models import User
from realname.admission.changes import inputs_changed
from realname.core.audit import diff, snapshot
from realname.core.context import current_actor
from realname.core.models import AuditAction, AuditEntry
from realname.core.services import create_row, delete_row, update_row
from realname.core.text import listed
from realname.orgs.models import Company, Project, Team
from realname.training.models import (
    Course,
    ExamAttempt,
    Lesson,
    LessonKind,
    Level,
    OfflineSession,
    PlanCourse,
    Question,
    QuestionBank,
    QuestionKind,
    RecordSource,
    SessionAttendee,
    TrainingPlan,
    TrainingRecord,
)
from realname.training.selectors import PlanIndex, add_months, record_project_id
from realname.workers.models import Employment, EmploymentStatus, Worker

# A submission this long after the time limit still counts (the phone's clock, a slow network).
GRACE = dt.timedelta(seconds=60)
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_VIDEO_BYTES = 200 * 1024 * 1024

# What an upload must start with, by extension (the name alone proves nothing about the bytes).
_MAGIC: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF-",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "mp4": (),  # checked below: "ftyp" at offset 4
    "webm": (b"\x1a\x45\xdf\xa3",),
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "mp4": "video/mp4",
    "webm": "video/webm",
}
IMAGE_TYPES = ("jpg", "jpeg", "png")
VIDEO_TYPES = ("mp4", "webm")
SCAN_TYPES = ("pdf", "jpg", "jpeg", "png")


def check_upload(upload: Any, allowed: Sequence[str], *, field: str) -> Any:
    """A new upload checked by extension, size and leading bytes, renamed to a neutral random name."""
    if not isinstance(upload, UploadedFile):
        return upload
    extension = (upload.name or "").rsplit(".", 1)[-1].lower()
    if extension not in allowed:
        raise ValidationError({field: _("只能上传以下格式的文件：%(types)s") % {"types": listed(allowed)}})
    limit = MAX_VIDEO_BYTES if extension in VIDEO_TYPES else MAX_UPLOAD_BYTES
    if (upload.size or 0) > limit:
        raise ValidationError({field: _("文件过大（不超过 %(mb)d MB）") % {"mb": limit // (1024 * 1024)}})
    head = upload.read(12)
    upload.seek(0)
    if extension == "mp4":
        ok = head[4:8] == b"ftyp"
    else:
        ok = any(head.startswith(magic) for magic in _MAGIC[extension])
    if not ok:
        raise ValidationError({field: _("文件内容与扩展名 .%(ext)s 不符") % {"ext": extension}})
    upload.name = f"{secrets.token_hex(12)}.{extension}"
    return upload


# --- courses, lessons, banks, questions --------------------------------------------------------------------

COURSE_FIELDS = (
    "title",
    "training_type",
    "level",
    "description",
    "duration_minutes",
    "exam_bank",
    "exam_question_count",
    "exam_pass_mark",
    "exam_time_limit_minutes",
)


def _check_bank(company: Company | None, bank: QuestionBank | None) -> None:
    if bank is not None and bank.company_id is not None and bank.company_id != getattr(company, "pk", None):
        raise ValidationError({"exam_bank": _("只能使用本企业或平台通用的题库")})


@transaction.atomic
def create_course(*, company: Company | None, title: str, training_type: str, **fields: Any) -> Course:
    _check_bank(company, fields.get("exam_bank"))
    return create_row(Course, company=company, title=title, training_type=training_type, **fields)


@transaction.atomic
def update_course(*, course: Course, **fields: Any) -> Course:
    if "exam_bank" in fields:
        _check_bank(course.company, fields["exam_bank"])
    level_before = course.level
    course = update_row(course, **fields)
    if course.level != level_before:
        _courses_changed([course.pk])
    return course


def _check_lesson(kind: str, body: str, file: Any, url: str) -> Any:
    if kind == LessonKind.TEXT and not body.strip():
        raise ValidationError({"body": _("图文课时须填写正文")})
    if kind == LessonKind.LINK and not url:
        raise ValidationError({"url": _("外部链接课时须填写链接")})
    if kind in (LessonKind.IMAGE, LessonKind.VIDEO):
        if not file:
            raise ValidationError({"file": _("请上传文件")})
        return check_upload(file, IMAGE_TYPES if kind == LessonKind.IMAGE else VIDEO_TYPES, field="file")
    return file


@transaction.atomic
def add_lesson(
    *,
    course: Course,
    title: str,
    kind: str = LessonKind.TEXT,
    body: str = "",
    file: Any = None,
    url: str = "",
    position: int | None = None,
) -> Lesson:
    file = _check_lesson(kind, body, file, url)
    if position is None:
        last = course.lessons.order_by("-position").values_list("position", flat=True).first()
        position = (last or 0) + 1
    return create_row(
        Lesson, course=course, title=title, kind=kind, body=body, file=file or "", url=url, position=position
    )


@transaction.atomic
def update_lesson(*, lesson: Lesson, **fields: Any) -> Lesson:
    kind = fields.get("kind", lesson.kind)
    file = fields.get("file") or lesson.file
    fields["file"] = _check_lesson(kind, fields.get("body", lesson.body), file, fields.get("url", lesson.url))
    return update_row(lesson, **fields)


@transaction.atomic
def delete_lesson(*, lesson: Lesson) -> None:
    delete_row(lesson)


@transaction.atomic
def create_bank(*, company: Company | None, title: str) -> QuestionBank:
    return create_row(QuestionBank, company=company, title=title)


def _check_question(
    kind: str, text: str, options: list[str], correct: list[int]
) -> tuple[list[str], list[int]]:
    options = [str(o).strip() for o in options if str(o).strip()]
    if kind == QuestionKind.TRUE_FALSE:
        # The two answers of a true/false question, stored in the author's language (question text is data).
        options = [pgettext("true/false answer", "正确"), pgettext("true/false answer", "错误")]
    if not text.strip():
        raise ValidationError({"text": _("请填写题目")})
    if len(options) < 2:
        raise ValidationError({"options": _("至少需要两个选项")})
    if len(set(options)) != len(options):
        raise ValidationError({"options": _("选项不能重复")})
    correct = sorted(set(correct))
    if any(i < 0 or i >= len(options) for i in correct):
        raise ValidationError({"correct": _("正确答案须是已有选项")})
    if kind in (QuestionKind.SINGLE, QuestionKind.TRUE_FALSE) and len(correct) != 1:
        raise ValidationError({"correct": _("单选题和判断题须有且只有一个正确答案")})
    if kind == QuestionKind.MULTIPLE and not correct:
        raise ValidationError({"correct": _("多选题至少有一个正确答案")})
    return options, correct


@transaction.atomic
def add_question(
    *,
    bank: QuestionBank,
    kind: str,
    text: str,
    options: list[str],
    correct: list[int],
    explanation: str = "",
) -> Question:
    options, correct = _check_question(kind, text, options, correct)
    last = bank.questions.order_by("-position").values_list("position", flat=True).first()
    return create_row(
        Question,
        bank=bank,
        kind=kind,
        text=text.strip(),
        options=options,
        correct=correct,
        explanation=explanation,
        position=(last or 0) + 1,
    )


@transaction.atomic
def update_question(*, question: Question, **fields: Any) -> Question:
    options, correct = _check_question(
        fields.get("kind", question.kind),
        fields.get("text", question.text),
        fields.get("options", question.options),
        fields.get("correct", question.correct),
    )
    fields.update(options=options, correct=correct)
    return update_row(question, **fields)


@transaction.atomic
def delete_question(*, question: Question) -> None:
    delete_row(question)


# --- plans -------------------------------------------------------------------------------------------------


def _plan_workers(project_id: int, trade: str) -> list[int]:
    """Workers of the active employments a plan for (project, trade) applies to."""
    qs = Employment.objects.filter(project_id=project_id, status=EmploymentStatus.ACTIVE)
    if trade:
        qs = qs.filter(trade=trade)
    return list(qs.values_list("worker_id", flat=True))


def _courses_changed(course_ids: Iterable[int]) -> None:
    """A course's level changed: every worker a plan with it applies to must be decided again."""
    for plan in TrainingPlan.objects.filter(items__course_id__in=list(course_ids)).distinct():
        inputs_changed(worker_ids=_plan_workers(plan.project_id, plan.trade))


def _plan_changed(plan: TrainingPlan, course_ids: Iterable[int]) -> None:
    worker_ids = _plan_workers(plan.project_id, plan.trade)
    refresh_expiry(worker_ids=worker_ids, course_ids=course_ids)
    inputs_changed(worker_ids=worker_ids)


@transaction.atomic
def create_plan(*, project: Project, name: str, trade: str = "") -> TrainingPlan:
    return create_row(TrainingPlan, project=project, name=name, trade=trade)


@transaction.atomic
def update_plan(*, plan: TrainingPlan, **fields: Any) -> TrainingPlan:
    before = (plan.project_id, plan.trade)
    plan = update_row(plan, **fields)
    if (plan.project_id, plan.trade) != before:
        course_ids = list(plan.items.values_list("course_id", flat=True))
        inputs_changed(worker_ids=_plan_workers(*before))
        _plan_changed(plan, course_ids)
    return plan


@transaction.atomic
def delete_plan(*, plan: TrainingPlan) -> None:
    worker_ids = _plan_workers(plan.project_id, plan.trade)
    delete_row(plan)
    inputs_changed(worker_ids=worker_ids)


def _check_item(course: Course, absence_limit_days: int) -> None:
    if absence_limit_days and course.level != Level.PROJECT:
        raise ValidationError({"absence_limit_days": _("离场重训天数只适用于项目级课程")})


@transaction.atomic
def add_plan_course(
    *, plan: TrainingPlan, course: Course, validity_months: int = 0, absence_limit_days: int = 0
) -> PlanCourse:
    _check_item(course, absence_limit_days)
    if plan.items.filter(course=course).exists():
        raise ValidationError({"course": _("该课程已在本计划中")})
    item = create_row(
        PlanCourse,
        plan=plan,
        course=course,
        validity_months=validity_months,
        absence_limit_days=absence_limit_days,
    )
    _plan_changed(plan, [course.pk])
    return item


@transaction.atomic
def update_plan_course(*, item: PlanCourse, **fields: Any) -> PlanCourse:
    _check_item(item.course, fields.get("absence_limit_days", item.absence_limit_days))
    item = update_row(item, **fields)
    _plan_changed(item.plan, [item.course_id])
    return item


@transaction.atomic
def remove_plan_course(*, item: PlanCourse) -> None:
    plan, course_id = item.plan, item.course_id
    delete_row(item)
    _plan_changed(plan, [course_id])


# --- records -----------------------------------------------------------------------------------------------


def _validity_months(
    employments: Iterable[Employment], plans: PlanIndex, course_id: int, project_id: int | None
) -> int:
    """The strictest validity (months; 0: never expires) the plans give the course for the worker's
    active employments — on ``project_id`` only, for a pass bound to that project."""
    months = [
        req.validity_months
        for e in employments
        if project_id is None or e.project_id == project_id
        for req in plans.requirements(e.project_id, e.trade)
        if req.course_id == course_id and req.validity_months
    ]
    return min(months) if months else 0


def _active_by_worker(worker_ids: Iterable[int]) -> dict[int, list[Employment]]:
    found: dict[int, list[Employment]] = defaultdict(list)
    for e in Employment.objects.filter(worker_id__in=set(worker_ids), status=EmploymentStatus.ACTIVE):
        found[e.worker_id].append(e)
    return found


def _expiry(record: TrainingRecord) -> dt.datetime | None:
    if record.passed_at is None:
        return None
    employments = _active_by_worker([record.worker_id])[record.worker_id]
    plans = PlanIndex({e.project_id for e in employments})
    months = _validity_months(employments, plans, record.course_id, record.project_id)
    return add_months(record.passed_at, months) if months else None


def refresh_expiry(*, worker_ids: Iterable[int], course_ids: Iterable[int]) -> int:
    """Recompute the stored expiry of these workers' passes of these courses after a plan change, in three
    queries and a bulk update whatever the number of workers."""
    records = list(
        TrainingRecord.objects.filter(
            worker_id__in=set(worker_ids), course_id__in=set(course_ids), passed_at__isnull=False
        )
    )
    if not records:
        return 0
    by_worker = _active_by_worker({r.worker_id for r in records})
    plans = PlanIndex({e.project_id for es in by_worker.values() for e in es})
    changed = []
    old_expiry: dict[int, dict[str, Any]] = {}
    for record in records:
        assert record.passed_at is not None  # filtered above
        months = _validity_months(
            by_worker.get(record.worker_id, []), plans, record.course_id, record.project_id
        )
        expires_at = add_months(record.passed_at, months) if months else None
        if expires_at != record.expires_at:
            old_expiry[record.pk] = snapshot(record, ["expires_at"])
            record.expires_at = expires_at
            changed.append(record)
    TrainingRecord.objects.bulk_update(changed, ["expires_at"], batch_size=1000)
    if changed:
        companies = dict(
            Worker.objects.filter(pk__in={r.worker_id for r in changed}).values_list(
                "pk", "registered_by_company_id"
            )
        )
        audit = RecordAudit(_("培训计划变更，重新计算有效期"))
        for record in changed:
            audit.add(
                AuditAction.UPDATE,
                record,
                diff(old_expiry[record.pk], snapshot(record, ["expires_at"])),
                project_id=None,
                company_id=companies.get(record.worker_id),
            )
        audit.flush()
    return len(changed)


class RecordAudit:
    """Audit entries for training records, as ``realname.core.audit.record`` writes them, collected and
    inserted in one statement (an offline session of fifty people, a plan change touching thousands of
    passes, the retake job). A record is filed under its project (a company-level pass: the project it was
    earned or changed on) and the worker's registering company, like the worker's own entries."""

    def __init__(self, note: str = "") -> None:
        actor = current_actor()
        user = actor.user if actor else None
        self.actor_id = user.pk if user else None
        self.label = user.get_username() if user else (f"<{actor.via}>" if actor else "<system>")
        self.ip = actor.ip_address if actor else None
        self.via = actor.via if actor else ""
        self.note = note
        self.rows: list[AuditEntry] = []

    def add(
        self,
        action: str,
        record: TrainingRecord,
        changes: dict[str, Any],
        *,
        project_id: int | None,
        company_id: int | None,
        note: str = "",
    ) -> None:
        if not changes:
            return
        self.rows.append(
            AuditEntry(
                actor_id=self.actor_id,
                actor_label=self.label,
                ip_address=self.ip,
                via=self.via,
                action=str(action),
                object_type=TrainingRecord._meta.label,
                object_id=str(record.public_id),
                object_repr=str(record)[:200],
                project_id=record.project_id or project_id,
                company_id=company_id,
                changes=changes,
                note=(note or self.note)[:300],
            )
        )

    def flush(self) -> int:
        written = len(self.rows)
        if self.rows:
            AuditEntry.objects.bulk_create(self.rows, batch_size=1000)
        self.rows = []
        return written


def _record_for(worker: Worker, course: Course, project: Project) -> tuple[TrainingRecord, bool]:
    bound = record_project_id(course.level, project.pk)
    record, created = TrainingRecord.objects.select_for_update().get_or_create(
        worker=worker, course=course, project=project if bound is not None else None
    )
    return record, created


def _apply_result(
    record: TrainingRecord,
    *,
    score: Decimal | None,
    passed: bool,
    at: dt.datetime,
    source: str,
    session: OfflineSession | None = None,
    time_spent: int = 0,
    attempts: int = 1,
    audit: RecordAudit,
    created: bool,
    project: Project,
    company_id: int | None,
) -> TrainingRecord:
    """Count an attempt (online or offline) on the record. A pass replaces the pass on record only when it is
    not older than it (a back-dated offline session does not move ``passed_at`` backwards), and clears a
    retake-after-absence mark only when it was taken after the mark."""
    before = {} if created else snapshot(record)
    record.attempts += attempts
    record.time_spent_seconds += time_spent
    if passed:
        if record.passed_at is None or at >= record.passed_at:
            record.score = score
            record.passed_at = at
            record.source = source
            record.session = session
            record.expires_at = _expiry(record)
        if record.retake_marked_at is not None and at >= record.retake_marked_at:
            record.retake_marked_at = None  # a pass after the absence clears the mark
    elif record.passed_at is None or record.retake_marked_at is not None:
        record.score = score
    record.save()
    after = snapshot(record)
    action, changes = (AuditAction.CREATE, after) if created else (AuditAction.UPDATE, diff(before, after))
    audit.add(action, record, changes, project_id=project.pk, company_id=company_id)
    inputs_changed(worker_ids=[record.worker_id])
    return record


# --- exams -------------------------------------------------------------------------------------------------


def required_course_ids(employment: Employment) -> set[int]:
    return {
        req.course_id
        for req in PlanIndex([employment.project_id]).requirements(employment.project_id, employment.trade)
    }


@transaction.atomic
def start_exam(
    *,
    employment: Employment,
    course: Course,
    now: dt.datetime | None = None,
    rng: random.Random | None = None,
) -> ExamAttempt:
    """The open attempt of this course (a reload does not draw again), or a new one with questions drawn at
    random from the course's bank."""
    now = now or timezone.now()
    if employment.status != EmploymentStatus.ACTIVE:
        raise ValidationError(_("该进场记录已退场，无需参加培训考试"))
    if course.pk not in required_course_ids(employment):
        raise ValidationError(_("该课程不在本项目的培训计划中"))
    open_attempt = (
        ExamAttempt.objects.select_for_update()
        .filter(employment=employment, course=course, submitted_at__isnull=True, deadline_at__gt=now)
        .first()
    )
    if open_attempt is not None:
        return open_attempt
    _close_abandoned(employment, course, now)
    if course.exam_bank_id is None:
        raise ValidationError(_("该课程尚未设置考试题库，请联系安全管理人员"))
    keys: dict[int, list[int]] = dict(
        Question.objects.filter(bank_id=course.exam_bank_id).order_by("pk").values_list("pk", "correct")
    )
    if len(keys) < course.exam_question_count:
        raise ValidationError(
            _("题库题目不足（需要 %(need)d 题，现有 %(have)d 题），请联系安全管理人员")
            % {"need": course.exam_question_count, "have": len(keys)}
        )
    drawn = (rng or random.SystemRandom()).sample(list(keys), course.exam_question_count)
    return ExamAttempt.objects.create(
        employment=employment,
        worker_id=employment.worker_id,
        course=course,
        question_ids=drawn,
        answer_key={str(qid): sorted(keys[qid]) for qid in drawn},
        started_at=now,
        deadline_at=now + dt.timedelta(minutes=course.exam_time_limit_minutes),
    )


def _close_abandoned(employment: Employment, course: Course, now: dt.datetime) -> None:
    """Attempts left open past their time limit count as failed attempts once a new one is started: seeing
    the questions and walking away must not be free."""
    abandoned = list(
        ExamAttempt.objects.select_for_update().filter(
            employment=employment, course=course, submitted_at__isnull=True, deadline_at__lte=now
        )
    )
    if not abandoned:
        return
    reason = _("超过考试时限未交卷")
    for attempt in abandoned:
        attempt.submitted_at = attempt.deadline_at
        attempt.score = Decimal("0.0")
        attempt.passed = False
        attempt.time_spent_seconds = int((attempt.deadline_at - attempt.started_at).total_seconds())
        attempt.failure_reason = reason
    ExamAttempt.objects.bulk_update(
        abandoned, ["submitted_at", "score", "passed", "time_spent_seconds", "failure_reason"]
    )
    record, created = _record_for(employment.worker, course, employment.project)
    audit = RecordAudit(reason)
    _apply_result(
        record,
        score=Decimal("0.0"),
        passed=False,
        at=now,
        source=RecordSource.ONLINE,
        time_spent=sum(a.time_spent_seconds for a in abandoned),
        attempts=len(abandoned),
        audit=audit,
        created=created,
        project=employment.project,
        company_id=employment.worker.registered_by_company_id,
    )
    audit.flush()


def attempt_key(attempt: ExamAttempt) -> dict[int, list[int]]:
    """The key the attempt is graded against: the one stored when its questions were drawn. (An attempt
    drawn before keys were stored falls back to the questions as they are now; a question since deleted has
    no key and so cannot be answered right.)"""
    drawn = [int(q) for q in attempt.question_ids]
    if attempt.answer_key:
        stored = {int(k): [int(i) for i in v] for k, v in attempt.answer_key.items()}
    else:
        stored = dict(Question.objects.filter(pk__in=drawn).values_list("pk", "correct"))
    return {qid: stored.get(qid, []) for qid in drawn}


def grade(correct: dict[int, list[int]], answers: dict[int, list[int]]) -> Decimal:
    """The percentage of questions answered exactly right (a multiple choice needs every right option and
    no wrong one), to one decimal. A question with no key (one that could not be read) is never right."""
    if not correct:
        return Decimal("0.0")
    right = sum(1 for qid, key in correct.items() if key and sorted(set(answers.get(qid, []))) == sorted(key))
    return (Decimal(100) * right / len(correct)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ExamResult:
    attempt: ExamAttempt
    record: TrainingRecord


@transaction.atomic
def submit_exam(
    *, attempt: ExamAttempt, answers: Mapping[Any, Iterable[Any]], now: dt.datetime | None = None
) -> ExamResult:
    """Grade the questions the attempt drew, no others; after the time limit (plus a short grace) the
    attempt is recorded as failed with the reason."""
    now = now or timezone.now()
    attempt = (
        ExamAttempt.objects.select_for_update().select_related("course", "employment").get(pk=attempt.pk)
    )
    if attempt.submitted_at is not None:
        raise ValidationError(_("本次考试已交卷，不能重复提交"))
    drawn = [int(q) for q in attempt.question_ids]
    clean: dict[int, list[int]] = {}
    for key, value in answers.items():
        try:
            qid = int(key)
            clean[qid] = sorted({int(v) for v in value})
        except (TypeError, ValueError):
            continue
    clean = {qid: value for qid, value in clean.items() if qid in drawn}
    score = grade(attempt_key(attempt), clean)
    late = now > attempt.deadline_at + GRACE
    passed = not late and score >= attempt.course.exam_pass_mark
    attempt.submitted_at = now
    attempt.answers = {str(k): v for k, v in clean.items()}
    attempt.score = score
    attempt.passed = passed
    attempt.time_spent_seconds = max(0, int((now - attempt.started_at).total_seconds()))
    if late:
        attempt.failure_reason = _("超过考试时限（%(minutes)d 分钟）后提交，成绩无效") % {
            "minutes": attempt.course.exam_time_limit_minutes
        }
    elif not passed:
        attempt.failure_reason = _("未达到及格分 %(mark)d 分") % {"mark": attempt.course.exam_pass_mark}
    attempt.save()
    worker = attempt.employment.worker
    record, created = _record_for(worker, attempt.course, attempt.employment.project)
    audit = RecordAudit(_("线上考试：%(score)s 分") % {"score": score})
    record = _apply_result(
        record,
        score=score,
        passed=passed,
        at=now,
        source=RecordSource.ONLINE,
        time_spent=attempt.time_spent_seconds,
        audit=audit,
        created=created,
        project=attempt.employment.project,
        company_id=worker.registered_by_company_id,
    )
    audit.flush()
    return ExamResult(attempt=attempt, record=record)


# --- offline sessions --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendeeResult:
    employment: Employment
    score: Decimal | None
    passed: bool


@transaction.atomic
def record_offline_session(
    *,
    project: Project,
    course: Course,
    held_on: dt.date,
    trainer: str,
    attendees: Sequence[AttendeeResult],
    team: Team | None = None,
    photo: Any = None,
    sign_in_sheet: Any = None,
    recorded_by: User | None = None,
    now: dt.datetime | None = None,
) -> OfflineSession:
    """A training held in person, with its evidence and each attendee's result; a pass counts exactly like
    an online one (the training record, its expiry, the admission recheck)."""
    now = now or timezone.now()
    if not attendees:
        raise ValidationError({"attendees": _("请至少选择一名参训人员")})
    if held_on > timezone.localdate(now):
        raise ValidationError({"held_on": _("培训日期不能晚于今天")})
    if team is not None and team.project_id != project.pk:
        raise ValidationError({"team": _("班组不属于该项目")})
    attendees = [_checked_attendee(a, project, team, course, held_on) for a in attendees]
    photo = check_upload(photo, IMAGE_TYPES, field="photo") if photo else ""
    sheet = check_upload(sign_in_sheet, SCAN_TYPES, field="sign_in_sheet") if sign_in_sheet else ""
    session = create_row(
        OfflineSession,
        project=project,
        team=team,
        course=course,
        held_on=held_on,
        trainer=trainer.strip(),
        photo=photo,
        sign_in_sheet=sheet,
        recorded_by=recorded_by,
    )
    SessionAttendee.objects.bulk_create(
        [
            SessionAttendee(session=session, employment=a.employment, score=a.score, passed=a.passed)
            for a in attendees
        ]
    )
    zone = zoneinfo.ZoneInfo(project.time_zone)  # validated when the project was saved
    passed_at = min(now, dt.datetime.combine(held_on, dt.time(12, 0), tzinfo=zone))
    audit = RecordAudit(
        _("线下培训 %(date)s（%(trainer)s）") % {"date": held_on.isoformat(), "trainer": session.trainer}
    )
    for a in attendees:
        worker = a.employment.worker
        record, created = _record_for(worker, course, project)
        _apply_result(
            record,
            score=a.score,
            passed=a.passed,
            at=passed_at,
            source=RecordSource.OFFLINE,
            session=session,
            time_spent=course.duration_minutes * 60,
            audit=audit,
            created=created,
            project=project,
            company_id=worker.registered_by_company_id,
        )
    audit.flush()
    return session


def _checked_attendee(
    a: AttendeeResult, project: Project, team: Team | None, course: Course, held_on: dt.date
) -> AttendeeResult:
    """An attendee of this project (and team) whose employment was open on the day of the session, with
    ``passed`` agreeing with the score: a score at or above the course's pass mark is a pass, a tick
    against a score below it is refused."""
    employment = a.employment
    name = employment.worker.name
    if employment.project_id != project.pk or (team is not None and employment.team_id != team.pk):
        raise ValidationError({"attendees": _("参训人员须是本项目（本班组）的在场工人")})
    exited = employment.exit_date is not None and held_on > employment.exit_date
    if held_on < employment.entry_date or exited:
        raise ValidationError(
            {
                "attendees": _("%(name)s 在培训日期 %(date)s 不在本项目（进场 %(entry)s%(exit)s），不能登记")
                % {
                    "name": name,
                    "date": held_on.isoformat(),
                    "entry": employment.entry_date.isoformat(),
                    "exit": _("，退场 %(exit)s") % {"exit": employment.exit_date.isoformat()}
                    if employment.exit_date
                    else "",
                }
            }
        )
    if a.score is None:
        return a
    if not (Decimal(0) <= a.score <= Decimal(100)):
        raise ValidationError({"attendees": _("成绩须在 0 到 100 之间")})
    reaches = a.score >= course.exam_pass_mark
    if a.passed and not reaches:
        raise ValidationError(
            {
                "attendees": _("%(name)s 的成绩 %(score)s 分低于及格分 %(mark)d 分，不能登记为合格")
                % {"name": name, "score": a.score, "mark": course.exam_pass_mark}
            }
        )
    return AttendeeResult(employment=employment, score=a.score, passed=reaches)
