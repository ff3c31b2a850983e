"""Training pages: courses, lessons, question banks (Perm.TRAINING_MANAGE), plans per project, records,
completion rates, offline sessions (Perm.TRAINING_RECORD) and the worker's own phone pages
(Perm.TRAINING_TAKE).

Rows are read through the scoped selectors / accounts.scope.restrict: out of scope is a 404. Writes go
through training.services, whose ValidationErrors come back onto the form.
"""

from __future__ import annotations

import os
import re
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count, Prefetch, Q
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from realname.accounts.roles import Perm
from realname.accounts.scope import has_perm, is_platform, restrict
from realname.core.forms import add_service_errors
from realname.core.pages import paginate, query_without_page, require, scoped_get, stored_file_response
from realname.orgs.models import Project, Team
from realname.training import selectors, services
from realname.training.forms import (
    BankForm,
    CourseForm,
    LessonForm,
    PlanCourseForm,
    PlanForm,
    QuestionForm,
    RecordFilterForm,
    SessionForm,
    SessionStartForm,
)
from realname.training.models import (
    Course,
    ExamAttempt,
    Lesson,
    OfflineSession,
    PlanCourse,
    Question,
    SessionAttendee,
    TrainingPlan,
)
from realname.workers.models import Employment, EmploymentStatus, Worker


def _get(qs: models.QuerySet[Any], public_id: Any) -> Any:
    """A row of an already scoped queryset by public id; 404 otherwise."""
    obj = qs.filter(public_id=public_id).first()
    if obj is None:
        raise Http404
    return obj


def _file_response(stored: FieldFile, download_name: str) -> FileResponse:
    return stored_file_response(stored, download_name, services.CONTENT_TYPES)


# --- courses and lessons -----------------------------------------------------------------------------------


@login_required
def course_list(request: HttpRequest) -> HttpResponse:
    require(request, Perm.TRAINING_VIEW)
    courses = (
        selectors.visible_courses(request.user)
        .annotate(lesson_count=Count("lessons"))
        .order_by("title", "id")
    )
    return render(
        request,
        "training/course_list.html",
        {
            "page_obj": paginate(request, courses),
            "may_manage": has_perm(request.user, Perm.TRAINING_MANAGE),
            "may_record": has_perm(request.user, Perm.TRAINING_RECORD),
            "may_take": has_perm(request.user, Perm.TRAINING_TAKE),
            "may_see_sessions": selectors.visible_sessions(request.user).exists()
            or has_perm(request.user, Perm.TRAINING_RECORD),
            "projects": restrict(Project.objects.all(), request.user, Perm.TRAINING_VIEW).order_by("code")[
                :50
            ],
        },
    )


def _course_form(request: HttpRequest, data: Any = None, initial: dict[str, Any] | None = None) -> CourseForm:
    return CourseForm(
        data,
        initial=initial,
        companies=selectors.owner_companies(request.user),
        banks=selectors.manageable_banks(request.user).order_by("title"),
        platform=is_platform(request.user, Perm.TRAINING_MANAGE),
    )


def _managed_course(request: HttpRequest, public_id: UUID) -> Course:
    """The course if the user may change it; 403 if they may only see it, 404 if not even that."""
    course: Course = _get(selectors.visible_courses(request.user), public_id)
    if not selectors.manageable_courses(request.user).filter(pk=course.pk).exists():
        raise PermissionDenied
    return course


@login_required
def course_create(request: HttpRequest) -> HttpResponse:
    require(request, Perm.TRAINING_MANAGE)
    form = _course_form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        company = data.pop("company")
        try:
            course = services.create_course(company=company, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("课程已创建"))
            return redirect("training:course_detail", course.public_id)
    return render(request, "training/form.html", {"form": form, "title": gettext("新建课程")})


@login_required
def course_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    course = _get(selectors.visible_courses(request.user), public_id)
    may_manage = selectors.manageable_courses(request.user).filter(pk=course.pk).exists()
    return render(
        request,
        "training/course_detail.html",
        {
            "course": course,
            "lessons": course.lessons.all(),
            "may_manage": may_manage,
            "question_total": course.exam_bank.questions.count() if course.exam_bank else 0,
        },
    )


