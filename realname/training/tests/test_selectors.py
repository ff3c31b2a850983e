"""training_facts: one fact per required course, in a constant number of queries; plans by trade."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from realname.admission.facts import TrainingState
from realname.testing import World, employ, make_worker
from realname.training import services
from realname.training.models import TrainingRecord
from realname.training.selectors import add_months, project_completion, training_facts
from realname.training.tests.conftest import Training
from realname.workers.models import Employment

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def passed(
    worker_id: int, course_id: int, project_id: int | None, at: dt.datetime = NOW, **extra: object
) -> None:
    TrainingRecord.objects.create(
        worker_id=worker_id, course_id=course_id, project_id=project_id, passed_at=at, attempts=1, **extra
    )


def test_every_required_course_gives_one_fact_in_plan_order(world: World, training: Training) -> None:
    employment = Employment.objects.get(worker=world.worker_a)
    facts = training_facts([employment], NOW)[employment.pk]
    assert {f.course_id for f in facts} == {training.company.pk, training.project.pk, training.team.pk}
    assert all(f.state == TrainingState.NOT_PASSED for f in facts)
    assert {f.level for f in facts} == {"company", "project", "team"}


def test_the_states_passed_expired_retake_and_not_passed(world: World, training: Training) -> None:
    employment = Employment.objects.get(worker=world.worker_a)
    wid, pid = world.worker_a.pk, world.p1.pk
    passed(wid, training.company.pk, None, at=NOW - dt.timedelta(days=400))  # 12-month validity: expired
    passed(wid, training.project.pk, pid, retake_marked_at=NOW - dt.timedelta(days=1))
    passed(wid, training.team.pk, pid)
    facts = {f.course_id: f for f in training_facts([employment], NOW)[employment.pk]}
    assert facts[training.company.pk].state == TrainingState.EXPIRED
    assert facts[training.company.pk].expires_at == add_months(NOW - dt.timedelta(days=400), 12)
    assert facts[training.project.pk].state == TrainingState.RETAKE_AFTER_ABSENCE
    assert facts[training.team.pk].state == TrainingState.PASSED
    assert facts[training.team.pk].expires_at is None
    assert facts[training.team.pk].passed_at == NOW
    # Asked about a moment before the pass, the course was not passed yet.
    before = {
        f.course_id: f for f in training_facts([employment], NOW - dt.timedelta(hours=1))[employment.pk]
    }
    assert before[training.team.pk].state == TrainingState.NOT_PASSED


def test_a_project_bound_pass_on_another_project_does_not_count(world: World, training: Training) -> None:
    employment = Employment.objects.get(worker=world.worker_a)
    passed(world.worker_a.pk, training.team.pk, world.p2.pk)
    passed(world.worker_a.pk, training.company.pk, None)
    facts = {f.course_id: f.state for f in training_facts([employment], NOW)[employment.pk]}
    assert facts[training.team.pk] == TrainingState.NOT_PASSED
    assert facts[training.company.pk] == TrainingState.PASSED


def test_employments_no_plan_covers_get_no_facts(world: World, training: Training) -> None:
    other = Employment.objects.get(worker=world.worker_c)
    assert training_facts([other], NOW) == {other.pk: []}
    assert training_facts([], NOW) == {}


def test_a_trade_plan_adds_its_courses_only_for_that_trade(world: World, training: Training) -> None:
    electric = services.create_course(company=world.company_a, title="电工安全", training_type="003004")
    plan = services.create_plan(project=world.p1, name="电工", trade="040")
    services.add_plan_course(plan=plan, course=electric)
    electrician = employ(make_worker(), world.gc_p1, team=world.team_a, trade="040")
    carpenter = Employment.objects.get(worker=world.worker_a)
    facts = training_facts([electrician, carpenter], NOW)
    assert electric.pk in {f.course_id for f in facts[electrician.pk]}
    assert electric.pk not in {f.course_id for f in facts[carpenter.pk]}


def test_the_strictest_validity_wins_when_two_plans_require_a_course(
    world: World, training: Training
) -> None:
    plan = services.create_plan(project=world.p1, name="钢筋工", trade="010")
    services.add_plan_course(plan=plan, course=training.company, validity_months=3)
    employment = Employment.objects.get(worker=world.worker_a)
    passed(world.worker_a.pk, training.company.pk, None)
    (fact,) = [
        f for f in training_facts([employment], NOW)[employment.pk] if f.course_id == training.company.pk
    ]
    assert fact.expires_at == add_months(NOW, 3)


def test_facts_take_the_same_number_of_queries_for_3_or_30_employments(
    world: World, training: Training
) -> None:
    few = list(Employment.objects.filter(project=world.p1))
    for _ in range(30):
        worker = make_worker()
        employ(worker, world.gc_p1, team=world.team_a)
        passed(worker.pk, training.company.pk, None)
    many = list(Employment.objects.filter(project__in=[world.p1, world.p2]))
    with CaptureQueriesContext(connection) as small:
        training_facts(few, NOW)
    with CaptureQueriesContext(connection) as large:
        facts = training_facts(many, NOW)
    assert len(small.captured_queries) == len(large.captured_queries) == 2
    assert sum(1 for fs in facts.values() for f in fs if f.state == TrainingState.PASSED) == 30


def test_completion_counts_employments_with_every_course_passed(world: World, training: Training) -> None:
    wid, pid = world.worker_a.pk, world.p1.pk
    for course in (training.company, training.project, training.team):
        passed(wid, course.pk, None if course == training.company else pid)
    result = project_completion(Employment.objects.filter(project=world.p1), NOW)
    assert (result.project.complete, result.project.total, result.project.rate) == (1, 2, 50.0)
    by_team = {c.label: (c.complete, c.total) for c in result.by_team}
    assert by_team == {world.team_a.name: (1, 1), world.team_b.name: (0, 1)}
    assert [(c.key, c.complete, c.total) for c in result.by_trade] == [("010", 1, 2)]
