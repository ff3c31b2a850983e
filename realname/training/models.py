"""Safety training (先培训后上岗): courses with lessons, question banks and exams, training plans per project,
exam attempts, offline sessions and the training records that say who passed what, when, until when."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from realname.core import dictionaries
from realname.core.models import PublicModel


class Level(models.TextChoices):
    """三级安全教育: the level a course belongs to ("" for any other course)."""

    COMPANY = "company", _("公司级")
    PROJECT = "project", _("项目级")
    TEAM = "team", _("班组级")
    OTHER = "", _("其他")


# Courses whose pass counts only on the project where it was taken (a company-level pass counts everywhere).
PROJECT_BOUND_LEVELS = (Level.PROJECT, Level.TEAM)


class QuestionBank(PublicModel):
    """A company's (or, with no company, the platform's) pool of exam questions."""

    company = models.ForeignKey(
        "orgs.Company",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="question_banks",
        verbose_name=_("所属企业"),
    )
    title = models.CharField(_("题库名称"), max_length=200)

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("题库")
        verbose_name_plural = _("题库")

    def __str__(self) -> str:
        return self.title


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("单选题")
    MULTIPLE = "multiple", _("多选题")
    TRUE_FALSE = "true_false", _("判断题")


class Question(PublicModel):
    """One exam question: its options (a list of texts) and the indexes of the correct ones."""

    bank = models.ForeignKey(QuestionBank, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(_("题型"), max_length=12, choices=QuestionKind.choices)
    text = models.TextField(_("题目"))
    options = models.JSONField(_("选项"), default=list)
    correct = models.JSONField(_("正确答案"), default=list)  # sorted option indexes
    explanation = models.TextField(_("解析"), blank=True)
    position = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["bank", "position", "id"]
        verbose_name = _("试题")
        verbose_name_plural = _("试题")

    def __str__(self) -> str:
        return self.text[:60]


class Course(PublicModel):
    """A training course (培训课程) owned by a company and reused on its projects, or platform-wide."""

    company = models.ForeignKey(
        "orgs.Company",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="courses",
        verbose_name=_("所属企业"),
        help_text=_("留空为平台通用课程"),
    )
    title = models.CharField(_("课程名称"), max_length=200)
    training_type = models.CharField(
        _("培训类型"), max_length=6, choices=dictionaries.choices("training_types")
    )
    level = models.CharField(_("教育级别"), max_length=10, choices=Level.choices, blank=True, default="")
    description = models.TextField(_("课程简介"), blank=True)
    duration_minutes = models.PositiveIntegerField(_("学时（分钟）"), default=0)
    # The exam: questions drawn at random from the bank.
    exam_bank = models.ForeignKey(
        QuestionBank,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="courses",
        verbose_name=_("考试题库"),
    )
    exam_question_count = models.PositiveIntegerField(
        _("抽题数量"), default=10, validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    exam_pass_mark = models.PositiveSmallIntegerField(
        _("及格分（百分制）"), default=80, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    exam_time_limit_minutes = models.PositiveIntegerField(
        _("考试时限（分钟）"), default=30, validators=[MinValueValidator(1), MaxValueValidator(600)]
    )

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("培训课程")
        verbose_name_plural = _("培训课程")
        constraints = [
            models.CheckConstraint(
                name="course_pass_mark_percentage",
                condition=Q(exam_pass_mark__gte=1, exam_pass_mark__lte=100),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def project_bound(self) -> bool:
        return self.level in PROJECT_BOUND_LEVELS


class LessonKind(models.TextChoices):
    TEXT = "text", _("图文")
    IMAGE = "image", _("图片")
    VIDEO = "video", _("视频")
    LINK = "link", _("外部链接")


class Lesson(PublicModel):
    """One step of a course, in order: a text, an image, a video file or a link to elsewhere."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    position = models.PositiveIntegerField(_("顺序"), default=0)
    title = models.CharField(_("标题"), max_length=200)
    kind = models.CharField(_("类型"), max_length=10, choices=LessonKind.choices, default=LessonKind.TEXT)
    body = models.TextField(_("正文"), blank=True)
    file = models.FileField(_("文件"), upload_to="training/lessons/%Y/%m/", blank=True)
    url = models.URLField(_("链接"), blank=True)

    class Meta:
        ordering = ["course", "position", "id"]
        verbose_name = _("课时")
        verbose_name_plural = _("课时")

    def __str__(self) -> str:
        return self.title


class TrainingPlan(PublicModel):
    """Which courses an employment on a project (optionally: only in one trade) must pass before entry."""

    project = models.ForeignKey("orgs.Project", on_delete=models.CASCADE, related_name="training_plans")
    trade = models.CharField(
        _("工种"),
        max_length=4,
        blank=True,
        choices=dictionaries.choices("trades"),
        help_text=_("留空表示本项目所有工种"),
    )
    name = models.CharField(_("计划名称"), max_length=200)

    class Meta:
        ordering = ["project", "trade", "id"]
        verbose_name = _("培训计划")
        verbose_name_plural = _("培训计划")

    def __str__(self) -> str:
        return self.name


