from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from realname.accounts.models import ApiToken
from realname.accounts.services import create_api_token, revoke_api_token
from realname.core.models import AuditEntry
from realname.testing import PASSWORD, World

pytestmark = pytest.mark.django_db


def bearer(token: str, **kwargs: bool) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"}, **kwargs)


def project_codes(response) -> set[str]:  # type: ignore[no-untyped-def]
    return {item["code"] for item in response.json()["items"]}


def test_the_command_prints_a_token_that_authenticates(world: World) -> None:
    out = StringIO()
    call_command("create_api_token", "alice", "--name", "ERP", stdout=out, stderr=StringIO())
    token = out.getvalue().strip()
    assert token.startswith("rn_")
    response = bearer(token).get("/api/v1/projects")
    assert response.status_code == 200
    assert project_codes(response) == {"P1"}
    assert ApiToken.objects.get(user=world.alice).name == "ERP"


def test_only_the_hash_of_a_token_is_stored(world: World) -> None:
    issued = create_api_token(user=world.alice)
    row = ApiToken.objects.get(pk=issued.token.pk)
    assert row.key_hash == hashlib.sha256(issued.text.encode()).hexdigest()
    assert issued.text not in {row.key_hash, row.key_prefix, row.name}
    assert issued.text.startswith(row.key_prefix)


def test_issuing_a_token_is_audited_without_its_hash(world: World) -> None:
    issued = create_api_token(user=world.alice, name="ERP")
    entry = AuditEntry.objects.get(object_type="accounts.ApiToken")
    assert entry.action == "create"
    assert entry.changes["key_prefix"] == issued.token.key_prefix
    assert issued.token.key_hash not in str(entry.changes)


def test_the_command_refuses_an_unknown_user(world: World) -> None:
    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody", stdout=StringIO(), stderr=StringIO())


def test_a_request_without_a_token_is_refused_with_401(world: World) -> None:
    response = Client().get("/api/v1/projects")
    assert response.status_code == 401


@pytest.mark.parametrize("token", ["rn_not-a-real-token", "not-even-our-prefix", ""])
def test_an_unknown_token_is_refused_with_401(world: World, token: str) -> None:
    assert bearer(token).get("/api/v1/projects").status_code == 401


def test_a_revoked_token_is_refused_with_401(world: World) -> None:
    issued = create_api_token(user=world.alice)
    assert bearer(issued.text).get("/api/v1/projects").status_code == 200
    revoke_api_token(token=issued.token)
    assert bearer(issued.text).get("/api/v1/projects").status_code == 401


def test_revoking_twice_keeps_the_first_revocation_time(world: World) -> None:
    issued = create_api_token(user=world.alice)
    first = revoke_api_token(token=issued.token).revoked_at
    assert revoke_api_token(token=issued.token).revoked_at == first


def test_the_token_of_a_deactivated_user_is_refused(world: World) -> None:
    issued = create_api_token(user=world.alice)
    world.alice.is_active = False
    world.alice.save(update_fields=["is_active"])
    assert bearer(issued.text).get("/api/v1/projects").status_code == 401


def test_a_bad_token_on_a_write_is_a_401_not_a_csrf_failure(world: World) -> None:
    client = bearer("rn_revoked-or-wrong", enforce_csrf_checks=True)
    response = client.post("/api/v1/companies", {"name": "x"}, content_type="application/json")
    assert response.status_code == 401


def test_a_token_write_needs_no_csrf_token(world: World) -> None:
    client = bearer(create_api_token(user=world.alice).text, enforce_csrf_checks=True)
    response = client.post(
        f"/api/v1/projects/{world.p1.public_id}/sections",
        {"code": "S1", "name": "一标段"},
        content_type="application/json",
    )
    assert response.status_code == 201


def test_a_logged_in_browser_may_read_the_api_with_its_session(world: World) -> None:
    client = Client()
    assert client.login(username="alice", password=PASSWORD)
    response = client.get("/api/v1/projects")
    assert response.status_code == 200
    assert project_codes(response) == {"P1"}


def test_a_session_write_without_the_csrf_token_is_refused(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="alice", password=PASSWORD)
    response = client.post(
        f"/api/v1/projects/{world.p1.public_id}/sections",
        {"code": "S1", "name": "一标段"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not world.p1.sections.exists()


def test_api_writes_are_audited_as_the_tokens_user(world: World) -> None:
    client = bearer(create_api_token(user=world.alice).text)
    response = client.post(
        f"/api/v1/projects/{world.p1.public_id}/sections",
        {"code": "S1", "name": "一标段"},
        content_type="application/json",
    )
    assert response.status_code == 201
    entry = AuditEntry.objects.get(object_type="orgs.Section", object_id=response.json()["id"])
    assert entry.actor == world.alice
    assert entry.actor_label == "alice"


def test_using_a_token_records_when_it_was_last_used(world: World) -> None:
    issued = create_api_token(user=world.alice)
    assert issued.token.last_used_at is None
    bearer(issued.text).get("/api/v1/projects")
    issued.token.refresh_from_db()
    assert issued.token.last_used_at is not None
