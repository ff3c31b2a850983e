"""seed_training: courses, plan and passes for most active employments; a second run changes nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from realname.admission.facts import TrainingState
from realname.testing import World, employ, make_worker
from realname.training.demo import seed_training
from realname.training.models import Course, Lesson, PlanCourse, Question, TrainingPlan, TrainingRecord
from realname.training.selectors import training_facts
from realname.workers.models import Employment

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (Course, Lesson, Question, TrainingPlan, PlanCourse, TrainingRecord)
    )


def test_seeding_is_idempotent_and_leaves_some_workers_without_a_pass(world: World) -> None:
    for _ in range(18):
        employ(make_worker(), world.gc_p1, team=world.team_a)
    seed_training(world.p1, passed_share=0.75)
    first = counts()
    assert first[:5] == (3, 9, 30, 1, 3)
    seed_training(world.p1, passed_share=0.75)
    assert counts() == first
    employments = list(Employment.objects.filter(project=world.p1, status="active"))
    facts = training_facts(employments, timezone.now())
    complete = [pk for pk, fs in facts.items() if all(f.state == TrainingState.PASSED for f in fs)]
    assert len(complete) == round(len(employments) * 0.75) == 15
    assert all(len(fs) == 3 for fs in facts.values())
    assert Course.objects.filter(company=world.company_a, exam_bank__isnull=False).count() == 3