class PlanCourse(PublicModel):
    """One course of a plan with its re-training rules."""

    plan = models.ForeignKey(TrainingPlan, on_delete=models.CASCADE, related_name="items")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="plan_items")
    validity_months = models.PositiveIntegerField(
        _("有效期（月）"), default=0, help_text=_("0 表示长期有效"), validators=[MaxValueValidator(600)]
    )
    absence_limit_days = models.PositiveIntegerField(
        _("离场重训天数"),
        default=0,
        help_text=_("仅项目级课程：离开项目超过该天数须重新培训；0 表示不限"),
        validators=[MaxValueValidator(3650)],
    )

    class Meta:
        ordering = ["plan", "id"]
        verbose_name = _("计划课程")
        verbose_name_plural = _("计划课程")
        constraints = [
            models.UniqueConstraint(fields=["plan", "course"], name="plan_course_once_per_plan"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.course}"


class RecordSource(models.TextChoices):
    ONLINE = "online", _("线上考试")
    OFFLINE = "offline", _("线下培训")


class TrainingRecord(PublicModel):
    """Where a worker stands with one course: attempts, time spent, and the pass that counts (if any).

    ``project`` is set for project- and team-level courses (their pass counts on that project only) and
    empty for the others (a company-level pass counts on every project).
    """

    worker = models.ForeignKey("workers.Worker", on_delete=models.PROTECT, related_name="training_records")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="records")
    project = models.ForeignKey(
        "orgs.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="training_records"
    )
    score = models.DecimalField(_("成绩"), max_digits=5, decimal_places=1, null=True, blank=True)
    attempts = models.PositiveIntegerField(_("考试次数"), default=0)
    time_spent_seconds = models.PositiveIntegerField(_("用时（秒）"), default=0)
    passed_at = models.DateTimeField(_("通过时间"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=10, choices=RecordSource.choices, blank=True)
    session = models.ForeignKey(
        "OfflineSession", null=True, blank=True, on_delete=models.SET_NULL, related_name="records"
    )
    expires_at = models.DateTimeField(_("有效期至"), null=True, blank=True)
    retake_marked_at = models.DateTimeField(_("须重新培训（离场）"), null=True, blank=True)

    class Meta:
        ordering = ["-passed_at", "id"]
        verbose_name = _("培训记录")
        verbose_name_plural = _("培训记录")
        constraints = [
            models.UniqueConstraint(
                fields=["worker", "course", "project"],
                condition=Q(project__isnull=False),
                name="training_record_once_per_project",
            ),
            models.UniqueConstraint(
                fields=["worker", "course"],
                condition=Q(project__isnull=True),
                name="training_record_once_per_worker",
            ),
        ]
        indexes = [models.Index(fields=["worker", "course"], name="training_record_worker_course")]

    def __str__(self) -> str:
        return f"{self.worker_id} · {self.course_id}"


class ExamAttempt(PublicModel):
    """One sitting of a course's exam: the questions it drew (graded exactly), the answers, the result."""

    employment = models.ForeignKey(
        "workers.Employment", on_delete=models.PROTECT, related_name="exam_attempts"
    )
    worker = models.ForeignKey("workers.Worker", on_delete=models.PROTECT, related_name="exam_attempts")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="attempts")
    question_ids = models.JSONField(default=list)
    # The right answers as they were when the questions were drawn (question id (str) -> sorted option
    # indexes): a question edited or deleted afterwards changes nothing about this attempt.
    answer_key = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField()
    deadline_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    answers = models.JSONField(default=dict, blank=True)  # question id (str) -> sorted option indexes
    score = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    passed = models.BooleanField(null=True)
    time_spent_seconds = models.PositiveIntegerField(default=0)
    failure_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at", "id"]
        verbose_name = _("考试记录")
        verbose_name_plural = _("考试记录")

    def __str__(self) -> str:
        return f"{self.course_id} @ {self.started_at:%Y-%m-%d %H:%M}"


class OfflineSession(PublicModel):
    """A training held in person (线下培训) and recorded afterwards, with its evidence and scores."""

    project = models.ForeignKey("orgs.Project", on_delete=models.PROTECT, related_name="training_sessions")
    team = models.ForeignKey(
        "orgs.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="training_sessions",
        verbose_name=_("班组"),
    )
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("课程")
    )
    held_on = models.DateField(_("培训日期"))
    trainer = models.CharField(_("授课人"), max_length=60)
    photo = models.FileField(_("现场照片"), upload_to="training/sessions/%Y/%m/", blank=True)
    sign_in_sheet = models.FileField(_("签到表"), upload_to="training/sessions/%Y/%m/", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-held_on", "id"]
        verbose_name = _("线下培训")
        verbose_name_plural = _("线下培训")

    def __str__(self) -> str:
        return f"{self.course} {self.held_on}"


class SessionAttendee(models.Model):
    """One worker at an offline session, with their score and whether they passed."""

    session = models.ForeignKey(OfflineSession, on_delete=models.CASCADE, related_name="attendees")
    employment = models.ForeignKey("workers.Employment", on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("成绩"), max_digits=5, decimal_places=1, null=True, blank=True)
    passed = models.BooleanField(_("合格"), default=False)

    class Meta:
        ordering = ["session", "id"]
        verbose_name = _("参训人员")
        verbose_name_plural = _("参训人员")
        constraints = [
            models.UniqueConstraint(fields=["session", "employment"], name="session_attendee_once"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id} · {self.employment_id}"
