"""Training API: courses, plans, records, completion, a worker's own requirements; charlie gets 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from realname.accounts.models import User
from realname.accounts.services import create_api_token
from realname.admission.models import Recheck
from realname.testing import World
from realname.training.models import TrainingPlan, TrainingRecord
from realname.training.tests.conftest import Training

pytestmark = pytest.mark.django_db

API = "/api/v1/training"


def api(user: User) -> Client:
    return Client(headers={"Authorization": f"Bearer {create_api_token(user=user).text}"})


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, body, content_type="application/json")


def titles(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["title"] for item in response.json()["items"]}


def test_courses_are_listed_for_their_company_and_hidden_from_charlie(
    world: World, training: Training
) -> None:
    assert titles(api(world.alice).get(f"{API}/courses")) == {
        "公司级安全教育",
        "项目级安全教育",
        "班组级安全教育",
    }
    assert titles(api(world.wendy).get(f"{API}/courses?level=team")) == {"班组级安全教育"}
    assert titles(api(world.charlie).get(f"{API}/courses")) == set()
    assert api(world.charlie).get(f"{API}/courses/{training.team.public_id}").status_code == 404
    body = api(world.alice).get(f"{API}/courses/{training.team.public_id}").json()
    assert body["exam_pass_mark"] == 60 and body["company"]["name"] == world.company_a.name


def test_a_company_admin_creates_a_course_for_their_company(world: World, training: Training) -> None:
    response = post(
        api(world.alice),
        f"{API}/courses",
        {"title": "高处作业", "training_type": "003004", "exam_bank": str(training.bank.public_id)},
    )
    assert response.status_code == 201, response.content
    assert response.json()["company"]["name"] == world.company_a.name
    # Charlie may not use A's bank, and a worker may not create courses at all.
    bad = post(
        api(world.charlie),
        f"{API}/courses",
        {"title": "x", "training_type": "003004", "exam_bank": str(training.bank.public_id)},
    )
    assert bad.status_code == 422
    assert (
        post(api(world.wendy), f"{API}/courses", {"title": "x", "training_type": "003004"}).status_code == 403
    )
    wrong = post(api(world.alice), f"{API}/courses", {"title": "x", "training_type": "999999"})
    assert wrong.status_code == 422


def test_plans_are_created_with_their_courses_and_queue_a_recheck(world: World, training: Training) -> None:
    Recheck.objects.all().delete()
    response = post(
        api(world.alice),
        f"{API}/plans",
        {
            "project": "P1",
            "name": "砌筑工专项",
            "trade": "010",
            "items": [
                {"course": str(training.project.public_id), "validity_months": 24, "absence_limit_days": 60}
            ],
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["items"][0]["validity_months"] == 24
    assert set(Recheck.objects.values_list("worker_id", flat=True)) == {world.worker_a.pk, world.worker_b.pk}
    listed = api(world.alice).get(f"{API}/plans?project=P1").json()["items"]
    assert {p["name"] for p in listed} == {"P1 三级安全教育", "砌筑工专项"}
    assert api(world.charlie).get(f"{API}/plans?project=P1").json()["items"] == []
    refused = post(api(world.charlie), f"{API}/plans", {"project": "P1", "name": "x"})
    assert refused.status_code == 422
    assert TrainingPlan.objects.filter(name="x").count() == 0


def test_records_are_filtered_by_project_and_worker_and_scoped(world: World, training: Training) -> None:
    now = timezone.now()
    TrainingRecord.objects.create(worker=world.worker_a, course=training.company, passed_at=now, attempts=1)
    TrainingRecord.objects.create(
        worker=world.worker_b, course=training.team, project=world.p1, passed_at=now
    )
    TrainingRecord.objects.create(
        worker=world.worker_c, course=training.team, project=world.p2, passed_at=now
    )
    alice = api(world.alice)
    assert len(alice.get(f"{API}/records?project=P1").json()["items"]) == 2
    only_a = alice.get(f"{API}/records?worker={world.worker_a.public_id}").json()["items"]
    assert [r["course"]["title"] for r in only_a] == ["公司级安全教育"]
    assert len(api(world.bob).get(f"{API}/records").json()["items"]) == 1  # bob: subcontractor B's people
    assert len(api(world.wendy).get(f"{API}/records").json()["items"]) == 1
    assert api(world.charlie).get(f"{API}/records?project=P1").json()["items"] == []
    assert {r["project"]["code"] for r in api(world.charlie).get(f"{API}/records").json()["items"]} == {"P2"}


def test_completion_per_team_and_trade(world: World, training: Training) -> None:
    now = timezone.now()
    for course in (training.company, training.project, training.team):
        TrainingRecord.objects.create(
            worker=world.worker_a,
            course=course,
            project=None if course == training.company else world.p1,
            passed_at=now,
        )
    body = api(world.alice).get(f"{API}/projects/P1/completion").json()
    assert (body["complete"], body["total"], body["rate"]) == (1, 2, 50.0)
    assert {t["label"]: t["rate"] for t in body["by_team"]} == {"甲钢筋班": 100.0, "乙木工班": 0.0}
    assert api(world.charlie).get(f"{API}/projects/P1/completion").status_code == 404


def test_a_worker_sees_their_own_requirements(world: World, training: Training) -> None:
    rows = api(world.wendy).get(f"{API}/me/requirements").json()
    assert {r["title"] for r in rows} == {"公司级安全教育", "项目级安全教育", "班组级安全教育"}
    assert {r["state"] for r in rows} == {"not_passed"}
    assert api(world.alice).get(f"{API}/me/requirements").status_code == 403


def test_a_subcontractor_cannot_create_a_plan_on_the_project(world: World, training: Training) -> None:
    refused = post(api(world.bob), f"{API}/plans", {"project": "P1", "name": "乙的计划"})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "project"]


def test_completion_takes_the_same_number_of_queries_for_more_workers(
    world: World, training: Training
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from realname.testing import employ, make_worker

    alice = api(world.alice)
    url = f"{API}/projects/P1/completion"
    alice.get(url)
    with CaptureQueriesContext(connection) as few:
        alice.get(url)
    for _ in range(12):
        employ(make_worker(), world.gc_p1, team=world.team_a)
    with CaptureQueriesContext(connection) as many:
        body = alice.get(url).json()
    assert body["total"] == 14
    assert len(many.captured_queries) == len(few.captured_queries)
