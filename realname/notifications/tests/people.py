"""Extra personas for notification tests, beside realname.testing's world: on P1, company A (the general
contractor) has a project manager (pam), a safety officer (sara) and the leader of team_a (tina, herself
a worker); bob (subcontractor B's labour manager), charlie (company C on P2) and the rest come from the
world."""

from __future__ import annotations

from dataclasses import dataclass

from realname.accounts.models import ScopeKind, User
from realname.accounts.roles import Role
from realname.testing import World, make_user, make_worker


@dataclass
class Staff:
    pam: User
    sara: User
    tina: User


def build_staff(world: World) -> Staff:
    pam = make_user("pam", Role.PROJECT_MANAGER, ScopeKind.COMPANY, company=world.company_a)
    sara = make_user("sara", Role.SAFETY_OFFICER, ScopeKind.COMPANY, company=world.company_a)
    tina = make_user("tina", Role.TEAM_LEADER, ScopeKind.COMPANY, company=world.company_a)
    leader = make_worker("赵组长", registered_by_company=world.company_a)
    leader.user = tina
    leader.save(update_fields=["user"])
    world.team_a.leader = leader
    world.team_a.save(update_fields=["leader"])
    return Staff(pam, sara, tina)
