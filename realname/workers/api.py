"""API endpoints for workers, employments (进场/退场) and labour contracts.

Each endpoint: parse (schema) → scoped lookup (``restrict``) → service → render. Worker registration goes
through ``services.register_worker`` (validated, encrypted, deduplicated by the ID number's blind index); the
plaintext ID number is returned only by the reveal endpoint, which needs ``Perm.REVEAL_ID`` and is audited.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Body, Path, Router, Status

from realname.accounts.models import User
from realname.accounts.roles import Perm
from realname.accounts.scope import can, restrict
from realname.core.api_errors import (
    ERRORS,
    WRITE_ERRORS,
    get_changeable,
    get_visible,
    list_endpoint,
    refetch_in_scope,
    require_perm,
    resolve_optional_ref,
    resolve_ref,
)
from realname.orgs.models import Participant, Team
from realname.orgs.selectors import acting_company
from realname.workers import services
from realname.workers.models import BankAccount, Contract, Employment, Worker
from realname.workers.schemas import (
    ContractIn,
    ContractOut,
    EmploymentIn,
    EmploymentOut,
    EntryOut,
    ExitIn,
    IdentityCheckIn,
    RevealIn,
    RevealOut,
    WorkerIn,
    WorkerOut,
    WorkerRegistrationOut,
)

router = Router(tags=["workers"])

OPTIONAL_BODY = Body(None)
ID = Path(..., description="对象 id（UUID）", example="3fa85f64-5717-4562-b3fc-2a963f66afa6")


# Base querysets: what each endpoint renders, with a stable order ending in the primary key.


def workers() -> QuerySet[Worker]:
    current = BankAccount.objects.filter(is_current=True)
    return Worker.objects.prefetch_related(
        Prefetch("bank_accounts", queryset=current, to_attr="current_cards")
    ).order_by("name", "id")


def employments() -> QuerySet[Employment]:
    return Employment.objects.select_related("project", "participant__company", "team", "worker").order_by(
        "project__code", "-entry_date", "id"
    )


def contracts() -> QuerySet[Contract]:
    return Contract.objects.select_related("project", "employment__worker").order_by(
        "project__code", "-start_date", "id"
    )


# --- workers -----------------------------------------------------------------------------------------------


@router.get("/workers", response=list[WorkerOut], summary="工人列表 / list workers")
@list_endpoint
def list_workers(
    request: HttpRequest,
    q: str = "",
    id_number: str = "",
    id_type: str = "01",
    project: UUID | None = None,
) -> QuerySet[Worker]:
    """``q`` searches names; ``id_number`` finds one person exactly (through the blind index, no plaintext
    search); ``project`` keeps the workers with an employment on that project that the caller may see."""
    qs = restrict(workers(), request.user, Perm.WORKERS_VIEW)
    if q:
        qs = qs.filter(name__icontains=q.strip())
    if id_number:
        match = services.find_worker(id_type=id_type, id_number=id_number)
        qs = qs.filter(pk=match.pk) if match is not None else qs.none()
    if project is not None:
        on_project = restrict(
            Employment.objects.filter(project__public_id=project), request.user, Perm.WORKERS_VIEW
        )
        qs = qs.filter(pk__in=on_project.values("worker_id"))
    return qs


@router.get("/workers/{worker_id}", response={200: WorkerOut, **ERRORS}, summary="工人详情 / read a worker")
def get_worker(request: HttpRequest, worker_id: str = ID) -> Worker:
    return get_visible(request, workers(), Perm.WORKERS_VIEW, worker_id)


@router.post(
    "/workers",
    response={200: WorkerRegistrationOut, 201: WorkerRegistrationOut, **WRITE_ERRORS},
    summary="登记工人 / register a worker",
    description=(
        "按证件号码去重：新登记返回 201 与 `created: true`；"
        "此人已登记时返回 200 与 `created: false`；"
        "若该记录在调用者的可修改范围内，以提交的非空内容更新其登记信息，"
        "否则不作任何修改。"
    ),
)
def register_worker(request: HttpRequest, payload: WorkerIn) -> Status[WorkerRegistrationOut]:
    require_perm(request, Perm.WORKERS_CHANGE)
    registered_by = acting_company(request.user, Perm.WORKERS_CHANGE)
    data = payload.dict()
    existing = services.find_worker(id_type=data.get("id_type") or "01", id_number=data["id_number"])
    with transaction.atomic():
        if existing is not None and not can(request.user, Perm.WORKERS_CHANGE, existing):
            # Someone else's registration: lead to the one record for life, but change none of its details.
            registration = services.Registration(worker=existing, created=False, changed=False)
        else:
            registration = services.register_worker(registered_by_company=registered_by, **data)
        if registration.created:
            worker = refetch_in_scope(
                request, workers(), Perm.WORKERS_CHANGE, registration.worker, "id_number"
            )
        else:
            # The same person, registered before (perhaps by another company): one record for life.
            worker = workers().get(pk=registration.worker.pk)
    visible = restrict(Worker.objects.filter(pk=worker.pk), request.user, Perm.WORKERS_VIEW).exists()
    body = WorkerRegistrationOut.of(
        worker, created=registration.created, changed=registration.changed, restricted=not visible
    )
    return Status(201 if registration.created else 200, body)


@router.post(
    "/workers/{worker_id}/reveal",
    response={200: RevealOut, **ERRORS},
    summary="查看证件号码明文 / reveal the ID number (audited)",
)
def reveal_id_number(
    request: HttpRequest,
    response: HttpResponse,
    worker_id: str = ID,
    payload: RevealIn | None = OPTIONAL_BODY,
) -> dict[str, Any]:
    worker = get_changeable(request, Worker.objects.all(), Perm.REVEAL_ID, Perm.WORKERS_VIEW, worker_id)
    number = services.reveal_id_number(worker=worker, reason=payload.reason if payload else "")
    response["Cache-Control"] = "no-store"
    return {"id": worker.public_id, "id_type": worker.id_type, "id_number": number}


@router.post(
    "/workers/{worker_id}/verify-identity",
    response={200: WorkerOut, **WRITE_ERRORS},
    summary="记录身份核验 / record an identity check",
)
def verify_identity(request: HttpRequest, payload: IdentityCheckIn, worker_id: str = ID) -> Worker:
    """实名核验：记录以何种方式核对了本人与证件（读卡器、原件、人证比对）。未核验的人员不能准入。"""
    worker = get_changeable(request, Worker.objects.all(), Perm.WORKERS_CHANGE, Perm.WORKERS_VIEW, worker_id)
    user = request.user
    services.verify_identity(
        worker=worker, method=payload.method, by=user if isinstance(user, User) else None
    )
    return workers().get(pk=worker.pk)


# --- employments -------------------------------------------------------------------------------------------


@router.get("/employments", response=list[EmploymentOut], summary="进退场记录 / list employments")
@list_endpoint
def list_employments(
    request: HttpRequest,
    project: UUID | None = None,
    worker: UUID | None = None,
    status: str = "",
) -> QuerySet[Employment]:
    qs = restrict(employments(), request.user, Perm.WORKERS_VIEW)
    if project is not None:
        qs = qs.filter(project__public_id=project)
    if worker is not None:
        qs = qs.filter(worker__public_id=worker)
    if status:
        qs = qs.filter(status=status)
    return qs


@router.get(
    "/employments/{employment_id}",
    response={200: EmploymentOut, **ERRORS},
    summary="进退场记录详情 / read one",
)
def get_employment(request: HttpRequest, employment_id: str = ID) -> Employment:
    return get_visible(request, employments(), Perm.WORKERS_VIEW, employment_id)


def _entry_worker(request: HttpRequest, payload: EmploymentIn) -> Worker:
    """The worker named by id (within scope), or by full ID number — which whoever holds it may use, so a
    person registered elsewhere (a record this company cannot list yet) can be taken on."""
    if payload.worker is not None and payload.id_number:
        raise ValidationError({"worker": "worker 与 id_number 只需提供其一"})
    if payload.worker is not None:
        return resolve_ref(request, Worker.objects.all(), Perm.WORKERS_CHANGE, payload.worker, "worker")
    if not payload.id_number:
        raise ValidationError({"worker": "请提供 worker（工人 id）或 id_number（证件号码）"})
    checked = services.checked_id(payload.id_type, payload.id_number)
    worker = services.find_worker(id_type=checked.id_type, id_number=checked.number)
    if worker is None:
        raise ValidationError({"id_number": "该证件号码尚未登记，请先登记工人"})
    return worker


@router.post(
    "/employments",
    response={200: EntryOut, 201: EntryOut, **WRITE_ERRORS},
    summary="进场登记 / register an entry",
    description="工人已在该项目在场时不重复创建：返回 200 与 `created: false`，并按提交内容更新。",
)
def register_entry(request: HttpRequest, payload: EmploymentIn) -> Status[EntryOut]:
    require_perm(request, Perm.WORKERS_CHANGE)
    participant = resolve_ref(
        request,
        Participant.objects.select_related("project"),
        Perm.WORKERS_CHANGE,
        payload.participant,
        "participant",
    )
    team = resolve_optional_ref(request, Team.objects.all(), Perm.WORKERS_CHANGE, payload.team, "team")
    worker = _entry_worker(request, payload)
    with transaction.atomic():
        result = services.register_entry(
            worker=worker,
            project=participant.project,
            participant=participant,
            team=team,
            trade=payload.trade,
            role=payload.role,
            entry_date=payload.entry_date,
        )
        # A subcontractor books only its own people: an entry under another company's participation fails.
        employment = refetch_in_scope(
            request, employments(), Perm.WORKERS_CHANGE, result.employment, "participant"
        )
    warnings = []
    if result.overlaps:
        # Only the count: the other projects may lie outside the caller's scope.
        warnings.append(f"该工人同时在其他 {len(result.overlaps)} 个项目在场，请核对")
    body = EntryOut.model_construct(
        **dict(EmploymentOut.from_orm(employment)), created=result.created, warnings=warnings
    )
    return Status(201 if result.created else 200, body)


@router.post(
    "/employments/{employment_id}/exit",
    response={200: EmploymentOut, **ERRORS},
    summary="退场登记 / register an exit",
)
def register_exit(request: HttpRequest, payload: ExitIn, employment_id: str = ID) -> Employment:
    employment = get_changeable(request, employments(), Perm.WORKERS_CHANGE, Perm.WORKERS_VIEW, employment_id)
    services.register_exit(employment=employment, exit_date=payload.exit_date)
    return employments().get(pk=employment.pk)


# --- contracts ---------------------------------------------------------------------------------------------


@router.get("/contracts", response=list[ContractOut], summary="劳动合同列表 / list contracts")
@list_endpoint
def list_contracts(
    request: HttpRequest, project: UUID | None = None, employment: UUID | None = None
) -> QuerySet[Contract]:
    qs = restrict(contracts(), request.user, Perm.WORKERS_VIEW)
    if project is not None:
        qs = qs.filter(project__public_id=project)
    if employment is not None:
        qs = qs.filter(employment__public_id=employment)
    return qs


@router.get(
    "/contracts/{contract_id}", response={200: ContractOut, **ERRORS}, summary="劳动合同详情 / read one"
)
def get_contract(request: HttpRequest, contract_id: str = ID) -> Contract:
    return get_visible(request, contracts(), Perm.WORKERS_VIEW, contract_id)


@router.post(
    "/contracts", response={201: ContractOut, **WRITE_ERRORS}, summary="登记劳动合同 / add a contract"
)
def create_contract(request: HttpRequest, payload: ContractIn) -> Status[Contract]:
    require_perm(request, Perm.WORKERS_CHANGE)
    employment = resolve_ref(
        request,
        Employment.objects.select_related("project"),
        Perm.WORKERS_CHANGE,
        payload.employment,
        "employment",
    )
    fields = payload.dict(exclude={"employment", "pay_type", "start_date"})
    with transaction.atomic():
        contract = services.create_contract(
            employment=employment, pay_type=payload.pay_type, start_date=payload.start_date, **fields
        )
        contract = refetch_in_scope(request, contracts(), Perm.WORKERS_CHANGE, contract, "employment")
    return Status(201, contract)
