"""Pages for workers, bank cards, employments (进场/退场), labour contracts and the audited reveal.

Every page reads through accounts.scope.restrict (via core.pages.scoped_get: out of scope → 404, visible
but not permitted → 403) and writes through workers.services. Screens show masked numbers only; the
plaintext appears solely in the response to an explicit, audited reveal POST.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from realname.accounts.models import User
from realname.accounts.roles import Perm
from realname.accounts.scope import can, has_perm, restrict
from realname.admission.selectors import visible_blacklist
from realname.core.forms import add_service_errors
from realname.core.pages import paginate, query_without_page, require, scoped_get, stored_file_response
from realname.orgs.models import Participant, Project, Team
from realname.orgs.selectors import acting_company, team_parents
from realname.workers import selectors, services
from realname.workers.forms import (
    CONTENT_TYPES,
    BankCardForm,
    ContractCreateForm,
    ContractFilterForm,
    ContractForm,
    EmploymentCreateForm,
    EmploymentFilterForm,
    EmploymentForm,
    ExitForm,
    RevealForm,
    WorkerCreateForm,
    WorkerFilterForm,
    WorkerForm,
)
from realname.workers.models import BankAccount, Contract, Employment, IdentityCheck, Worker

# --- choices narrowed to the user's scope ------------------------------------------------------------------


def _entry_participants(user: Any, project: Project | None = None) -> models.QuerySet[Participant]:
    """Participants under which the user may register entries: the employment would be theirs to change.

    The Employment scope rule (project + owning participant's company) applied to the participant before any
    employment exists; orgs.selectors.team_parents is that rule for the same parent.
    """
    return team_parents(user, project=project, perm=Perm.WORKERS_CHANGE)


def _entry_teams(user: Any, project: Project | None = None) -> models.QuerySet[Team]:
    qs = Team.objects.all() if project is None else Team.objects.filter(project=project)
    return restrict(qs, user, Perm.WORKERS_CHANGE).select_related("project").order_by("project__code", "name")


def _employment_form(
    request: HttpRequest, *, project: Project | None = None, optional: bool = False, **kwargs: Any
) -> EmploymentForm:
    return EmploymentForm(
        request.POST or None,
        participants=_entry_participants(request.user, project),
        teams=_entry_teams(request.user, project),
        optional=optional,
        **kwargs,
    )


def _filter_choices(user: Any) -> dict[str, Any]:
    return {
        "projects": restrict(Project.objects.all(), user, Perm.WORKERS_VIEW).order_by("code"),
        "participants": restrict(Participant.objects.all(), user, Perm.WORKERS_VIEW)
        .select_related("project", "company")
        .order_by("project__code", "role", "company__name"),
        "teams": restrict(Team.objects.all(), user, Perm.WORKERS_VIEW)
        .select_related("project")
        .order_by("project__code", "name"),
    }


def _employment_filter(form: EmploymentFilterForm) -> selectors.EmploymentFilter:
    return selectors.EmploymentFilter(
        project=form.value("project"),
        participant=form.value("participant"),
        team=form.value("team"),
        trade=form.value("trade") or "",
        status=form.value("status") or "",
    )


def _ensure_may_change(user: Any, employment: Employment) -> None:
    """Refuse (and so roll back) an entry that would land outside what the user may change."""
    if not can(user, Perm.WORKERS_CHANGE, employment):
        raise ValidationError({"participant": gettext("您无权在该参建单位下办理进场")})


def _overlap_text(overlaps: list[Employment]) -> str:
    """The warning after an entry that overlaps active employments elsewhere (only their number is told)."""
    return gettext("注意：该工人同时在另外 %(n)s 个项目在场，请核实是否重复用工") % {"n": len(overlaps)}


def _next_or(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


def _file_response(stored: FieldFile, download_name: str) -> FileResponse:
    return stored_file_response(stored, download_name, CONTENT_TYPES)


# --- workers -----------------------------------------------------------------------------------------------


def _roster_search_redirect(request: HttpRequest) -> HttpResponse:
    """The roster's search form posts here; what it asks for goes back as a GET without any ID number."""
    skip = {"csrfmiddlewaretoken", "page", "q", "ids"}
    params: dict[str, str] = {}
    for name in request.POST:
        value = request.POST.get(name, "")
        if name not in skip and value:
            params[name] = value
    text = request.POST.get("q", "").strip()
    if text:
        params.update(selectors.roster_search_params(request.user, text))
    elif request.POST.get("ids"):
        params["ids"] = request.POST["ids"]
    query = urlencode(params)
    return redirect(reverse("workers:worker_list") + (f"?{query}" if query else ""))


@login_required
def worker_list(request: HttpRequest) -> HttpResponse:
    require(request, Perm.WORKERS_VIEW)
    if request.method == "POST":
        return _roster_search_redirect(request)
    form = WorkerFilterForm(request.GET, **_filter_choices(request.user))
    ids = selectors.parse_ids(request.GET["ids"]) if "ids" in request.GET else None
    workers = selectors.list_workers(
        request.user, text=form.value("q") or "", ids=ids, filters=_employment_filter(form)
    ).order_by("name", "pk")
    page = paginate(request, workers)
    changeable = selectors.changeable_pks(request.user, Worker.objects.all(), [w.pk for w in page])
    return render(
        request,
        "workers/worker_list.html",
        {
            "form": form,
            "page_obj": page,
            "query": query_without_page(request),
            "changeable": changeable,
            "can_create": has_perm(request.user, Perm.WORKERS_CHANGE),
            "id_search": request.GET.get("ids", ""),
        },
    )


@login_required
def worker_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    worker = scoped_get(
        request, selectors.with_overlap_flag(Worker.objects.all()), Perm.WORKERS_VIEW, public_id
    )
    user = request.user
    employments = list(selectors.worker_employments(user, worker))
    contracts = list(selectors.worker_contracts(user, worker))
    return render(
        request,
        "workers/worker_detail.html",
        {
            "worker": worker,
            "employments": employments,
            "changeable": selectors.changeable_pks(
                user, Employment.objects.all(), [e.pk for e in employments]
            ),
            "contracts": contracts,
            "changeable_contracts": selectors.changeable_pks(
                user, Contract.objects.all(), [c.pk for c in contracts]
            ),
            "bank_accounts": selectors.worker_bank_accounts(user, worker),
            "can_change": can(user, Perm.WORKERS_CHANGE, worker),
            "can_reveal_id": can(user, Perm.REVEAL_ID, worker),
            "can_reveal_bank": can(user, Perm.REVEAL_BANK, worker),
            "identity_checks": IdentityCheck.choices,
            "blacklist": visible_blacklist(user).filter(worker=worker),
            "can_blacklist": can(user, Perm.BLACKLIST_MANAGE, worker),
        },
    )


@login_required
@require_POST
def worker_verify_identity(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """实名核验: record how the person was checked against their ID (admission needs it)."""
    worker = scoped_get(request, Worker.objects.all(), Perm.WORKERS_VIEW, public_id)
    require(request, Perm.WORKERS_CHANGE, worker)
    user = request.user
    try:
        services.verify_identity(
            worker=worker, method=request.POST.get("method", ""), by=user if isinstance(user, User) else None
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, gettext("已记录身份核验：%(name)s") % {"name": worker.name})
    return redirect("workers:worker_detail", public_id=worker.public_id)


@dataclass
class _Outcome:
    worker: Worker
    created: bool
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _register(
    request: HttpRequest, person: WorkerCreateForm, card: BankCardForm, entry: EmploymentForm
) -> _Outcome:
    """Registration = register_worker (one person, one record) + optional 进场, in one transaction.

    A person already in the registry is never duplicated: the form leads to the existing record. Their
    details are brought up to date only when the user may change that record; otherwise the user may still
    take them on (进场) under one of their own participants, which is how a worker moves between employers.
    """
    data = person.cleaned_data
    user = request.user
    existing = services.find_worker(id_type=data["id_type"], id_number=data["id_number"])
    outcome: _Outcome
    with transaction.atomic():
        if existing is None or can(user, Perm.WORKERS_CHANGE, existing):
            registration = services.register_worker(
                name=data["name"],
                id_type=data["id_type"],
                id_number=data["id_number"],
                phone=data.get("phone") or "",
                registered_by_company=acting_company(user, Perm.WORKERS_CHANGE),
                bank_card=card.cleaned_data.get("bank_card") or "",
                bank_code=card.cleaned_data.get("bank_code") or "",
                bank_name=card.cleaned_data.get("bank_name") or "",
                **person.person_fields(),
            )
            outcome = _Outcome(
                registration.worker, registration.created, warnings=list(registration.warnings)
            )
            stated = {k: data.get(k) for k in ("sex", "birth_date") if data.get(k)}
            if registration.created and data["id_type"] != "01" and stated:
                # Only resident ID numbers tell birth date and sex; other documents' holders state them.
                services.update_worker(worker=registration.worker, **stated)
            if not registration.created:
                outcome.notes.append(
                    gettext("该证件号码的人员已登记，已转到现有记录（未重复登记）")
                    + (gettext("，并更新了填写的信息") if registration.changed else "")
                )
        else:
            if not entry.wanted:
                raise ValidationError(
                    {
                        "id_number": gettext(
                            "该证件号码的人员已在平台登记，但不在您的管理范围内；如需在本单位用工，请同时填写进场信息"
                        )
                    }
                )
            outcome = _Outcome(existing, False)
            outcome.notes.append(
                gettext("该证件号码的人员已登记，已为现有记录办理进场（未重复登记，人员信息未更改）")
            )
        if entry.wanted:
            result = services.register_entry(worker=outcome.worker, **entry.entry_fields())
            _ensure_may_change(user, result.employment)
            if result.overlaps:
                outcome.warnings.append(_overlap_text(result.overlaps))
    return outcome


@login_required
def worker_create(request: HttpRequest) -> HttpResponse:
    require(request, Perm.WORKERS_CHANGE)
    person = WorkerCreateForm(request.POST or None, request.FILES or None)
    card = BankCardForm(request.POST or None)
    entry = _employment_form(request, optional=True)
    forms = [person, card, entry]
    valid = [f.is_valid() for f in forms]  # every form validates, so each shows its own errors
    if request.method == "POST" and all(valid):
        try:
            outcome = _register(request, person, card, entry)
        except ValidationError as exc:
            add_service_errors(forms, exc)
        else:
            if outcome.created:
                messages.success(request, gettext("已登记：%(name)s") % {"name": outcome.worker.name})
            for note in outcome.notes:
                messages.info(request, note)
            for warning in outcome.warnings:
                messages.warning(request, warning)
            return redirect("workers:worker_detail", public_id=outcome.worker.public_id)
    return render(request, "workers/worker_form.html", {"person": person, "card": card, "entry": entry})


@login_required
def worker_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    worker = scoped_get(request, Worker.objects.all(), Perm.WORKERS_VIEW, public_id)
    require(request, Perm.WORKERS_CHANGE, worker)
    form = WorkerForm(request.POST or None, request.FILES or None, instance=worker)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_worker(worker=worker, **form.service_fields())
        except ValidationError as exc:
            add_service_errors([form], exc)
        else:
            messages.success(request, gettext("已保存"))
            return redirect("workers:worker_detail", public_id=worker.public_id)
    return render(request, "workers/worker_edit.html", {"form": form, "worker": worker})


@login_required
def worker_photo(request: HttpRequest, public_id: UUID) -> FileResponse:
    worker = scoped_get(request, Worker.objects.all(), Perm.WORKERS_VIEW, public_id)
    if not worker.photo:
        raise Http404
    return _file_response(worker.photo, f"photo-{worker.public_id}")


def _revealed(request: HttpRequest, *, label: str, value: str, back: str, element_id: str) -> HttpResponse:
    context = {"label": label, "value": value, "back": back, "element_id": element_id}
    template = "workers/_revealed.html" if request.headers.get("HX-Request") else "workers/revealed.html"
    return render(request, template, context)


@never_cache
@login_required
@require_POST
def worker_reveal_id(request: HttpRequest, public_id: UUID) -> HttpResponse:
    worker = scoped_get(request, Worker.objects.all(), Perm.WORKERS_VIEW, public_id)
    require(request, Perm.REVEAL_ID, worker)
    form = RevealForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    plaintext = services.reveal_id_number(worker=worker, reason=reason)
    return _revealed(
        request,
        label=gettext("%(name)s 的证件号码") % {"name": worker.name},
        value=plaintext,
        back=reverse("workers:worker_detail", args=[worker.public_id]),
        element_id="id-number",
    )


@login_required
def bank_card_create(request: HttpRequest, public_id: UUID) -> HttpResponse:
    worker = scoped_get(request, Worker.objects.all(), Perm.WORKERS_VIEW, public_id)
    require(request, Perm.WORKERS_CHANGE, worker)
    form = BankCardForm(request.POST or None, required=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.set_bank_card(
                worker=worker,
                card_number=data["bank_card"],
                bank_name=data["bank_name"],
                bank_code=data["bank_code"],
            )
        except ValidationError as exc:
            add_service_errors([form], exc)
        else:
            messages.success(request, gettext("已设为当前工资卡：%(card)s") % {"card": result.account})
            for warning in result.warnings:
                messages.warning(request, warning)
            return redirect("workers:worker_detail", public_id=worker.public_id)
    return render(request, "workers/bank_card_form.html", {"form": form, "worker": worker})


@never_cache
@login_required
@require_POST
def bank_card_reveal(request: HttpRequest, public_id: UUID) -> HttpResponse:
    account = scoped_get(request, BankAccount.objects.select_related("worker"), Perm.WORKERS_VIEW, public_id)
    require(request, Perm.REVEAL_BANK, account)
    form = RevealForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    plaintext = services.reveal_bank_card(account=account, reason=reason)
    return _revealed(
        request,
        label=gettext("%(name)s 的银行卡号") % {"name": account.worker.name},
        value=plaintext,
        back=reverse("workers:worker_detail", args=[account.worker.public_id]),
        element_id=f"card-{account.public_id}",
    )


# --- employments -------------------------------------------------------------------------------------------


@login_required
def employment_list(request: HttpRequest) -> HttpResponse:
    require(request, Perm.WORKERS_VIEW)
    form = EmploymentFilterForm(request.GET, **_filter_choices(request.user))
    page = paginate(request, selectors.list_employments(request.user, filters=_employment_filter(form)))
    changeable = selectors.changeable_pks(request.user, Employment.objects.all(), [e.pk for e in page])
    return render(
        request,
        "workers/employment_list.html",
        {"form": form, "page_obj": page, "query": query_without_page(request), "changeable": changeable},
    )


@login_required
def employment_create(request: HttpRequest) -> HttpResponse:
    require(request, Perm.WORKERS_CHANGE)
    fixed: Worker | None = None
    if request.GET.get("worker"):
        fixed = scoped_get(request, Worker.objects.all(), Perm.WORKERS_VIEW, request.GET["worker"])
        require(request, Perm.WORKERS_CHANGE, fixed)
    form = EmploymentCreateForm(
        request.POST or None,
        participants=_entry_participants(request.user),
        teams=_entry_teams(request.user),
        workers=restrict(Worker.objects.all(), request.user, Perm.WORKERS_CHANGE),
        fixed_worker=fixed,
    )
    if request.method == "POST" and form.is_valid():
        worker: Worker = form.cleaned_data["worker"]
        try:
            with transaction.atomic():
                result = services.register_entry(worker=worker, **form.entry_fields())
                _ensure_may_change(request.user, result.employment)
        except ValidationError as exc:
            add_service_errors([form], exc)
        else:
            messages.success(
                request,
                gettext("已办理进场：%(name)s → %(project)s")
                % {"name": worker.name, "project": result.employment.project.code},
            )
            if result.overlaps:
                messages.warning(request, _overlap_text(result.overlaps))
            return redirect("workers:worker_detail", public_id=worker.public_id)
    return render(request, "workers/employment_form.html", {"form": form, "worker": fixed})


@login_required
def employment_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    employment = scoped_get(
        request, Employment.objects.select_related("worker", "project"), Perm.WORKERS_VIEW, public_id
    )
    require(request, Perm.WORKERS_CHANGE, employment)
    form = _employment_form(request, project=employment.project, instance=employment)
    if request.method == "POST" and form.is_valid():
        fields = form.entry_fields()
        fields.pop("project")
        try:
            with transaction.atomic():
                services.update_employment(employment=employment, **fields)
                _ensure_may_change(request.user, employment)
        except ValidationError as exc:
            add_service_errors([form], exc)
        else:
            messages.success(request, gettext("已保存"))
            return redirect("workers:worker_detail", public_id=employment.worker.public_id)
    return render(
        request,
        "workers/employment_form.html",
        {"form": form, "worker": employment.worker, "employment": employment},
    )


@login_required
def employment_exit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """退场: a small form (GET) whose POST closes the employment."""
    employment = scoped_get(
        request, Employment.objects.select_related("worker", "project"), Perm.WORKERS_VIEW, public_id
    )
    require(request, Perm.WORKERS_CHANGE, employment)
    form = ExitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.register_exit(employment=employment, exit_date=form.cleaned_data["exit_date"])
        except ValidationError as exc:
            add_service_errors([form], exc)
        else:
            messages.success(
                request,
                gettext("已办理退场：%(name)s ← %(project)s")
                % {"name": employment.worker.name, "project": employment.project.code},
            )
            fallback = reverse("workers:worker_detail", args=[employment.worker.public_id])
            return redirect(_next_or(request, fallback))
    return render(request, "workers/employment_exit.html", {"form": form, "employment": employment})


# --- contracts ---------------------------------------------------------------------------------------------


@login_required
def contract_list(request: HttpRequest) -> HttpResponse:
    require(request, Perm.WORKERS_VIEW)
    form = ContractFilterForm(
        request.GET,
        projects=restrict(Project.objects.all(), request.user, Perm.WORKERS_VIEW).order_by("code"),
    )
    contracts = selectors.list_contracts(
        request.user, project=form.value("project"), pay_type=form.value("pay_type") or ""
    )
    page = paginate(request, contracts)
    changeable = selectors.changeable_pks(request.user, Contract.objects.all(), [c.pk for c in page])
    return render(
        request,
        "workers/contract_list.html",
        {"form": form, "page_obj": page, "query": query_without_page(request), "changeable": changeable},
    )


@login_required
def contract_create(request: HttpRequest) -> HttpResponse:
    require(request, Perm.WORKERS_CHANGE)
    fixed: Employment | None = None
    if request.GET.get("employment"):
        fixed = scoped_get(
            request,
            Employment.objects.select_related("worker", "project"),
            Perm.WORKERS_VIEW,
            request.GET["employment"],
        )
        require(request, Perm.WORKERS_CHANGE, fixed)
    employments = restrict(Employment.objects.all(), request.user, Perm.WORKERS_CHANGE)
    form = ContractCreateForm(
        request.POST or None,
        request.FILES or None,
        employments=employments.select_related("worker", "project").order_by("worker__name", "-entry_date"),
        fixed_employment=fixed,
    )
    if request.method == "POST" and form.is_valid():
        employment: Employment = form.cleaned_data["employment"]
        fields = form.service_fields()
        try:
            services.create_contract(
                employment=employment,
                pay_type=fields.pop("pay_type"),
                start_date=fields.pop("start_date"),
                **fields,
            )
        except ValidationError as exc:
            add_service_errors([form], exc)
        else:
            messages.success(request, gettext("已保存劳动合同"))
            return redirect("workers:worker_detail", public_id=employment.worker.public_id)
    return render(request, "workers/contract_form.html", {"form": form, "employment": fixed})


@login_required
def contract_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    contract = scoped_get(
        request,
        Contract.objects.select_related("employment__worker", "project"),
        Perm.WORKERS_VIEW,
        public_id,
    )
    require(request, Perm.WORKERS_CHANGE, contract)
    form = ContractForm(request.POST or None, request.FILES or None, instance=contract)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_contract(contract=contract, **form.service_fields())
        except ValidationError as exc:
            add_service_errors([form], exc)
        else:
            messages.success(request, gettext("已保存劳动合同"))
            return redirect("workers:worker_detail", public_id=contract.employment.worker.public_id)
    return render(
        request,
        "workers/contract_form.html",
        {"form": form, "employment": contract.employment, "contract": contract},
    )


@login_required
def contract_file(request: HttpRequest, public_id: UUID) -> FileResponse:
    contract = scoped_get(request, Contract.objects.all(), Perm.WORKERS_VIEW, public_id)
    if not contract.signed_file:
        raise Http404
    return _file_response(contract.signed_file, f"contract-{contract.public_id}")