@login_required
def course_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    course = _managed_course(request, public_id)
    initial = {name: getattr(course, name) for name in services.COURSE_FIELDS}
    initial["company"] = course.company
    form = _course_form(request, request.POST or None, initial=initial)
    form.fields["company"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in services.COURSE_FIELDS}
        try:
            services.update_course(course=course, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("课程已保存"))
            return redirect("training:course_detail", course.public_id)
    return render(
        request, "training/form.html", {"form": form, "title": gettext("编辑课程"), "object": course}
    )


@login_required
def lesson_create(request: HttpRequest, public_id: UUID) -> HttpResponse:
    course = _managed_course(request, public_id)
    form = LessonForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_lesson(course=course, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("课时已添加"))
            return redirect("training:course_detail", course.public_id)
    return render(
        request,
        "training/form.html",
        {
            "form": form,
            "title": gettext("添加课时：%(course)s") % {"course": course.title},
            "multipart": True,
        },
    )


@require_POST
@login_required
def lesson_delete(request: HttpRequest, public_id: UUID) -> HttpResponse:
    lesson = _get(Lesson.objects.filter(course__in=selectors.visible_courses(request.user)), public_id)
    _managed_course(request, lesson.course.public_id)
    with transaction.atomic():
        services.delete_lesson(lesson=lesson)
    messages.success(request, gettext("课时已删除"))
    return redirect("training:course_detail", lesson.course.public_id)


@login_required
def lesson_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    require(request, Perm.TRAINING_VIEW)
    lesson = _get(Lesson.objects.filter(course__in=selectors.visible_courses(request.user)), public_id)
    siblings = list(lesson.course.lessons.values_list("public_id", flat=True))
    index = siblings.index(lesson.public_id)
    return render(
        request,
        "training/lesson_detail.html",
        {
            "lesson": lesson,
            "course": lesson.course,
            "previous": siblings[index - 1] if index > 0 else None,
            "next": siblings[index + 1] if index + 1 < len(siblings) else None,
            "number": index + 1,
            "total": len(siblings),
            "back": request.GET.get("back", ""),
        },
    )


@login_required
def lesson_file(request: HttpRequest, public_id: UUID) -> HttpResponse | FileResponse:
    require(request, Perm.TRAINING_VIEW)
    lesson = _get(Lesson.objects.filter(course__in=selectors.visible_courses(request.user)), public_id)
    if not lesson.file:
        raise Http404
    wanted = _byte_range(request.headers.get("Range", ""), lesson.file.size)
    if wanted is None:
        whole = _file_response(lesson.file, f"lesson-{lesson.public_id}")
        whole["Accept-Ranges"] = "bytes"
        return whole
    return _partial(lesson.file, wanted)


