"""The ledger's API: signed checkpoints, inclusion and consistency proofs, and the public key.

Anyone holding a checkpoint can check the proofs with any RFC 6962 client: hashes are hex, the leaf's
canonical bytes base64. Checkpoints and consistency proofs say nothing about any one event and are open to
every authenticated caller; an inclusion proof names an event, so an event outside the caller's scope is
404 exactly like a missing one.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import ValidationError as NinjaValidationError

from realname.core.api_errors import ERRORS
from realname.ledger import selectors, services, signing
from realname.ledger.models import Checkpoint

router = Router(tags=["ledger"])


class CheckpointOut(Schema):
    origin: str = Field(..., description="日志标识（签名文本第一行）")
    tree_size: int
    root_hash: str = Field(..., description="根哈希（十六进制）")
    timestamp: dt.datetime
    key_id: str = Field(..., description="签名密钥标识（十六进制，signed-note 规则）")
    signature: str = Field(..., description="Ed25519 签名（base64），签名对象为 note 的正文")
    note: str = Field(..., description="C2SP signed-note 格式的完整检查点")

    @staticmethod
    def of(checkpoint: Checkpoint) -> CheckpointOut:
        return CheckpointOut(
            origin=checkpoint.origin,
            tree_size=checkpoint.tree_size,
            root_hash=checkpoint.root_hash,
            timestamp=checkpoint.created_at,
            key_id=checkpoint.key_id,
            signature=checkpoint.signature,
            note=selectors.checkpoint_note(checkpoint),
        )


class InclusionOut(Schema):
    event: uuid.UUID
    leaf_index: int
    tree_size: int
    leaf_hash: str = Field(..., description="SHA-256(0x00 || 规范字节)，十六进制")
    canonical_bytes: str = Field(..., description="事件的规范字节（UTF-8 JSON），base64")
    proof: list[str] = Field(..., description="RFC 6962 审计路径，靠近叶子的在前，十六进制")
    root_hash: str = Field(..., description="该规模下的根哈希，十六进制")


class ConsistencyOut(Schema):
    first: int
    second: int
    first_root: str
    second_root: str
    proof: list[str] = Field(..., description="RFC 6962 一致性证明，十六进制")


class PublicKeyOut(Schema):
    algorithm: str = "Ed25519"
    name: str = Field(..., description="密钥名（= 检查点第一行）")
    key_id: str
    public_key: str = Field(..., description="32 字节公钥，base64")
    verifier_key: str = Field(..., description="signed-note 验证密钥文本 <name>+<id>+<base64(0x01||key)>")


def _refuse(field: str, message: str) -> NinjaValidationError:
    return NinjaValidationError([{"loc": ["query", field], "msg": message, "type": "value_error"}])


@router.get(
    "/checkpoint", response={200: CheckpointOut, **ERRORS}, summary="最新签名检查点 / latest checkpoint"
)
def get_checkpoint(request: HttpRequest) -> CheckpointOut:
    """The latest signed checkpoint; one is signed on the spot when the log grew since the last."""
    checkpoint, _created = services.create_checkpoint()
    return CheckpointOut.of(checkpoint)


@router.get(
    "/proof/inclusion", response={200: InclusionOut, **ERRORS}, summary="事件存在性证明 / inclusion proof"
)
def get_inclusion_proof(request: HttpRequest, event: uuid.UUID, size: int | None = None) -> InclusionOut:
    """Proof that the event is a leaf of the tree of ``size`` leaves (default: the whole log now)."""
    found = selectors.visible_events(request.user).filter(public_id=event).first()
    if found is None or found.ledger_index is None:
        raise Http404
    current = selectors.tree_size()
    size = current if size is None else size
    if not found.ledger_index < size <= current:
        raise _refuse("size", f"树规模须大于事件序号 {found.ledger_index} 且不超过 {current}")
    proof = selectors.inclusion_proof(found, size)
    return InclusionOut(
        event=found.public_id,
        leaf_index=proof.leaf_index,
        tree_size=proof.tree_size,
        leaf_hash=proof.leaf_hash.hex(),
        canonical_bytes=base64.b64encode(proof.canonical_bytes).decode(),
        proof=[node.hex() for node in proof.proof],
        root_hash=proof.root.hex(),
    )


@router.get(
    "/proof/consistency",
    response={200: ConsistencyOut, **ERRORS},
    summary="一致性证明 / consistency proof",
)
def get_consistency_proof(request: HttpRequest, first: int, second: int | None = None) -> ConsistencyOut:
    """Proof that the tree of ``second`` leaves (default: the whole log now) extends that of ``first``."""
    current = selectors.tree_size()
    second = current if second is None else second
    if not 0 < first <= second:
        raise _refuse("first", "须满足 0 < first <= second")
    if second > current:
        raise _refuse("second", f"日志目前只有 {current} 条")
    proof = selectors.consistency_proof(first, second)
    return ConsistencyOut(
        first=first,
        second=second,
        first_root=proof.first_root.hex(),
        second_root=proof.second_root.hex(),
        proof=[node.hex() for node in proof.proof],
    )


@router.get("/public-key", response={200: PublicKeyOut, **ERRORS}, summary="检查点验证公钥 / public key")
def get_public_key(request: HttpRequest) -> PublicKeyOut:
    key = signing.signing_key()
    return PublicKeyOut(
        name=key.name,
        key_id=key.key_id.hex(),
        public_key=base64.b64encode(key.public).decode(),
        verifier_key=key.verifier_key,
    )
