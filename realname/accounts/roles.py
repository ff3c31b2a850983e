"""Roles and what each may do. Scope (which rows) is separate: see realname/accounts/scope.py."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PLATFORM_ADMIN = "platform_admin", _("平台管理员")
    COMPANY_ADMIN = "company_admin", _("企业管理员")
    PROJECT_MANAGER = "project_manager", _("项目经理")
    LABOUR_MANAGER = "labour_manager", _("劳务管理员")
    TEAM_LEADER = "team_leader", _("班组长")
    FINANCE = "finance", _("财务")
    SAFETY_OFFICER = "safety_officer", _("安全员")
    SUPERVISOR = "supervisor", _("监理")
    REGULATOR = "regulator", _("监管部门")
    WORKER = "worker", _("工人")


class Perm:
    """Permission names: <family>.<action>."""

    ORGS_VIEW = "orgs.view"
    ORGS_CHANGE = "orgs.change"  # companies, projects, sections, participants
    TEAMS_CHANGE = "teams.change"
    WORKERS_VIEW = "workers.view"
    WORKERS_CHANGE = "workers.change"  # workers, employments, contracts, imports
    REVEAL_ID = "workers.reveal_id"
    REVEAL_BANK = "workers.reveal_bank"
    EXPORT = "workers.export"
    AUDIT_VIEW = "audit.view"
    MANAGE_USERS = "accounts.manage"
    ATTENDANCE_VIEW = "attendance.view"  # events, day records, monthly sheets, on-site list
    CORRECTION_REQUEST = "attendance.request_correction"  # ask for a 补卡 (a team's or one's own)
    CORRECTION_APPROVE = "attendance.approve_correction"  # approve or reject 补卡 requests
    ATTENDANCE_RULES = "attendance.rules"  # attendance rules and holiday overrides
    DEVICES_MANAGE = "devices.manage"  # gate devices, person mappings, command queue, raw messages
    TRAINING_VIEW = "training.view"  # courses, plans, training records, completion rates
    TRAINING_TAKE = "training.take"  # take one's own lessons and exams (the phone pages)
    TRAINING_RECORD = "training.record"  # record an offline training session with its scores
    TRAINING_MANAGE = "training.manage"  # courses, lessons, question banks, exams, training plans
    CERTIFICATES_MANAGE = "certificates.manage"  # add, edit and verify workers' certificates
    ADMISSION_VIEW = "admission.view"  # admission decisions (roster badges, the API, the allow-list)
    BLACKLIST_MANAGE = "admission.blacklist"  # put on and take off the blacklist
    ADMISSION_POLICY = "admission.policy"  # age policies, trade risk classes, certificate types/mapping
    PAYROLL_VIEW = "payroll.view"  # pay periods, pay sheets and their lines
    PAYROLL_PREPARE = "payroll.prepare"  # periods, generate, additions/deductions, reopen, answer disputes
    PAYROLL_TEAM = "payroll.team"  # piece quantities (计件) and the team leader's confirmation of a sheet
    PAYROLL_APPROVE = "payroll.approve"  # the employer's and the general contractor's approval
    PAYROLL_CONFIRM = "payroll.confirm"  # a worker confirms or disputes their own pay line
    BANK_PAY = "bank.pay"  # bank batches (代发): create, export, send, returns, re-issue


_READ = {Perm.ORGS_VIEW, Perm.WORKERS_VIEW, Perm.ATTENDANCE_VIEW, Perm.TRAINING_VIEW, Perm.ADMISSION_VIEW}
# Safety: training content and records, certificates (先培训后上岗, 持证上岗).
_SAFETY = {Perm.TRAINING_RECORD, Perm.TRAINING_MANAGE, Perm.CERTIFICATES_MANAGE}
_PAYROLL_ALL = {Perm.PAYROLL_VIEW, Perm.PAYROLL_PREPARE, Perm.PAYROLL_TEAM, Perm.PAYROLL_APPROVE}
_ATTENDANCE_ADMIN = {
    Perm.CORRECTION_REQUEST,
    Perm.CORRECTION_APPROVE,
    Perm.ATTENDANCE_RULES,
    Perm.DEVICES_MANAGE,
}

_ADMIN = frozenset(
    _READ
    | {
        Perm.ORGS_CHANGE,
        Perm.TEAMS_CHANGE,
        Perm.WORKERS_CHANGE,
        Perm.REVEAL_ID,
        Perm.REVEAL_BANK,
        Perm.EXPORT,
        Perm.AUDIT_VIEW,
        Perm.MANAGE_USERS,
        Perm.BLACKLIST_MANAGE,
        Perm.ADMISSION_POLICY,
    }
    | _ATTENDANCE_ADMIN
    | _SAFETY
    | _PAYROLL_ALL
    | {Perm.BANK_PAY}
)

# The same permissions for a platform and a company administrator: what differs is the scope.
ROLE_PERMS: dict[str, frozenset[str]] = {
    Role.PLATFORM_ADMIN: _ADMIN,
    Role.COMPANY_ADMIN: _ADMIN,
    Role.PROJECT_MANAGER: frozenset(
        _READ
        | {
            Perm.ORGS_CHANGE,
            Perm.TEAMS_CHANGE,
            Perm.WORKERS_CHANGE,
            Perm.REVEAL_ID,
            Perm.EXPORT,
            Perm.AUDIT_VIEW,
            Perm.BLACKLIST_MANAGE,
            Perm.ADMISSION_POLICY,
        }
        | _ATTENDANCE_ADMIN
        | _SAFETY
        | _PAYROLL_ALL
        | {Perm.BANK_PAY}
    ),
    Role.LABOUR_MANAGER: frozenset(
        _READ
        | {
            Perm.TEAMS_CHANGE,
            Perm.WORKERS_CHANGE,
            Perm.REVEAL_ID,
            Perm.REVEAL_BANK,
            Perm.EXPORT,
            Perm.CORRECTION_REQUEST,
            Perm.CORRECTION_APPROVE,
            Perm.DEVICES_MANAGE,
            Perm.BLACKLIST_MANAGE,
            Perm.PAYROLL_VIEW,
            Perm.PAYROLL_PREPARE,
            Perm.PAYROLL_TEAM,
        }
        | _SAFETY
    ),
    Role.TEAM_LEADER: frozenset(
        _READ | {Perm.CORRECTION_REQUEST, Perm.TRAINING_RECORD, Perm.PAYROLL_VIEW, Perm.PAYROLL_TEAM}
    ),
    Role.FINANCE: frozenset(_READ | {Perm.REVEAL_BANK, Perm.EXPORT, Perm.PAYROLL_VIEW, Perm.BANK_PAY}),
    Role.SAFETY_OFFICER: frozenset(_READ | _SAFETY | {Perm.BLACKLIST_MANAGE}),
    Role.SUPERVISOR: frozenset(_READ),
    Role.REGULATOR: frozenset(_READ | {Perm.EXPORT, Perm.PAYROLL_VIEW}),
    Role.WORKER: frozenset(
        {
            Perm.ORGS_VIEW,
            Perm.WORKERS_VIEW,
            Perm.ATTENDANCE_VIEW,
            Perm.CORRECTION_REQUEST,
            Perm.TRAINING_VIEW,
            Perm.TRAINING_TAKE,
            Perm.ADMISSION_VIEW,
            Perm.PAYROLL_CONFIRM,
        }
    ),
}


def role_has(role: str, perm: str) -> bool:
    return perm in ROLE_PERMS.get(role, frozenset())