_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
_MAX_CHUNK = 4 * 1024 * 1024


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The (first, last) bytes of a single ``Range: bytes=a-b`` request (phones' video players seek with
    it; iOS will not play a video served without it); None for no or an unusable header."""
    match = _RANGE.match(header.strip())
    if match is None or size <= 0 or not (match.group(1) or match.group(2)):
        return None
    if match.group(1):
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) else size - 1
    else:  # the last N bytes
        first, last = max(0, size - int(match.group(2))), size - 1
    last = min(last, size - 1, first + _MAX_CHUNK - 1)
    if first > last:
        return None
    return first, last


def _partial(stored: FieldFile, wanted: tuple[int, int]) -> HttpResponse:
    extension = os.path.basename(stored.name or "").rsplit(".", 1)[-1].lower()
    if extension not in services.CONTENT_TYPES:
        raise Http404
    first, last = wanted
    try:
        with stored.open("rb") as handle:
            handle.seek(first)
            body = handle.read(last - first + 1)
    except FileNotFoundError:
        raise Http404 from None
    response = HttpResponse(body, status=206, content_type=services.CONTENT_TYPES[extension])
    response["Content-Range"] = f"bytes {first}-{first + len(body) - 1}/{stored.size}"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, no-store"
    return response


# --- question banks ----------------------------------------------------------------------------------------


@login_required
def bank_list(request: HttpRequest) -> HttpResponse:
    require(request, Perm.TRAINING_MANAGE)
    banks = (
        selectors.manageable_banks(request.user).annotate(question_count=Count("questions")).order_by("title")
    )
    return render(request, "training/bank_list.html", {"page_obj": paginate(request, banks)})


@login_required
def bank_create(request: HttpRequest) -> HttpResponse:
    require(request, Perm.TRAINING_MANAGE)
    form = BankForm(
        request.POST or None,
        companies=selectors.owner_companies(request.user),
        platform=is_platform(request.user, Perm.TRAINING_MANAGE),
    )
    if request.method == "POST" and form.is_valid():
        try:
            bank = services.create_bank(**form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("training:bank_detail", bank.public_id)
    return render(request, "training/form.html", {"form": form, "title": gettext("新建题库")})


@login_required
def bank_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    require(request, Perm.TRAINING_MANAGE)
    bank = _get(selectors.manageable_banks(request.user), public_id)
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.add_question(
                bank=bank,
                kind=data["kind"],
                text=data["text"],
                options=form.option_list(),
                correct=data["correct"],
                explanation=data["explanation"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("试题已添加"))
            return redirect("training:bank_detail", bank.public_id)
    return render(
        request,
        "training/bank_detail.html",
        {"bank": bank, "questions": bank.questions.all(), "form": form},
    )


@require_POST
@login_required
def question_delete(request: HttpRequest, public_id: UUID) -> HttpResponse:
    require(request, Perm.TRAINING_MANAGE)
    question = _get(Question.objects.filter(bank__in=selectors.manageable_banks(request.user)), public_id)
    with transaction.atomic():
        services.delete_question(question=question)
    messages.success(request, gettext("试题已删除"))
    return redirect("training:bank_detail", question.bank.public_id)


# --- plans -------------------------------------------------------------------------------------------------


@login_required
def plan_list(request: HttpRequest, public_id: UUID) -> HttpResponse:
    require(request, Perm.TRAINING_VIEW)
    project = scoped_get(request, Project.objects.all(), Perm.TRAINING_VIEW, public_id)
    may_manage = selectors.plan_projects(request.user).filter(pk=project.pk).exists()
    courses = selectors.visible_courses(request.user, Perm.TRAINING_MANAGE).order_by("title")
    plan_form = PlanForm(request.POST if request.POST.get("form") == "plan" else None)
    item_form = PlanCourseForm(request.POST if request.POST.get("form") == "item" else None, courses=courses)
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied
        try:
            if request.POST.get("form") == "plan" and plan_form.is_valid():
                services.create_plan(project=project, **plan_form.cleaned_data)
                messages.success(request, gettext("培训计划已创建"))
                return redirect("training:plan_list", project.public_id)
            if request.POST.get("form") == "item" and item_form.is_valid():
                plan = _get(TrainingPlan.objects.filter(project=project), request.POST.get("plan"))
                data = dict(item_form.cleaned_data)
                existing = plan.items.filter(course=data["course"]).first()
                if existing is None:
                    services.add_plan_course(plan=plan, **data)
                    messages.success(request, gettext("课程已加入计划"))
                else:  # the same course again: its rules are changed
                    data.pop("course")
                    services.update_plan_course(item=existing, **data)
                    messages.success(request, gettext("计划课程的有效期与重训规则已更新"))
                return redirect("training:plan_list", project.public_id)
        except ValidationError as exc:
            add_service_errors(item_form if request.POST.get("form") == "item" else plan_form, exc)
    items = PlanCourse.objects.select_related("course").order_by("id")
    plans = TrainingPlan.objects.filter(project=project).prefetch_related(Prefetch("items", queryset=items))
    return render(
        request,
        "training/plan_list.html",
        {
            "project": project,
            "plans": plans,
            "may_manage": may_manage,
            "plan_form": plan_form,
            "item_form": item_form,
        },
    )


@require_POST
@login_required
def plan_item_delete(request: HttpRequest, public_id: UUID) -> HttpResponse:
    item = scoped_get(
        request, PlanCourse.objects.select_related("plan__project"), Perm.TRAINING_VIEW, public_id
    )
    if not selectors.plan_projects(request.user).filter(pk=item.plan.project_id).exists():
        raise PermissionDenied
    with transaction.atomic():
        services.remove_plan_course(item=item)
    messages.success(request, gettext("已从计划中移除"))
    return redirect("training:plan_list", item.plan.project.public_id)


@require_POST
@login_required
def plan_delete(request: HttpRequest, public_id: UUID) -> HttpResponse:
    plan = scoped_get(request, TrainingPlan.objects.select_related("project"), Perm.TRAINING_VIEW, public_id)
    if not selectors.plan_projects(request.user).filter(pk=plan.project_id).exists():
        raise PermissionDenied
    with transaction.atomic():
        services.delete_plan(plan=plan)
    messages.success(request, gettext("培训计划已删除"))
    return redirect("training:plan_list", plan.project.public_id)


# --- records and completion --------------------------------------------------------------------------------


@never_cache
@login_required
def record_list(request: HttpRequest) -> HttpResponse:
    require(request, Perm.TRAINING_VIEW)
    projects = restrict(Project.objects.all(), request.user, Perm.TRAINING_VIEW).order_by("code")
    courses = selectors.visible_courses(request.user).order_by("title")
    form = RecordFilterForm(request.GET, projects=projects, courses=courses)
    qs = selectors.visible_records(request.user).order_by("-passed_at", "worker__name", "id")
    if project := form.value("project"):
        qs = selectors.records_for_project(qs, project.code)
    if course := form.value("course"):
        qs = qs.filter(course=course)
    if name := form.value("q"):
        qs = qs.filter(worker__name__icontains=name.strip())
    passed = form.value("passed")
    if passed == "yes":
        qs = qs.filter(passed_at__isnull=False, retake_marked_at__isnull=True)
    elif passed == "no":
        qs = qs.filter(passed_at__isnull=True)
    elif passed == "retake":
        qs = qs.filter(retake_marked_at__isnull=False)
    return render(
        request,
        "training/record_list.html",
        {
            "page_obj": paginate(request, qs),
            "form": form,
            "query": query_without_page(request),
            "now": timezone.now(),
        },
    )


@login_required
def completion(request: HttpRequest, public_id: UUID) -> HttpResponse:
    require(request, Perm.TRAINING_VIEW)
    project = scoped_get(request, Project.objects.all(), Perm.TRAINING_VIEW, public_id)
    employments = restrict(Employment.objects.filter(project=project), request.user, Perm.TRAINING_VIEW)
    result = selectors.project_completion(employments, timezone.now())
    return render(request, "training/completion.html", {"project": project, "result": result})


@login_required
def worker_training(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """One worker's required courses (per active employment the user may see) and records."""
    require(request, Perm.TRAINING_VIEW)
    worker = scoped_get(request, Worker.objects.all(), Perm.TRAINING_VIEW, public_id)
    employments = list(
        restrict(
            Employment.objects.filter(worker=worker, status=EmploymentStatus.ACTIVE).select_related(
                "project", "team"
            ),
            request.user,
            Perm.TRAINING_VIEW,
        )
    )
    rows = selectors.requirement_rows(employments, timezone.now())
    records = selectors.visible_records(request.user).filter(worker=worker).order_by("-passed_at", "id")
    return render(request, "training/worker.html", {"worker": worker, "rows": rows, "records": records})


