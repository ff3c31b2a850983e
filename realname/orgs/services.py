"""Writes for companies, projects, sections, participants and teams (keyword-only, atomic, audited)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from realname.core.identifiers import IdentifierError, check_credit_code
from realname.core.services import create_row, update_row
from realname.orgs.models import GENERAL_CONTRACTOR, Company, Participant, Project, Section, Team


def _credit_code(value: str) -> str:
    try:
        return check_credit_code(value)
    except IdentifierError as exc:
        raise ValidationError({"credit_code": str(exc)}) from None


@transaction.atomic
def create_company(
    *, name: str, credit_code: str, registered_by: Company | None = None, **fields: Any
) -> Company:
    return create_row(
        Company,
        name=name.strip(),
        credit_code=_credit_code(credit_code),
        registered_by=registered_by,
        **fields,
    )


@transaction.atomic
def update_company(*, company: Company, **fields: Any) -> Company:
    if "credit_code" in fields:
        fields["credit_code"] = _credit_code(fields["credit_code"])
    return update_row(company, **fields)


@transaction.atomic
def create_project(*, code: str, name: str, general_contractor: Company, **fields: Any) -> Project:
    """A project and its general contractor (总承包, 009) participation, which every project has."""
    project = create_row(Project, code=code.strip(), name=name.strip(), **fields)
    create_row(
        Participant,
        project=project,
        company=general_contractor,
        role=GENERAL_CONTRACTOR,
        entry_date=project.start_date,
    )
    return project


@transaction.atomic
def update_project(*, project: Project, **fields: Any) -> Project:
    return update_row(project, **fields)


@transaction.atomic
def add_section(*, project: Project, code: str, name: str) -> Section:
    return create_row(Section, project=project, code=code.strip(), name=name.strip())


@transaction.atomic
def update_section(*, section: Section, **fields: Any) -> Section:
    return update_row(section, **fields)


@transaction.atomic
def add_participant(
    *,
    project: Project,
    company: Company,
    role: str,
    entry_date: dt.date | None = None,
    **fields: Any,
) -> Participant:
    if Participant.objects.filter(project=project, company=company).exists():
        raise ValidationError({"company": "该企业已是本项目的参建单位"})
    if (
        role == GENERAL_CONTRACTOR
        and Participant.objects.filter(project=project, role=GENERAL_CONTRACTOR).exists()
    ):
        raise ValidationError({"role": "本项目已有总承包单位"})
    return create_row(
        Participant, project=project, company=company, role=role, entry_date=entry_date, **fields
    )


@transaction.atomic
def update_participant(*, participant: Participant, **fields: Any) -> Participant:
    if (
        fields.get("role") == GENERAL_CONTRACTOR
        and Participant.objects.filter(project=participant.project, role=GENERAL_CONTRACTOR)
        .exclude(pk=participant.pk)
        .exists()
    ):
        raise ValidationError({"role": "本项目已有总承包单位"})
    return update_row(participant, **fields)


def _check_team_leader(team_project: Project, leader: Any) -> None:
    if leader is None:
        return
    if not leader.employments.filter(project=team_project, status="active").exists():
        raise ValidationError({"leader": "班组长必须是本项目在场的工人"})


@transaction.atomic
def create_team(*, participant: Participant, name: str, leader: Any = None, **fields: Any) -> Team:
    _check_team_leader(participant.project, leader)
    return create_row(
        Team, project=participant.project, participant=participant, name=name.strip(), leader=leader, **fields
    )


@transaction.atomic
def update_team(*, team: Team, **fields: Any) -> Team:
    if "participant" in fields and fields["participant"].project_id != team.project_id:
        raise ValidationError({"participant": "参建单位不属于本项目"})
    if "leader" in fields:
        _check_team_leader(team.project, fields["leader"])
    return update_row(team, **fields)
