"""Page forms for workers, bank cards, employments (进场/退场) and labour contracts.

The forms only parse input (the ModelForms are used for their fields, labels and choices; see
orgs.forms.ServiceForm): workers.services validates, saves and audits, and its ValidationErrors come back
onto the form fields through :func:`add_service_errors`. Related rows travel as public UUIDs and every
choice list is narrowed by the caller with accounts.scope.restrict.
"""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from realname.core import dictionaries
from realname.core.forms import DATE, ServiceForm
from realname.core.text import listed
from realname.orgs.models import Participant, Project, Team
from realname.workers.models import Contract, Employment, EmploymentStatus, PayType, Worker
from realname.workers.services import PERSON_DETAIL_FIELDS

MAX_UPLOAD_BYTES = 10 * 1024 * 1024

# What an upload must start with, by extension: the name alone proves nothing about the bytes.
_MAGIC = {
    "pdf": (b"%PDF-",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}
CONTENT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png"}


def clean_upload(upload: Any, allowed: tuple[str, ...]) -> Any:
    """A new upload checked (size, extension, leading bytes) and given a neutral random name.

    Clerks name scans after the person ("张三-110105….pdf"); the stored name must not carry that into
    storage paths, download headers or the audit log. The file already stored passes through unchanged.
    """
    if not isinstance(upload, UploadedFile):
        return upload
    extension = (upload.name or "").rsplit(".", 1)[-1].lower()
    if extension not in allowed:
        raise ValidationError(gettext("只能上传以下格式的文件：%(types)s") % {"types": listed(allowed)})
    if (upload.size or 0) > MAX_UPLOAD_BYTES:
        raise ValidationError(gettext("文件不能超过 10 MB"))
    head = upload.read(8)
    upload.seek(0)
    if not any(head.startswith(magic) for magic in _MAGIC[extension]):
        raise ValidationError(gettext("文件内容与扩展名 .%(ext)s 不符") % {"ext": extension})
    upload.name = f"{secrets.token_hex(12)}.{extension}"
    return upload


class ParticipantChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        participant: Participant = obj
        return f"{participant.project.code} · {participant.company.name} · {participant.get_role_display()}"


class TeamChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        team: Team = obj
        return f"{team.project.code} · {team.name}"


class ProjectChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        project: Project = obj
        return f"{project.code} {project.name}"


class WorkerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        worker: Worker = obj
        return f"{worker.name}（{worker.id_number_masked}）"


class EmploymentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        employment: Employment = obj
        return f"{employment.worker.name}（{employment.worker.id_number_masked}） · {employment.project.code}"


def _choices_with_blank(name: str) -> list[tuple[str, str]]:
    return [("", "---------"), *dictionaries.choices(name)]


# --- workers -----------------------------------------------------------------------------------------------

PERSON_FIELDS = ["name", "sex", "birth_date", "phone", *PERSON_DETAIL_FIELDS]
_PERSON_WIDGETS = {
    "birth_date": DATE,
    "id_valid_from": DATE,
    "id_valid_until": DATE,
    "photo": forms.FileInput(attrs={"accept": ".jpg,.jpeg,.png"}),  # never the stored file's URL
}


class WorkerForm(ServiceForm):
    """A person's details (not the ID number, which is the person's identity and never edited)."""

    # Longer than the stored 11 digits: clerks type "138 0000 1111" or "+86…", the service folds it.
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False, help_text=_("11位手机号"))

    class Meta:
        model = Worker
        fields = PERSON_FIELDS
        widgets = _PERSON_WIDGETS
        help_texts = {"photo": _("jpg / png，不超过 10 MB")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.id_type == "01":
            # Birth date and sex come from the resident ID number itself.
            del self.fields["sex"]
            del self.fields["birth_date"]

    def clean_photo(self) -> Any:
        return clean_upload(self.cleaned_data.get("photo"), ("jpg", "jpeg", "png"))

    def service_fields(self) -> dict[str, Any]:
        fields = super().service_fields()
        if not fields.get("photo"):
            fields.pop("photo", None)
        return fields


class WorkerCreateForm(WorkerForm):
    """Registration: the ID document first, then the person's details."""

    class Meta(WorkerForm.Meta):
        fields = ["id_type", "id_number", *PERSON_FIELDS]
        help_texts = {
            **WorkerForm.Meta.help_texts,
            "sex": _("居民身份证由号码自动识别，其他证件请填写"),
            "birth_date": _("居民身份证由号码自动识别，其他证件请填写"),
        }

    id_number = forms.CharField(
        label=_("证件号码"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("居民身份证为18位，最后一位可以是 X"),
    )

    def person_fields(self) -> dict[str, Any]:
        """Keyword arguments for services.register_worker's extra person fields."""
        fields = self.service_fields()
        for name in ("id_type", "id_number", "name", "phone", "sex", "birth_date"):
            fields.pop(name, None)
        return fields


class BankCardForm(forms.Form):
    """A wage card (optional when registering, required on its own page)."""

    bank_card = forms.CharField(
        label=_("银行卡号"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    bank_code = forms.ChoiceField(
        label=_("银行类别"), required=False, choices=_choices_with_blank("bank_codes")
    )
    bank_name = forms.CharField(
        label=_("开户银行"), max_length=120, required=False, help_text=_("如“中国工商银行北京朝阳支行”")
    )

    def __init__(self, *args: Any, required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bank_card"].required = required

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("bank_card") and not data.get("bank_name") and data.get("bank_code"):
            data["bank_name"] = dictionaries.label("bank_codes", data["bank_code"])
        return data


# --- employments -------------------------------------------------------------------------------------------


class EmploymentForm(ServiceForm):
    """进场: the participant (and so the project), team, trade and role. Choices come narrowed by the view."""

    participant = ParticipantChoiceField(
        queryset=Participant.objects.none(), to_field_name="public_id", label=_("参建单位")
    )
    team = TeamChoiceField(
        queryset=Team.objects.none(), to_field_name="public_id", required=False, label=_("班组")
    )

    class Meta:
        model = Employment
        fields = ["participant", "team", "trade", "role", "entry_date"]
        widgets = {"entry_date": DATE}

    def __init__(
        self,
        *args: Any,
        participants: models.QuerySet[Participant],
        teams: models.QuerySet[Team],
        optional: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.optional = optional
        self.fields["participant"].queryset = participants  # type: ignore[attr-defined]
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]
        if not self.instance.pk:
            self.initial.setdefault("entry_date", timezone.localdate())
        if optional:
            for field in self.fields.values():
                field.required = False
            self.fields["trade"].choices = _choices_with_blank("trades")  # type: ignore[attr-defined]
            self.initial["entry_date"] = None

    @property
    def wanted(self) -> bool:
        """Whether an entry was asked for (always, unless the form is the optional part of registration)."""
        if not self.optional:
            return True
        data = getattr(self, "cleaned_data", {})
        return bool(
            data.get("participant") or data.get("team") or data.get("trade") or data.get("entry_date")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.optional and self.wanted:
            for name in ("participant", "trade", "entry_date"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, gettext("办理进场时必须填写此项"))
        if not data.get("role"):
            data["role"] = "20"
        return data

    def entry_fields(self) -> dict[str, Any]:
        """Keyword arguments for services.register_entry (the project is the participant's)."""
        data = self.cleaned_data
        participant: Participant = data["participant"]
        return {
            "project": participant.project,
            "participant": participant,
            "team": data.get("team"),
            "trade": data["trade"],
            "role": data.get("role") or "20",
            "entry_date": data["entry_date"],
        }


class EmploymentCreateForm(EmploymentForm):
    worker = WorkerChoiceField(queryset=Worker.objects.none(), to_field_name="public_id", label=_("工人"))

    field_order = ["worker", "participant", "team", "trade", "role", "entry_date"]

    def __init__(
        self, *args: Any, workers: models.QuerySet[Worker], fixed_worker: Worker | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["worker"].queryset = workers  # type: ignore[attr-defined]
        if fixed_worker is not None:
            self.fields["worker"].widget = forms.HiddenInput()
            self.initial["worker"] = fixed_worker.public_id


class ExitForm(forms.Form):
    exit_date = forms.DateField(label=_("退场日期"), widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("exit_date", timezone.localdate())


# --- contracts ---------------------------------------------------------------------------------------------


class ContractForm(ServiceForm):
    class Meta:
        model = Contract
        fields = [
            "code",
            "period_type",
            "start_date",
            "end_date",
            "pay_type",
            "daily_rate",
            "monthly_salary",
            "hourly_rate",
            "piece_unit",
            "piece_unit_price",
            "pay_day",
            "signed_on",
            "signed_file",
        ]
        widgets = {
            "start_date": DATE,
            "end_date": DATE,
            "signed_on": DATE,
            "signed_file": forms.FileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
        }
        help_texts = {
            "end_date": _("固定期限合同必填"),
            "pay_type": _("计日填日工资，计月填月工资，计时填小时工资，计件填计量单位和单价"),
            "signed_file": _("已签合同的 pdf / jpg / png，不超过 10 MB"),
        }

    def clean_signed_file(self) -> Any:
        return clean_upload(self.cleaned_data.get("signed_file"), ("pdf", "jpg", "jpeg", "png"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        if data.get("period_type") == "0" and not end and "end_date" not in self.errors:
            self.add_error("end_date", gettext("固定期限合同需填写合同结束日期"))
        if start and end and end < start:
            self.add_error("end_date", gettext("合同结束日期不能早于开始日期"))
        return data

    def service_fields(self) -> dict[str, Any]:
        fields = super().service_fields()
        if not fields.get("signed_file"):
            fields.pop("signed_file", None)
        return fields


class ContractCreateForm(ContractForm):
    employment = EmploymentChoiceField(
        queryset=Employment.objects.none(), to_field_name="public_id", label=_("进场记录")
    )

    field_order = ["employment", *ContractForm.Meta.fields]

    def __init__(
        self,
        *args: Any,
        employments: models.QuerySet[Employment],
        fixed_employment: Employment | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["employment"].queryset = employments  # type: ignore[attr-defined]
        if fixed_employment is not None:
            self.fields["employment"].widget = forms.HiddenInput()
            self.initial["employment"] = fixed_employment.public_id
            self.initial.setdefault("start_date", fixed_employment.entry_date)

    def service_fields(self) -> dict[str, Any]:
        fields = super().service_fields()
        fields.pop("employment", None)
        return fields


# --- reveal ------------------------------------------------------------------------------------------------


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("查看原因"), max_length=200, required=False)


# --- list filters ------------------------------------------------------------------------------------------


class ListFilterForm(forms.Form):
    """GET filters; a value that does not parse (or is outside the user's scope) is simply not applied."""

    def value(self, name: str) -> Any:
        self.is_valid()
        return self.cleaned_data.get(name) if name not in self.errors else None


class EmploymentFilterForm(ListFilterForm):
    project = ProjectChoiceField(
        queryset=Project.objects.none(), to_field_name="public_id", required=False, label=_("项目")
    )
    participant = ParticipantChoiceField(
        queryset=Participant.objects.none(), to_field_name="public_id", required=False, label=_("参建单位")
    )
    team = TeamChoiceField(
        queryset=Team.objects.none(), to_field_name="public_id", required=False, label=_("班组")
    )
    trade = forms.ChoiceField(label=_("工种"), required=False, choices=_choices_with_blank("trades"))
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", "---------"), *EmploymentStatus.choices]
    )

    def __init__(
        self,
        *args: Any,
        projects: models.QuerySet[Project],
        participants: models.QuerySet[Participant],
        teams: models.QuerySet[Team],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects  # type: ignore[attr-defined]
        self.fields["participant"].queryset = participants  # type: ignore[attr-defined]
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]


class WorkerFilterForm(EmploymentFilterForm):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"placeholder": _("姓名、手机号或完整证件号码"), "autocomplete": "off"}),
    )

    field_order = ["q", "project", "participant", "team", "trade", "status"]


class ContractFilterForm(ListFilterForm):
    project = ProjectChoiceField(
        queryset=Project.objects.none(), to_field_name="public_id", required=False, label=_("项目")
    )
    pay_type = forms.ChoiceField(
        label=_("计薪方式"), required=False, choices=[("", "---------"), *PayType.choices]
    )

    def __init__(self, *args: Any, projects: models.QuerySet[Project], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects  # type: ignore[attr-defined]