# --- offline sessions --------------------------------------------------------------------------------------


@login_required
def session_list(request: HttpRequest) -> HttpResponse:
    require(request, Perm.TRAINING_VIEW)
    sessions = (
        selectors.visible_sessions(request.user)
        .select_related("project", "team", "course")
        .annotate(
            attendee_count=Count("attendees"),
            passed_count=Count("attendees", filter=Q(attendees__passed=True)),
        )
        .order_by("-held_on", "-id")
    )
    return render(
        request,
        "training/session_list.html",
        {"page_obj": paginate(request, sessions), "may_record": has_perm(request.user, Perm.TRAINING_RECORD)},
    )


def _attendee_results(request: HttpRequest, employments: list[Employment]) -> list[services.AttendeeResult]:
    results = []
    for e in employments:
        key = str(e.public_id)
        if request.POST.get(f"attend_{key}") != "on":
            continue
        raw = request.POST.get(f"score_{key}", "").strip()
        try:
            score = Decimal(raw) if raw else None
        except InvalidOperation:
            raise ValidationError({"attendees": gettext("成绩须是数字")}) from None
        results.append(services.AttendeeResult(e, score, request.POST.get(f"passed_{key}") == "on"))
    return results


def _attendee_rows(request: HttpRequest, employments: list[Employment]) -> list[dict[str, Any]]:
    """Each person on the form with what was entered for them (a refused form comes back as it was sent;
    a new one has 合格 ticked)."""
    posted = request.method == "POST"
    rows = []
    for e in employments:
        key = str(e.public_id)
        rows.append(
            {
                "employment": e,
                "attend": request.POST.get(f"attend_{key}") == "on",
                "score": request.POST.get(f"score_{key}", "").strip(),
                "passed": request.POST.get(f"passed_{key}") == "on" if posted else True,
            }
        )
    return rows


