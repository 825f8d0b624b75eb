"""Permission rules, as plain data: which level a viewer has on a structure.

Cloud semantics (../shared/reference/structure-product.md §1.4): the highest level among
the matching rules wins, the owner always has CONTROL, and with no matching rule a
structure is invisible (NONE): private by default. Jira admins get nothing special.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from hierarchies.access import Memberships
from hierarchies.models import Level


@dataclass(frozen=True)
class Rule:
    subject_type: str  # "user" | "group" | "projectRole" | "everyone"
    level: int
    account_id: str = ""
    group_name: str = ""
    project_id: int | None = None
    role_id: int | None = None


def rule_matches(rule: Rule, *, account_id: str, memberships: Memberships) -> bool:
    """Whether a rule's subject includes the viewer."""
    if rule.subject_type == "everyone":
        return True
    if rule.subject_type == "user":
        return bool(account_id) and rule.account_id == account_id
    if rule.subject_type == "group":
        return rule.group_name in memberships.groups
    if rule.subject_type == "projectRole":
        pair = (rule.project_id, rule.role_id)
        return pair in memberships.project_roles
    return False


def permission_level_resolve(
    *,
    owner_account_id: str,
    account_id: str,
    rules: Iterable[Rule],
    memberships: Memberships,
) -> Level:
    """The viewer's level: CONTROL for the owner, else the highest matching rule."""
    if account_id and account_id == owner_account_id:
        return Level.CONTROL
    best = max(
        (
            rule.level
            for rule in rules
            if rule_matches(rule, account_id=account_id, memberships=memberships)
        ),
        default=Level.NONE,
    )
    return Level(best)
