"""Demo training for a project: 三级安全教育 (a company-, project- and team-level course of the general
contractor, each with a few text lessons and a 10-question bank), a plan on the project, and passes for most
of its active employments — some left without, so the demo shows refusals at the gate.

Idempotent: courses, banks and the plan are found by their names, questions are added to an empty bank
only, and a pass is written only where the worker has no record of that course yet.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, When
from django.utils import timezone

from realname.admission.changes import inputs_changed
from realname.orgs.models import GENERAL_CONTRACTOR, Company, Participant, Project
from realname.training import services
from realname.training.models import (
    Course,
    Level,
    PlanCourse,
    QuestionBank,
    QuestionKind,
    RecordSource,
    TrainingPlan,
    TrainingRecord,
)
from realname.training.selectors import add_months, record_project_id
from realname.workers.models import Employment, EmploymentStatus

PLAN_NAME = "三级安全教育（全体工种）"
T, F = 0, 1  # true/false answers: option 0 = 正确, 1 = 错误

# level → (title, validity months, absence limit days, lessons, questions)
# A question: (kind, text, options, correct indexes, explanation).
CONTENT: dict[
    str, tuple[str, int, int, list[tuple[str, str]], list[tuple[str, str, list[str], list[int], str]]]
] = {
    Level.COMPANY: (
        "公司级安全教育",
        12,
        0,
        [
            (
                "安全生产方针",
                "安全第一、预防为主、综合治理。每一名进场工人都必须经过三级安全教育，考试合格后方可上岗。",
            ),
            (
                "从业人员的权利和义务",
                "从业人员有权了解作业场所的危险因素和防范措施，有权拒绝违章指挥和强令冒险作业；"
                "同时应当遵守安全生产规章制度，正确佩戴和使用劳动防护用品。",
            ),
            (
                "事故报告",
                "发生事故或发现险情，应立即停止作业、撤离到安全地点，并马上报告班组长或现场安全员。",
            ),
        ],
        [
            (
                "single",
                "我国的安全生产方针是？",
                ["安全第一、预防为主、综合治理", "质量第一、进度优先", "效益优先"],
                [0],
                "《安全生产法》第三条。",
            ),
            ("true_false", "工人有权拒绝违章指挥和强令冒险作业。", [], [T], "这是从业人员的法定权利。"),
            ("true_false", "未经三级安全教育考试合格的工人可以先上岗再补培训。", [], [F], "先培训后上岗。"),
            ("single", "发现险情时首先应当？", ["继续作业", "停止作业并报告", "自行处理后不报告"], [1], ""),
            (
                "multiple",
                "以下哪些属于劳动防护用品？",
                ["安全帽", "安全带", "拖鞋", "防护眼镜"],
                [0, 1, 3],
                "拖鞋不得进入施工现场。",
            ),
            ("true_false", "酒后可以进入施工现场作业。", [], [F], "严禁酒后作业。"),
            ("single", "安全帽的下颏带应当？", ["系紧", "挂在帽檐上", "取下"], [0], ""),
            ("multiple", "发生事故后应当？", ["立即报告", "保护现场", "隐瞒不报", "抢救伤员"], [0, 1, 3], ""),
            ("true_false", "特种作业人员必须持证上岗。", [], [T], ""),
            (
                "single",
                "施工现场的安全警示标志可以？",
                ["随意移动", "擅自拆除", "不得损坏和擅自拆除"],
                [2],
                "",
            ),
        ],
    ),
    Level.PROJECT: (
        "项目级安全教育",
        0,
        30,
        [
            (
                "项目概况与危险源",
                "本项目为房屋建筑工程，主要危险源：高处坠落、物体打击、触电、机械伤害、坍塌。",
            ),
            (
                "现场安全规定",
                "进入现场必须戴安全帽、穿工作鞋；通过实名制闸机刷卡进出；禁止在吊装区域下方停留。",
            ),
            ("应急疏散", "听到紧急警报后沿疏散指示方向撤离至集合点，由班组长清点人数。"),
        ],
        [
            ("multiple", "本项目的主要危险源包括？", ["高处坠落", "物体打击", "触电", "海啸"], [0, 1, 2], ""),
            ("true_false", "进出现场必须通过实名制闸机刷卡。", [], [T], ""),
            (
                "single",
                "吊装作业时，工人应当？",
                ["在吊物下方休息", "远离吊装区域", "帮助扶正吊物下方"],
                [1],
                "",
            ),
            ("true_false", "离开项目超过 30 天回场，须重新参加项目级安全教育。", [], [T], ""),
            (
                "single",
                "紧急警报响起后应当？",
                ["收拾工具后再走", "沿疏散指示撤离至集合点", "原地等待"],
                [1],
                "",
            ),
            ("true_false", "临边洞口的防护栏杆可以临时拆除方便运料，不必报告。", [], [F], ""),
            ("single", "现场临时用电应当？", ["私拉乱接", "由持证电工接线", "用铁丝代替保险丝"], [1], ""),
            ("multiple", "进入现场必须？", ["戴安全帽", "穿工作鞋", "穿拖鞋", "刷卡进场"], [0, 1, 3], ""),
            ("true_false", "作业层脚手板应满铺、铺稳。", [], [T], ""),
            ("single", "基坑周边堆放材料应当？", ["紧贴坑边", "距坑边保持安全距离", "随意堆放"], [1], ""),
        ],
    ),
    Level.TEAM: (
        "班组级安全教育",
        0,
        0,
        [
            ("本工种安全操作规程", "作业前检查工具和防护设施，作业中遵守操作规程，作业后清理作业面。"),
            ("班前安全活动", "每天开工前参加班前讲话，了解当天作业内容和注意事项。"),
            ("劳保用品的正确使用", "高处作业必须系挂安全带，做到高挂低用；安全帽要戴正、系紧下颏带。"),
        ],
        [
            ("true_false", "安全带应高挂低用。", [], [T], ""),
            ("single", "每天开工前应当？", ["直接干活", "参加班前安全讲话", "先抽烟"], [1], ""),
            ("true_false", "作业前应检查工具和防护设施是否完好。", [], [T], ""),
            (
                "single",
                "高处作业的高度基准是？",
                ["1 米及以上", "2 米及以上", "5 米及以上"],
                [1],
                "2 米及以上有可能坠落的高处进行的作业。",
            ),
            (
                "multiple",
                "作业完成后应当？",
                ["清理作业面", "工具归位", "把废料从楼上抛下"],
                [0, 1],
                "严禁高空抛物。",
            ),
            ("true_false", "发现安全隐患可以不报告，自己绕开即可。", [], [F], ""),
            (
                "single",
                "使用手持电动工具应当？",
                ["戴手套操作旋转部件", "使用带漏电保护的开关箱", "拆除防护罩"],
                [1],
                "",
            ),
            ("true_false", "班组长应当对新进场工人进行岗位安全交底。", [], [T], ""),
            ("multiple", "以下哪些行为是违章的？", ["高空抛物", "酒后作业", "正确佩戴安全帽"], [0, 1], ""),
            (
                "single",
                "身体不适时应当？",
                ["坚持作业", "告知班组长并停止作业", "服药后继续高处作业"],
                [1],
                "",
            ),
        ],
    ),
}


def _course(company: Company | None, level: str) -> Course:
    title, _validity, _absence, lessons, questions = CONTENT[level]
    bank = QuestionBank.objects.filter(company=company, title=f"{title}题库").first()
    if bank is None:
        bank = services.create_bank(company=company, title=f"{title}题库")
    if not bank.questions.exists():
        for kind, text, options, correct, explanation in questions:
            services.add_question(
                bank=bank,
                kind=QuestionKind(kind),
                text=text,
                options=options,
                correct=correct,
                explanation=explanation,
            )
    course = Course.objects.filter(company=company, title=title).first()
    if course is None:
        course = services.create_course(
            company=company,
            title=title,
            training_type="003001",
            level=level,
            description=f"{title}（三级安全教育）",
            duration_minutes=120 if level == Level.COMPANY else 60,
            exam_bank=bank,
            exam_question_count=10,
            exam_pass_mark=80,
            exam_time_limit_minutes=20,
        )
    if not course.lessons.exists():
        for lesson_title, body in lessons:
            services.add_lesson(course=course, title=lesson_title, body=body)
    return course


@transaction.atomic
def seed_training(project: Project, *, passed_share: float = 0.9) -> None:
    """Seed the demo training of ``project`` (see the module docstring); running it again changes nothing."""
    # The general contractor's courses (any participant's on a project without one; platform-wide if none).
    owner = (
        Participant.objects.filter(project=project)
        .select_related("company")
        .order_by(Case(When(role=GENERAL_CONTRACTOR, then=0), default=1), "pk")
        .first()
    )
    company = owner.company if owner is not None else None
    courses: dict[str, Course] = {
        str(level): _course(company, level) for level in (Level.COMPANY, Level.PROJECT, Level.TEAM)
    }
    plan = TrainingPlan.objects.filter(project=project, trade="", name=PLAN_NAME).first()
    if plan is None:
        plan = services.create_plan(project=project, name=PLAN_NAME)
    for level, course in courses.items():
        if not PlanCourse.objects.filter(plan=plan, course=course).exists():
            _title, validity, absence, _lessons, _questions = CONTENT[level]
            services.add_plan_course(
                plan=plan, course=course, validity_months=validity, absence_limit_days=absence
            )
    _seed_passes(project, courses, passed_share)


def _seed_passes(project: Project, courses: dict[str, Course], passed_share: float) -> None:
    employments = list(
        Employment.objects.filter(project=project, status=EmploymentStatus.ACTIVE).order_by("pk")
    )
    rng = random.Random(f"training-{project.code}")  # noqa: S311 - demo data
    order = employments[:]
    rng.shuffle(order)
    passing = round(len(order) * passed_share)
    zone = zoneinfo.ZoneInfo(project.time_zone)
    existing: set[tuple[int, int, int | None]] = set(
        TrainingRecord.objects.filter(
            worker_id__in=[e.worker_id for e in employments], course__in=courses.values()
        ).values_list("worker_id", "course_id", "project_id")
    )
    new: list[TrainingRecord] = []
    for index, employment in enumerate(order):
        if index < passing:
            levels = list(courses)
        elif index % 2 == 0:
            levels = [Level.COMPANY, Level.PROJECT]  # the team-level course still missing
        else:
            levels = []  # nothing passed yet
        # The day before entry (先培训后上岗), but recent enough that the demo's 12-month passes are valid.
        day = max(employment.entry_date - dt.timedelta(days=1), timezone.localdate() - dt.timedelta(days=300))
        passed_at = dt.datetime.combine(day, dt.time(9, 0), tzinfo=zone)
        for level in levels:
            course = courses[level]
            project_id = record_project_id(course.level, project.pk)
            if (employment.worker_id, course.pk, project_id) in existing:
                continue
            existing.add((employment.worker_id, course.pk, project_id))
            validity = CONTENT[level][1]
            new.append(
                TrainingRecord(
                    worker_id=employment.worker_id,
                    course=course,
                    project_id=project_id,
                    score=Decimal(rng.choice([80, 90, 90, 100])),
                    attempts=1,
                    time_spent_seconds=rng.randint(600, 1200),
                    passed_at=passed_at,
                    source=RecordSource.ONLINE,
                    expires_at=add_months(passed_at, validity) if validity else None,
                )
            )
    TrainingRecord.objects.bulk_create(new, batch_size=1000)
    if new:
        inputs_changed(worker_ids={record.worker_id for record in new})