@login_required
def session_create(request: HttpRequest) -> HttpResponse:
    require(request, Perm.TRAINING_RECORD)
    projects = restrict(Project.objects.all(), request.user, Perm.TRAINING_RECORD).order_by("code")
    teams = restrict(Team.objects.select_related("project"), request.user, Perm.TRAINING_RECORD).order_by(
        "name"
    )
    start = SessionStartForm(request.GET or None, projects=projects, teams=teams)
    if not start.is_bound:
        return render(request, "training/session_start.html", {"form": start})
    project, team = start.value("project"), start.value("team")
    if project is None or (team is not None and team.project_id != project.pk):
        return render(request, "training/session_start.html", {"form": start})
    employments_qs = restrict(
        Employment.objects.filter(project=project, status=EmploymentStatus.ACTIVE).select_related(
            "worker", "team"
        ),
        request.user,
        Perm.TRAINING_RECORD,
    ).order_by("team__name", "worker__name", "id")
    if team is not None:
        employments_qs = employments_qs.filter(team=team)
    employments = list(employments_qs)
    courses = selectors.visible_courses(request.user, Perm.TRAINING_RECORD).order_by("title")
    form = SessionForm(request.POST or None, request.FILES or None, courses=courses)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                session = services.record_offline_session(
                    project=project,
                    team=team,
                    attendees=_attendee_results(request, employments),
                    recorded_by=request.user if request.user.is_authenticated else None,
                    **form.cleaned_data,
                )
                # A team leader records for their own team: a session they could not see is refused.
                if not restrict(
                    OfflineSession.objects.filter(pk=session.pk), request.user, Perm.TRAINING_RECORD
                ).exists():
                    raise ValidationError({"team": gettext("请选择您负责的班组")})
        except ValidationError as exc:
            add_service_errors(form, exc, rename={"attendees": "__all__", "team": "__all__"})
        else:
            messages.success(request, gettext("线下培训已登记"))
            return redirect("training:session_detail", session.public_id)
    return render(
        request,
        "training/session_form.html",
        {
            "form": form,
            "project": project,
            "team": team,
            "rows": _attendee_rows(request, employments),
        },
    )


@login_required
def session_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    sessions = selectors.visible_sessions(request.user).select_related("project", "team", "course")
    session = _get(sessions, public_id)
    attendees = SessionAttendee.objects.filter(session=session).select_related(
        "employment__worker", "employment__team"
    )
    return render(request, "training/session_detail.html", {"session": session, "attendees": attendees})


