"""Training pages: managers build courses, banks and plans; a worker learns and takes exams on the phone
pages (their own only); a team leader records offline sessions for their own team; charlie gets 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from realname.accounts.models import ScopeKind, User
from realname.accounts.roles import Role
from realname.testing import PASSWORD, World, employ, make_user, make_worker
from realname.training import services
from realname.training.models import (
    Course,
    ExamAttempt,
    Lesson,
    OfflineSession,
    PlanCourse,
    Question,
    TrainingRecord,
)
from realname.training.tests.conftest import Training
from realname.workers.models import Employment

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def login(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def tina(world: World) -> User:
    """Team leader of 甲钢筋班 (team A)."""
    user = make_user("tina", Role.TEAM_LEADER, ScopeKind.COMPANY, company=world.company_a)
    leader = make_worker("田班长", registered_by_company=world.company_a)
    leader.user = user
    leader.save(update_fields=["user"])
    world.team_a.leader = leader
    world.team_a.save(update_fields=["leader"])
    return user


def job(world: World, name: str = "worker_a") -> Employment:
    return Employment.objects.get(worker=getattr(world, name), project=world.p1)


def test_a_manager_builds_a_course_with_lessons_a_bank_and_a_plan(world: World, training: Training) -> None:
    alice = login(world.alice)
    response = alice.post(
        reverse("training:course_create"),
        {
            "company": str(world.company_a.public_id),
            "title": "临时用电安全",
            "training_type": "003004",
            "level": "",
            "duration_minutes": "45",
            "exam_bank": str(training.bank.public_id),
            "exam_question_count": "5",
            "exam_pass_mark": "80",
            "exam_time_limit_minutes": "15",
        },
    )
    course = Course.objects.get(title="临时用电安全")
    assert response.status_code == 302 and course.company == world.company_a
    response = alice.post(
        reverse("training:lesson_create", args=[course.public_id]),
        {"title": "配电箱", "kind": "image", "file": SimpleUploadedFile("箱.png", PNG)},
    )
    assert response.status_code == 302
    lesson = Lesson.objects.get(course=course)
    served = alice.get(reverse("training:lesson_file", args=[lesson.public_id]))
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")  # type: ignore[attr-defined]
    bad = alice.post(
        reverse("training:lesson_create", args=[course.public_id]),
        {"title": "假图", "kind": "image", "file": SimpleUploadedFile("x.png", b"<script>")},
    )
    assert bad.status_code == 200 and "文件内容与扩展名" in bad.content.decode()
    response = alice.post(
        reverse("training:bank_detail", args=[training.bank.public_id]),
        {"kind": "multiple", "text": "哪些属于劳保用品", "options": "安全帽\n安全带\n拖鞋", "correct": "1,2"},
    )
    assert response.status_code == 302
    assert Question.objects.get(text="哪些属于劳保用品").correct == [0, 1]
    page = alice.get(reverse("training:plan_list", args=[world.p1.public_id]))
    assert "P1 三级安全教育" in page.content.decode()
    response = alice.post(
        reverse("training:plan_list", args=[world.p1.public_id]),
        {
            "form": "item",
            "plan": str(training.plan.public_id),
            "course": str(course.public_id),
            "validity_months": "12",
            "absence_limit_days": "0",
        },
    )
    assert response.status_code == 302
    assert PlanCourse.objects.filter(plan=training.plan, course=course, validity_months=12).exists()
    again = alice.post(
        reverse("training:plan_list", args=[world.p1.public_id]),
        {
            "form": "item",
            "plan": str(training.plan.public_id),
            "course": str(course.public_id),
            "validity_months": "24",
            "absence_limit_days": "0",
        },
    )
    assert again.status_code == 302
    assert PlanCourse.objects.get(plan=training.plan, course=course).validity_months == 24


def test_charlie_sees_none_of_p1s_training(world: World, training: Training, tina: User) -> None:
    session = services.record_offline_session(
        project=world.p1,
        team=world.team_a,
        course=training.team,
        held_on=timezone.localdate(),
        trainer="王安全",
        attendees=[services.AttendeeResult(job(world), None, True)],
    )
    lesson = services.add_lesson(course=training.company, title="正文", body="安全第一")
    charlie = login(world.charlie)
    for url in (
        reverse("training:course_detail", args=[training.company.public_id]),
        reverse("training:lesson_detail", args=[lesson.public_id]),
        reverse("training:plan_list", args=[world.p1.public_id]),
        reverse("training:completion", args=[world.p1.public_id]),
        reverse("training:session_detail", args=[session.public_id]),
        reverse("training:worker_training", args=[world.worker_a.public_id]),
        reverse("training:bank_detail", args=[training.bank.public_id]),
    ):
        assert charlie.get(url).status_code == 404, url
    listed = charlie.get(reverse("training:course_list")).content.decode()
    assert "公司级安全教育" not in listed
    assert charlie.post(reverse("training:lesson_delete", args=[lesson.public_id])).status_code == 404


def test_a_regulator_may_look_but_not_change(world: World, training: Training) -> None:
    reggie = login(world.reggie)
    assert reggie.get(reverse("training:plan_list", args=[world.p1.public_id])).status_code == 200
    item = training.items["team"]
    assert reggie.post(reverse("training:plan_item_delete", args=[item.public_id])).status_code == 403
    assert reggie.get(reverse("training:course_create")).status_code == 403


def test_a_worker_learns_and_passes_an_exam_on_the_phone_pages(world: World, training: Training) -> None:
    services.add_lesson(course=training.company, title="进场须知", body="戴好安全帽")
    wendy = login(world.wendy)
    mine = wendy.get(reverse("training:my_training")).content.decode()
    assert "公司级安全教育" in mine and "未通过" in mine
    employment = job(world)
    course_url = reverse("training:my_course", args=[employment.public_id, training.company.public_id])
    assert "进场须知" in wendy.get(course_url).content.decode()
    started = wendy.post(
        reverse("training:my_exam_start", args=[employment.public_id, training.company.public_id])
    )
    assert started.status_code == 302
    attempt = ExamAttempt.objects.get(worker=world.worker_a)
    page = wendy.get(started["Location"]).content.decode()
    assert "交卷" in page
    answers: dict[str, Any] = {}
    for question in Question.objects.filter(pk__in=attempt.question_ids):
        answers[f"q_{question.pk}"] = [str(i) for i in question.correct]
    assert wendy.post(started["Location"], answers).status_code == 302
    attempt.refresh_from_db()
    assert attempt.passed is True and attempt.score == 100
    result = wendy.get(started["Location"]).content.decode()
    assert "通过" in result
    assert "已通过" in wendy.get(reverse("training:my_training")).content.decode()


def test_a_worker_sees_only_their_own_exams_and_courses(world: World, training: Training) -> None:
    other = services.start_exam(employment=job(world, "worker_b"), course=training.company)
    wendy = login(world.wendy)
    assert wendy.get(reverse("training:my_attempt", args=[other.public_id])).status_code == 404
    b_url = reverse("training:my_course", args=[job(world, "worker_b").public_id, training.company.public_id])
    assert wendy.get(b_url).status_code == 404
    assert (
        wendy.post(
            reverse(
                "training:my_exam_start", args=[job(world, "worker_b").public_id, training.company.public_id]
            )
        ).status_code
        == 404
    )
    assert wendy.get(reverse("training:worker_training", args=[world.worker_b.public_id])).status_code == 404
    assert login(world.alice).get(reverse("training:my_training")).status_code == 403


def test_a_team_leader_records_an_offline_session_for_their_own_team(
    world: World, training: Training, tina: User
) -> None:
    client = login(tina)
    url = reverse("training:session_create")
    start = client.get(url, {"project": str(world.p1.public_id), "team": str(world.team_a.public_id)})
    page = start.content.decode()
    assert world.worker_a.name in page and world.worker_b.name not in page
    a, b = job(world), job(world, "worker_b")
    response = client.post(
        f"{url}?project={world.p1.public_id}&team={world.team_a.public_id}",
        {
            "course": str(training.team.public_id),
            "held_on": timezone.localdate().isoformat(),
            "trainer": "田班长",
            "sign_in_sheet": SimpleUploadedFile("签到.pdf", b"%PDF-1.4 test"),
            f"attend_{a.public_id}": "on",
            f"score_{a.public_id}": "92",
            f"passed_{a.public_id}": "on",
            f"attend_{b.public_id}": "on",  # not in the list shown: ignored
            f"passed_{b.public_id}": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()
    session = OfflineSession.objects.get()
    assert list(session.attendees.values_list("employment_id", flat=True)) == [a.pk]
    assert TrainingRecord.objects.get(worker=world.worker_a, course=training.team).source == "offline"
    assert not TrainingRecord.objects.filter(worker=world.worker_b).exists()
    sheet = client.get(reverse("training:session_file", args=[session.public_id, "sheet"]))
    assert sheet.status_code == 200 and sheet["Content-Type"] == "application/pdf"
    # Without a team the session would be invisible to the team leader: refused.
    refused = client.post(
        f"{url}?project={world.p1.public_id}",
        {
            "course": str(training.team.public_id),
            "held_on": timezone.localdate().isoformat(),
            "trainer": "田班长",
            f"attend_{a.public_id}": "on",
            f"passed_{a.public_id}": "on",
        },
    )
    assert refused.status_code == 200 and "请选择您负责的班组" in refused.content.decode()
    assert OfflineSession.objects.count() == 1


def test_a_team_leader_cannot_see_another_teams_session(world: World, training: Training, tina: User) -> None:
    session = services.record_offline_session(
        project=world.p1,
        team=world.team_b,
        course=training.team,
        held_on=timezone.localdate(),
        trainer="王安全",
        attendees=[services.AttendeeResult(job(world, "worker_b"), None, True)],
    )
    assert login(tina).get(reverse("training:session_detail", args=[session.public_id])).status_code == 404
    assert (
        login(world.bob).get(reverse("training:session_detail", args=[session.public_id])).status_code == 200
    )


def test_the_records_page_shows_state_and_keeps_its_query_count(world: World, training: Training) -> None:
    now = timezone.now()
    TrainingRecord.objects.create(worker=world.worker_a, course=training.company, passed_at=now, attempts=1)
    alice = login(world.alice)
    url = reverse("training:record_list")
    alice.get(url)
    with CaptureQueriesContext(connection) as few:
        assert alice.get(url).status_code == 200
    for _ in range(10):
        worker = make_worker(registered_by_company=world.company_a)
        employ(worker, world.gc_p1, team=world.team_a)
        TrainingRecord.objects.create(
            worker=worker,
            course=training.company,
            passed_at=now - dt.timedelta(days=400),
            expires_at=now - dt.timedelta(days=35),
        )
    with CaptureQueriesContext(connection) as many:
        page = alice.get(url, {"project": str(world.p1.public_id)})
    assert len(many.captured_queries) <= len(few.captured_queries) + 1  # the project filter's lookup
    assert "已过期" in page.content.decode() and "已通过" in page.content.decode()


def test_the_completion_page_and_a_workers_training_page(world: World, training: Training) -> None:
    alice = login(world.alice)
    page = alice.get(reverse("training:completion", args=[world.p1.public_id])).content.decode()
    assert "0.0%" in page and world.team_a.name in page
    worker_page = alice.get(
        reverse("training:worker_training", args=[world.worker_a.public_id])
    ).content.decode()
    assert "班组级安全教育" in worker_page and "未通过" in worker_page


def test_only_project_wide_managers_change_a_projects_plans(world: World, training: Training) -> None:
    """A plan binds every participant's people: B's labour manager may read it, not change it."""
    bob = login(world.bob)
    url = reverse("training:plan_list", args=[world.p1.public_id])
    assert bob.get(url).status_code == 200
    assert bob.post(url, {"form": "plan", "name": "乙的计划"}).status_code == 403
    item = training.items["team"]
    assert bob.post(reverse("training:plan_item_delete", args=[item.public_id])).status_code == 403
    assert PlanCourse.objects.filter(pk=item.pk).exists()
    assert (
        login(world.alice).post(reverse("training:plan_item_delete", args=[item.public_id])).status_code
        == 302
    )
    assert not PlanCourse.objects.filter(pk=item.pk).exists()


def test_every_management_page_renders_for_a_platform_admin(world: World, training: Training) -> None:
    lesson = services.add_lesson(
        course=training.company, title="链接", kind="link", url="https://example.com/a"
    )
    services.add_lesson(course=training.company, title="正文", body="第二课")
    session = services.record_offline_session(
        project=world.p1,
        team=world.team_a,
        course=training.team,
        held_on=timezone.localdate(),
        trainer="王安全",
        attendees=[services.AttendeeResult(job(world), None, True)],
    )
    admin = login(world.admin)
    for url in (
        reverse("training:course_list"),
        reverse("training:course_create"),
        reverse("training:course_detail", args=[training.company.public_id]),
        reverse("training:course_edit", args=[training.company.public_id]),
        reverse("training:lesson_create", args=[training.company.public_id]),
        reverse("training:lesson_detail", args=[lesson.public_id]),
        reverse("training:bank_list"),
        reverse("training:bank_create"),
        reverse("training:bank_detail", args=[training.bank.public_id]),
        reverse("training:plan_list", args=[world.p1.public_id]),
        reverse("training:record_list"),
        reverse("training:completion", args=[world.p1.public_id]),
        reverse("training:session_list"),
        reverse("training:session_create"),
        reverse("training:session_detail", args=[session.public_id]),
    ):
        response = admin.get(url)
        assert response.status_code == 200, url
    link_page = admin.get(reverse("training:lesson_detail", args=[lesson.public_id])).content.decode()
    assert "https://example.com/a" in link_page and "下一课" in link_page
    edit = admin.post(
        reverse("training:course_edit", args=[training.company.public_id]),
        {
            "title": "公司级安全教育（2026版）",
            "training_type": "003001",
            "level": "company",
            "duration_minutes": "90",
            "exam_bank": str(training.bank.public_id),
            "exam_question_count": "6",
            "exam_pass_mark": "70",
            "exam_time_limit_minutes": "25",
        },
    )
    assert edit.status_code == 302
    training.company.refresh_from_db()
    assert (training.company.title, training.company.exam_pass_mark) == ("公司级安全教育（2026版）", 70)
    assert training.company.company == world.company_a, "the owner does not change on edit"


def test_a_worker_sees_a_failed_attempt_with_its_reason(world: World, training: Training) -> None:
    attempt = services.start_exam(employment=job(world), course=training.company)
    services.submit_exam(attempt=attempt, answers={})
    wendy = login(world.wendy)
    page = wendy.get(reverse("training:my_attempt", args=[attempt.public_id])).content.decode()
    assert "未通过" in page and "未达到及格分 60 分" in page
    course_page = wendy.get(
        reverse("training:my_course", args=[job(world).public_id, training.company.public_id])
    ).content.decode()
    assert "考试记录" in course_page and "0.0" in course_page


def test_a_lesson_video_is_served_in_byte_ranges_to_phones(world: World, training: Training) -> None:
    mp4 = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4
    lesson = services.add_lesson(
        course=training.company, title="视频", kind="video", file=SimpleUploadedFile("v.mp4", mp4)
    )
    wendy = login(world.wendy)
    url = reverse("training:lesson_file", args=[lesson.public_id])
    whole = wendy.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    part = wendy.get(url, headers={"Range": "bytes=8-15"})
    assert part.status_code == 206
    assert part.content == mp4[8:16]
    assert part["Content-Range"] == f"bytes 8-15/{len(mp4)}"
    tail = wendy.get(url, headers={"Range": "bytes=-4"})
    assert tail.content == mp4[-4:]
    assert login(world.charlie).get(url, headers={"Range": "bytes=0-3"}).status_code == 404


def test_a_worker_sees_no_offline_session_not_even_of_their_own_team(
    world: World, training: Training, tina: User
) -> None:
    mate = make_worker("赵同事", registered_by_company=world.company_a)
    mate_job = employ(mate, world.gc_p1, team=world.team_a)
    theirs = services.record_offline_session(
        project=world.p1,
        team=world.team_a,
        course=training.team,
        held_on=timezone.localdate(),
        trainer="张三",
        attendees=[services.AttendeeResult(mate_job, Decimal("42.5"), False)],
        sign_in_sheet=SimpleUploadedFile("s.pdf", b"%PDF-1.4 signatures"),
        photo=SimpleUploadedFile("p.png", PNG),
    )
    # Even a session the worker attended shows everyone's scores: their own result is on their records.
    attended = services.record_offline_session(
        project=world.p1,
        team=world.team_a,
        course=training.company,
        held_on=timezone.localdate(),
        trainer="张三",
        attendees=[
            services.AttendeeResult(job(world), Decimal("90"), True),
            services.AttendeeResult(mate_job, Decimal("30"), False),
        ],
    )
    wendy = login(world.wendy)
    for session in (theirs, attended):
        assert wendy.get(reverse("training:session_detail", args=[session.public_id])).status_code == 404
        for which in ("sheet", "photo"):
            url = reverse("training:session_file", args=[session.public_id, which])
            assert wendy.get(url).status_code == 404
    listed = wendy.get(reverse("training:session_list"))
    assert listed.status_code == 200
    page = listed.content.decode()
    assert str(theirs.public_id) not in page and str(attended.public_id) not in page and "42.5" not in page
    assert reverse("training:session_list") not in wendy.get(reverse("training:course_list")).content.decode()
    assert "已通过" in wendy.get(reverse("training:my_training")).content.decode()
    # The people responsible still see them: the team leader, the general contractor, the regulator.
    for user in (tina, world.alice, world.reggie):
        client = login(user)
        assert client.get(reverse("training:session_detail", args=[theirs.public_id])).status_code == 200
        sheet = client.get(reverse("training:session_file", args=[theirs.public_id, "sheet"]))
        assert sheet.status_code == 200


def test_a_tick_against_a_failing_score_comes_back_with_the_form_as_sent(
    world: World, training: Training, tina: User
) -> None:
    client = login(tina)
    url = f"{reverse('training:session_create')}?project={world.p1.public_id}&team={world.team_a.public_id}"
    a = job(world)
    fresh = client.get(url).content.decode()
    assert f'name="passed_{a.public_id}" checked' in fresh
    response = client.post(
        url,
        {
            "course": str(training.team.public_id),
            "held_on": timezone.localdate().isoformat(),
            "trainer": "田班长",
            f"attend_{a.public_id}": "on",
            f"score_{a.public_id}": "40",
            f"passed_{a.public_id}": "on",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "成绩 40 分低于及格分 60 分，不能登记为合格" in page
    assert 'value="40"' in page and f'name="attend_{a.public_id}" checked' in page
    assert not OfflineSession.objects.exists() and not TrainingRecord.objects.exists()
