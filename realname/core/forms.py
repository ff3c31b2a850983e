"""Form plumbing every app's pages share: forms parse input, services validate and save, and the services'
ValidationErrors come back onto the right field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ServiceForm(forms.ModelForm):
    """A ModelForm used for its fields, labels and choices only; the service validates and saves the row."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Related rows travel as public UUIDs, so the initial value must be the row, not its integer key.
        for name, field in self.fields.items():
            if (
                isinstance(field, forms.ModelChoiceField)
                and self.instance.pk
                and hasattr(self.instance, name)
            ):
                self.initial[name] = getattr(self.instance, name)

    def _post_clean(self) -> None:
        """No model validation here: the service function runs full_clean and its errors come back."""

    def service_fields(self) -> dict[str, Any]:
        """The cleaned values of the model's own fields, as keyword arguments for a service function."""
        names = self._meta.fields or ()
        return {name: self.cleaned_data[name] for name in names if name in self.cleaned_data}


# Model constraints whose generic violation message names the constraint: the field and words to show instead.
CONSTRAINT_ERRORS: dict[str, tuple[str, Any]] = {
    "participant_one_general_contractor": ("role", _("本项目已有总承包单位")),
    "participant_dates_in_order": ("exit_date", _("退场日期不能早于进场日期")),
    "project_dates_in_order": ("end_date", _("竣工日期不能早于开工日期")),
    "project_fence_circle_complete": ("fence_radius_m", _("圆形围栏需同时填写中心纬度、经度和半径")),
    "employment_dates_in_order": ("exit_date", _("退场日期不能早于进场日期")),
    "contract_dates_in_order": ("end_date", _("合同结束日期不能早于开始日期")),
    "contract_fixed_term_has_end": ("end_date", _("固定期限合同须填写结束日期")),
}


def _place(forms_: list[forms.BaseForm], field: str | None, messages: list[Any]) -> None:
    for message in messages:
        known = next((hit for name, hit in CONSTRAINT_ERRORS.items() if name in str(message)), None)
        target, text = (known[0], str(known[1])) if known is not None else (field, message)
        owner = next((f for f in forms_ if target in f.fields), None) if target else None
        if owner is not None:
            owner.add_error(target, text)
        else:
            forms_[0].add_error(None, text if target is None or known else f"{target}: {text}")


def add_service_errors(
    form: forms.BaseForm | list[forms.BaseForm], exc: ValidationError, *, rename: dict[str, str] | None = None
) -> None:
    """Put a service's ValidationError on the field it names (in whichever form has it), else on top."""
    forms_ = form if isinstance(form, list) else [form]
    rename = rename or {}
    if not hasattr(exc, "error_dict"):
        _place(forms_, None, exc.messages)
        return
    for name, messages in exc.message_dict.items():
        _place(forms_, None if name == NON_FIELD_ERRORS else rename.get(name, name), messages)


def uuid_choice(
    queryset: models.QuerySet[Any], label: Any, *, required: bool = False
) -> forms.ModelChoiceField:
    """A choice of related rows addressed by their public UUID, never their integer key."""
    return forms.ModelChoiceField(
        queryset=queryset, to_field_name="public_id", required=required, label=label
    )