@login_required
def session_file(request: HttpRequest, public_id: UUID, which: str) -> FileResponse:
    session = _get(selectors.visible_sessions(request.user), public_id)
    stored = {"photo": session.photo, "sheet": session.sign_in_sheet}.get(which)
    if not stored:
        raise Http404
    return _file_response(stored, f"session-{which}-{session.public_id}")


# --- the worker's own phone pages --------------------------------------------------------------------------


@never_cache
@login_required
def my_training(request: HttpRequest) -> HttpResponse:
    require(request, Perm.TRAINING_TAKE)
    employments = selectors.own_active_employments(request.user)
    rows = selectors.requirement_rows(employments, timezone.now())
    return render(request, "training/me.html", {"rows": rows, "employments": employments})


def _own_employment(request: HttpRequest, public_id: UUID) -> Employment:
    require(request, Perm.TRAINING_TAKE)
    for employment in selectors.own_active_employments(request.user):
        if employment.public_id == public_id:
            return employment
    raise Http404


def _own_course(request: HttpRequest, employment: Employment, course_id: UUID) -> Course:
    course = Course.objects.filter(public_id=course_id).select_related("exam_bank").first()
    if course is None or course.pk not in services.required_course_ids(employment):
        raise Http404
    return course


@never_cache
@login_required
def my_course(request: HttpRequest, employment_id: UUID, course_id: UUID) -> HttpResponse:
    employment = _own_employment(request, employment_id)
    course = _own_course(request, employment, course_id)
    rows = [
        r for r in selectors.requirement_rows([employment], timezone.now()) if r.fact.course_id == course.pk
    ]
    attempts = ExamAttempt.objects.filter(employment=employment, course=course).order_by("-started_at")[:10]
    return render(
        request,
        "training/me_course.html",
        {
            "employment": employment,
            "course": course,
            "lessons": course.lessons.all(),
            "fact": rows[0].fact if rows else None,
            "attempts": attempts,
            "back": reverse("training:my_course", args=[employment.public_id, course.public_id]),
        },
    )


@require_POST
@login_required
def my_exam_start(request: HttpRequest, employment_id: UUID, course_id: UUID) -> HttpResponse:
    employment = _own_employment(request, employment_id)
    course = _own_course(request, employment, course_id)
    try:
        attempt = services.start_exam(employment=employment, course=course)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("training:my_course", employment.public_id, course.public_id)
    return redirect("training:my_attempt", attempt.public_id)


@never_cache
@login_required
def my_attempt(request: HttpRequest, public_id: UUID) -> HttpResponse:
    require(request, Perm.TRAINING_TAKE)
    attempt = _get(
        selectors.own_attempts(request.user).select_related("course", "employment"),
        public_id,
    )
    if request.method == "POST" and attempt.submitted_at is None:
        answers = {key[2:]: request.POST.getlist(key) for key in request.POST if key.startswith("q_")}
        try:
            services.submit_exam(attempt=attempt, answers=answers)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return redirect("training:my_attempt", attempt.public_id)
    by_id = Question.objects.in_bulk([int(q) for q in attempt.question_ids])
    key = services.attempt_key(attempt)
    questions = []
    for number, qid in enumerate(attempt.question_ids, start=1):
        question = by_id.get(int(qid))
        if question is None:
            continue
        chosen = attempt.answers.get(str(question.pk), [])
        questions.append(
            {
                "number": number,
                "question": question,
                "options": [
                    {"index": i, "text": text, "chosen": i in chosen, "right": i in key[question.pk]}
                    for i, text in enumerate(question.options)
                ],
                "correct": bool(key[question.pk]) and sorted(set(chosen)) == key[question.pk],
            }
        )
    return render(
        request,
        "training/me_attempt.html",
        {
            "attempt": attempt,
            "course": attempt.course,
            "questions": questions,
            "done": attempt.submitted_at is not None,
            "seconds_left": max(0, int((attempt.deadline_at - timezone.now()).total_seconds())),
        },
    )
