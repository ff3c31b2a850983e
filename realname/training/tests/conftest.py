"""Training fixtures: a course per level of 三级安全教育 with a bank, and a plan on P1."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from realname.testing import World
from realname.training import services
from realname.training.models import Course, PlanCourse, QuestionBank, QuestionKind, TrainingPlan


@dataclass
class Training:
    bank: QuestionBank
    company: Course
    project: Course
    team: Course
    plan: TrainingPlan
    items: dict[str, PlanCourse]


def make_bank(company: object, size: int = 12) -> QuestionBank:
    bank = services.create_bank(company=company, title="安全题库")  # type: ignore[arg-type]
    for i in range(size):
        if i % 3 == 0:
            services.add_question(
                bank=bank, kind=QuestionKind.SINGLE, text=f"单选{i}", options=["甲", "乙", "丙"], correct=[1]
            )
        elif i % 3 == 1:
            services.add_question(
                bank=bank,
                kind=QuestionKind.MULTIPLE,
                text=f"多选{i}",
                options=["甲", "乙", "丙", "丁"],
                correct=[0, 2],
            )
        else:
            services.add_question(
                bank=bank, kind=QuestionKind.TRUE_FALSE, text=f"判断{i}", options=[], correct=[0]
            )
    return bank


@pytest.fixture
def training(world: World) -> Training:
    bank = make_bank(world.company_a)
    courses = {
        level: services.create_course(
            company=world.company_a,
            title=title,
            training_type="003001",
            level=level,
            duration_minutes=60,
            exam_bank=bank,
            exam_question_count=5,
            exam_pass_mark=60,
            exam_time_limit_minutes=20,
        )
        for level, title in (
            ("company", "公司级安全教育"),
            ("project", "项目级安全教育"),
            ("team", "班组级安全教育"),
        )
    }
    plan = services.create_plan(project=world.p1, name="P1 三级安全教育")
    items = {
        "company": services.add_plan_course(plan=plan, course=courses["company"], validity_months=12),
        "project": services.add_plan_course(
            plan=plan, course=courses["project"], validity_months=0, absence_limit_days=30
        ),
        "team": services.add_plan_course(plan=plan, course=courses["team"]),
    }
    return Training(bank, courses["company"], courses["project"], courses["team"], plan, items)


@pytest.fixture
def rng() -> random.Random:
    return random.Random(7)
