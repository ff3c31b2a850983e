"""Page forms for training. They only parse input; training.services validates and saves, and its
ValidationErrors come back onto the fields (realname.core.forms.add_service_errors). Choice lists are
narrowed by the caller to what the user may use."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from realname.core import dictionaries
from realname.core.forms import DATE
from realname.orgs.models import Company, Project, Team
from realname.training.models import Course, LessonKind, Level, QuestionBank, QuestionKind
from realname.workers.forms import ListFilterForm, ProjectChoiceField, TeamChoiceField


def _blank(name: str) -> list[tuple[str, str]]:
    return [("", "---------"), *dictionaries.choices(name)]


class CompanyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class CourseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        course: Course = obj
        level = Level(course.level).label if course.level else ""
        return f"{course.title}（{level}）" if level else course.title


class CourseForm(forms.Form):
    company = CompanyChoiceField(
        queryset=Company.objects.none(),
        to_field_name="public_id",
        required=False,
        label=_("所属企业"),
        help_text=_("留空为平台通用课程（仅平台管理员）"),
    )
    title = forms.CharField(label=_("课程名称"), max_length=200)
    training_type = forms.ChoiceField(label=_("培训类型"), choices=dictionaries.choices("training_types"))
    level = forms.ChoiceField(label=_("教育级别"), choices=Level.choices, required=False)
    description = forms.CharField(
        label=_("课程简介"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    duration_minutes = forms.IntegerField(label=_("学时（分钟）"), min_value=0, initial=60)
    exam_bank = forms.ModelChoiceField(
        queryset=QuestionBank.objects.none(), to_field_name="public_id", required=False, label=_("考试题库")
    )
    exam_question_count = forms.IntegerField(label=_("抽题数量"), min_value=1, max_value=200, initial=10)
    exam_pass_mark = forms.IntegerField(label=_("及格分（百分制）"), min_value=1, max_value=100, initial=80)
    exam_time_limit_minutes = forms.IntegerField(
        label=_("考试时限（分钟）"), min_value=1, max_value=600, initial=30
    )

    def __init__(
        self,
        *args: Any,
        companies: list[Company],
        banks: models.QuerySet[QuestionBank],
        platform: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        company_field: Any = self.fields["company"]
        company_field.queryset = Company.objects.filter(pk__in=[c.pk for c in companies])
        company_field.required = not platform
        if not platform and len(companies) == 1:
            self.initial.setdefault("company", companies[0])
        bank_field: Any = self.fields["exam_bank"]
        bank_field.queryset = banks


class LessonForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=200)
    kind = forms.ChoiceField(label=_("类型"), choices=LessonKind.choices)
    body = forms.CharField(label=_("正文"), required=False, widget=forms.Textarea(attrs={"rows": 6}))
    file = forms.FileField(
        label=_("文件"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".jpg,.jpeg,.png,.mp4,.webm"}),
        help_text=_("图片 jpg / png（不超过 10 MB），视频 mp4 / webm（不超过 200 MB）"),
    )
    url = forms.URLField(label=_("链接"), required=False, assume_scheme="https")


class BankForm(forms.Form):
    company = CompanyChoiceField(
        queryset=Company.objects.none(), to_field_name="public_id", required=False, label=_("所属企业")
    )
    title = forms.CharField(label=_("题库名称"), max_length=200)

    def __init__(self, *args: Any, companies: list[Company], platform: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["company"]
        field.queryset = Company.objects.filter(pk__in=[c.pk for c in companies])
        field.required = not platform
        if not platform and len(companies) == 1:
            self.initial.setdefault("company", companies[0])


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("题型"), choices=QuestionKind.choices)
    text = forms.CharField(label=_("题目"), widget=forms.Textarea(attrs={"rows": 2}))
    options = forms.CharField(
        label=_("选项"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行一个选项；判断题无需填写"),
    )
    correct = forms.CharField(
        label=_("正确答案"),
        max_length=40,
        help_text=_("选项序号，从 1 开始，多选用逗号分隔，如 1,3；判断题：1 = 正确，2 = 错误"),
    )
    explanation = forms.CharField(label=_("解析"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_correct(self) -> list[int]:
        raw = self.cleaned_data["correct"].replace("，", ",")
        try:
            return [int(part) - 1 for part in raw.split(",") if part.strip()]
        except ValueError:
            raise forms.ValidationError(_("请填写选项序号，如 1 或 1,3")) from None

    def option_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("options", "").splitlines() if line.strip()]


class PlanForm(forms.Form):
    name = forms.CharField(label=_("计划名称"), max_length=200)
    trade = forms.ChoiceField(
        label=_("工种"), choices=_blank("trades"), required=False, help_text=_("留空表示本项目所有工种")
    )


class PlanCourseForm(forms.Form):
    course = CourseChoiceField(queryset=Course.objects.none(), to_field_name="public_id", label=_("课程"))
    validity_months = forms.IntegerField(
        label=_("有效期（月）"), min_value=0, max_value=600, initial=0, help_text=_("0 表示长期有效")
    )
    absence_limit_days = forms.IntegerField(
        label=_("离场重训天数"),
        min_value=0,
        max_value=3650,
        initial=0,
        help_text=_("仅项目级课程；0 表示不限"),
    )

    def __init__(self, *args: Any, courses: models.QuerySet[Course], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["course"]
        field.queryset = courses


class RecordFilterForm(ListFilterForm):
    project = ProjectChoiceField(
        queryset=Project.objects.none(), to_field_name="public_id", required=False, label=_("项目")
    )
    course = CourseChoiceField(
        queryset=Course.objects.none(), to_field_name="public_id", required=False, label=_("课程")
    )
    q = forms.CharField(label=_("姓名"), required=False, max_length=60)
    passed = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", "---------"), ("yes", _("已通过")), ("no", _("未通过")), ("retake", _("须重新培训"))],
    )

    def __init__(
        self, *args: Any, projects: models.QuerySet[Project], courses: models.QuerySet[Course], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        project_field: Any = self.fields["project"]
        project_field.queryset = projects
        course_field: Any = self.fields["course"]
        course_field.queryset = courses


class SessionStartForm(ListFilterForm):
    """Step one of recording an offline session: which project (and team) it was held for."""

    project = ProjectChoiceField(queryset=Project.objects.none(), to_field_name="public_id", label=_("项目"))
    team = TeamChoiceField(
        queryset=Team.objects.none(), to_field_name="public_id", required=False, label=_("班组")
    )

    def __init__(
        self, *args: Any, projects: models.QuerySet[Project], teams: models.QuerySet[Team], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        project_field: Any = self.fields["project"]
        project_field.queryset = projects
        team_field: Any = self.fields["team"]
        team_field.queryset = teams


class SessionForm(forms.Form):
    course = CourseChoiceField(queryset=Course.objects.none(), to_field_name="public_id", label=_("课程"))
    held_on = forms.DateField(label=_("培训日期"), widget=DATE)
    trainer = forms.CharField(label=_("授课人"), max_length=60)
    photo = forms.FileField(
        label=_("现场照片"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".jpg,.jpeg,.png"}),
        help_text=_("jpg / png，不超过 10 MB"),
    )
    sign_in_sheet = forms.FileField(
        label=_("签到表"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
        help_text=_("照片或 PDF，不超过 10 MB"),
    )

    def __init__(self, *args: Any, courses: models.QuerySet[Course], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["course"]
        field.queryset = courses
