"""The datasets: `demo` (hand-made, realistic) and `generated` (any size, from a seed)."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import uuid

from jira_simulator.model import (
    ROLE_ADMINISTRATORS,
    ROLE_DEVELOPERS,
    ROLE_VIEWERS,
    STATUS_CATEGORIES,
    Group,
    Issue,
    IssueLink,
    IssueType,
    LinkType,
    Priority,
    Project,
    Resolution,
    RoleActors,
    SecurityLevel,
    Site,
    Status,
    Team,
    User,
    Version,
)

MAX_GENERATED_ISSUES = 200_000

EPIC, STORY, TASK, BUG, SUBTASK = 10000, 10001, 10002, 10003, 10004
TODO, IN_PROGRESS, IN_REVIEW, DONE = 10000, 3, 10001, 10002
LINK_BLOCKS, LINK_CLONES, LINK_DUPLICATE, LINK_RELATES = 10000, 10001, 10002, 10003
RES_DONE, RES_WONT_DO, RES_DUPLICATE = 10000, 10001, 10002

# Demo users: the accountIds test writers refer to.
ADMIN = "5b10ac8d82e05b22cc7d4a01"  # Alice Adams, site admin
BOB = "5b10ac8d82e05b22cc7d4a02"
CAROL = "5b10ac8d82e05b22cc7d4a03"
DAVE = "5b10ac8d82e05b22cc7d4a04"
ERIN = "5b10ac8d82e05b22cc7d4a05"
FRANK = "5b10ac8d82e05b22cc7d4a06"
GRACE = "5b10ac8d82e05b22cc7d4a07"
HEIDI = "5b10ac8d82e05b22cc7d4a08"
IVAN = "5b10ac8d82e05b22cc7d4a09"
JUDY = "5b10ac8d82e05b22cc7d4a10"
CONTRACTOR = "5b10ac8d82e05b22cc7d4a11"  # Ken Kowalski, sees WEB only
NO_GROUP = "5b10ac8d82e05b22cc7d4a12"  # Nora Novak, in no group, sees nothing

G_ADMINS = "0f3e2d1c-0001-4a5b-8c7d-000000000001"
G_USERS = "0f3e2d1c-0002-4a5b-8c7d-000000000002"
G_WEB = "0f3e2d1c-0003-4a5b-8c7d-000000000003"
G_MOBILE = "0f3e2d1c-0004-4a5b-8c7d-000000000004"
G_FINANCE = "0f3e2d1c-0005-4a5b-8c7d-000000000005"
G_CONTRACTORS = "0f3e2d1c-0006-4a5b-8c7d-000000000006"

EPOCH = dt.datetime(2025, 9, 1, 9, 0, tzinfo=dt.UTC)


def _base_site(name: str, title: str) -> Site:
    cats = STATUS_CATEGORIES
    return Site(
        name=name,
        title=title,
        cloud_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"jira-simulator/{name}")),
        users={},
        groups={},
        projects={},
        issue_types={
            t.id: t
            for t in (
                IssueType(
                    EPIC, "Epic", 1, "A big user story that needs to be broken down."
                ),
                IssueType(
                    STORY,
                    "Story",
                    0,
                    "Functionality or a feature expressed as a user goal.",
                ),
                IssueType(TASK, "Task", 0, "A small, distinct piece of work."),
                IssueType(BUG, "Bug", 0, "A problem or error."),
                IssueType(
                    SUBTASK,
                    "Sub-task",
                    -1,
                    "A small piece of work that's part of a larger task.",
                ),
            )
        },
        statuses={
            s.id: s
            for s in (
                Status(TODO, "To Do", cats["new"]),
                Status(IN_PROGRESS, "In Progress", cats["indeterminate"]),
                Status(IN_REVIEW, "In Review", cats["indeterminate"]),
                Status(DONE, "Done", cats["done"]),
            )
        },
        priorities={
            p.id: p
            for p in (
                Priority(1, "Highest"),
                Priority(2, "High"),
                Priority(3, "Medium"),
                Priority(4, "Low"),
                Priority(5, "Lowest"),
            )
        },
        resolutions={
            r.id: r
            for r in (
                Resolution(RES_DONE, "Done"),
                Resolution(RES_WONT_DO, "Won't Do"),
                Resolution(RES_DUPLICATE, "Duplicate"),
                Resolution(10003, "Cannot Reproduce"),
            )
        },
        link_types={
            lt.id: lt
            for lt in (
                LinkType(LINK_BLOCKS, "Blocks", "is blocked by", "blocks"),
                LinkType(LINK_CLONES, "Cloners", "is cloned by", "clones"),
                LinkType(LINK_DUPLICATE, "Duplicate", "is duplicated by", "duplicates"),
                LinkType(LINK_RELATES, "Relates", "relates to", "relates to"),
            )
        },
        teams={},
        admin_groups=[G_ADMINS],
    )


def _rank(position: int) -> str:
    """A LexoRank-looking value whose string order is the backlog order."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    n = position + 36**3
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return f"0|{out.rjust(6, '0')}:"


class _IssueMaker:
    """Shared issue construction for both datasets (ids, keys, dates, status)."""

    def __init__(self, site: Site, rng: random.Random) -> None:
        self.site = site
        self.rng = rng
        self.issues: list[Issue] = []

    def make(
        self,
        project: Project,
        issuetype: int,
        summary: str,
        *,
        reporter: str,
        assignee: str | None,
        parent: Issue | None = None,
        labels: list[str] | None = None,
        status: int | None = None,
        story_points: float | None = None,
        team_id: str | None = None,
        fix_version_ids: list[int] | None = None,
        security_level_id: int | None = None,
        description: str | None = None,
    ) -> Issue:
        rng = self.rng
        site = self.site
        number = site.project_counters.get(project.id, 0) + 1
        site.project_counters[project.id] = number
        issue_id = site.next_issue_id
        site.next_issue_id += 1
        created = EPOCH + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 420))
        updated = created + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 30))
        if status is None:
            status = rng.choices(
                (TODO, IN_PROGRESS, IN_REVIEW, DONE), cum_weights=(40, 65, 75, 100)
            )[0]
        resolution_id = None
        resolution_date = None
        if status == DONE:
            resolution_id = rng.choices(
                (RES_DONE, RES_WONT_DO, RES_DUPLICATE), cum_weights=(85, 95, 100)
            )[0]
            resolution_date = updated
        estimate = None
        remaining = None
        spent = None
        if issuetype in (TASK, SUBTASK, BUG) and rng.random() < 0.7:
            estimate = rng.choice((1, 2, 4, 8, 16)) * 3600
            spent = 0 if status == TODO else rng.randrange(0, estimate + 1, 1800)
            remaining = 0 if status == DONE else max(estimate - spent, 0)
        issue = Issue(
            id=issue_id,
            key=f"{project.key}-{number}",
            project_id=project.id,
            issuetype_id=issuetype,
            summary=summary,
            status_id=status,
            priority_id=rng.choices((1, 2, 3, 4, 5), cum_weights=(5, 25, 75, 95, 100))[
                0
            ],
            reporter=reporter,
            created=created,
            updated=updated,
            rank="",
            assignee=assignee,
            description=description,
            resolution_id=resolution_id,
            resolution_date=resolution_date,
            parent_id=parent.id if parent else None,
            labels=list(labels or []),
            fix_version_ids=list(fix_version_ids or []),
            story_points=story_points,
            team_id=team_id,
            original_estimate_s=estimate,
            remaining_estimate_s=remaining,
            time_spent_s=spent,
            security_level_id=security_level_id,
        )
        self.issues.append(issue)
        return issue

    def finish(self) -> None:
        order = list(range(len(self.issues)))
        # Backlogs get reordered: rank order is close to, but not, creation order.
        for i in range(0, len(order) - 1, 3):
            if self.rng.random() < 0.5:
                order[i], order[i + 1] = order[i + 1], order[i]
        for position, index in enumerate(order):
            self.issues[index].rank = _rank(position * 8)
        for issue in self.issues:
            self.site.issues[issue.id] = issue
        self.site.reindex()


def _roles(
    admins: RoleActors, developers: RoleActors, viewers: RoleActors
) -> dict[int, RoleActors]:
    return {
        ROLE_ADMINISTRATORS: admins,
        ROLE_DEVELOPERS: developers,
        ROLE_VIEWERS: viewers,
    }


DEMO_EPICS: dict[str, list[tuple[str, list[str]]]] = {
    "WEB": [
        (
            "Checkout redesign",
            [
                "One-page checkout form",
                "Address autocomplete",
                "Saved payment methods",
                "Order summary sidebar",
                "Guest checkout",
                "Promo code field validation",
                "Checkout analytics events",
                "Accessible error messages on checkout",
            ],
        ),
        (
            "Search relevance",
            [
                "Typo-tolerant product search",
                "Synonyms management screen",
                "Boost in-stock products",
                "Search result facets",
                "Recent searches dropdown",
                "Zero-results page suggestions",
                "Search latency dashboard",
            ],
        ),
        (
            "Accounts and login",
            [
                "Sign in with Google",
                "Passwordless email login",
                "Account deletion flow",
                "Session timeout warning",
                "Two-factor authentication setup",
                "Login rate limiting",
            ],
        ),
        (
            "Performance budget",
            [
                "Lazy-load product images",
                "Split vendor bundle",
                "Cache API responses at the edge",
                "Preload critical fonts",
                "Remove unused CSS",
                "Core Web Vitals reporting",
            ],
        ),
        (
            "Content management",
            [
                "Landing page builder",
                "Scheduled banner publishing",
                "Image cropping in editor",
                "Draft preview links",
                "Content approval workflow",
            ],
        ),
    ],
    "MOB": [
        (
            "Offline mode",
            [
                "Cache last viewed orders",
                "Queue actions while offline",
                "Offline banner",
                "Sync conflict resolution",
                "Background sync on reconnect",
                "Offline mode settings toggle",
            ],
        ),
        (
            "Push notifications",
            [
                "Order shipped notification",
                "Price drop alerts",
                "Notification preferences screen",
                "Deep links from notifications",
                "Quiet hours",
                "Notification delivery metrics",
            ],
        ),
        (
            "App store release 5.0",
            [
                "New onboarding carousel",
                "Dark mode",
                "Refresh app icons",
                "Release notes screen",
                "Store screenshots for 5.0",
                "Crash-free sessions above 99.5%",
                "Tablet layout",
            ],
        ),
        (
            "Payments SDK upgrade",
            [
                "Upgrade payments SDK to v4",
                "Apple Pay on iOS",
                "Google Pay on Android",
                "3-D Secure challenge screen",
                "Refund status in order details",
            ],
        ),
    ],
    "FIN": [
        (
            "Quarter close automation",
            [
                "Automate accrual journal entries",
                "Bank reconciliation import",
                "Intercompany elimination report",
                "Close checklist dashboard",
                "Variance commentary template",
            ],
        ),
        (
            "Vendor payments",
            [
                "Vendor onboarding form",
                "Invoice approval routing",
                "Duplicate invoice detection",
                "Payment run scheduling",
                "Remittance advice emails",
            ],
        ),
        (
            "Budget planning 2027",
            [
                "Department budget templates",
                "Headcount plan import",
                "Capex request workflow",
                "Budget vs actuals report",
            ],
        ),
    ],
}

DEMO_BUGS = {
    "WEB": [
        "Cart total rounds incorrectly for 3-decimal currencies",
        "Login page loops after password reset",
        "Search facets disappear on back navigation",
        "Checkout button unresponsive on Safari 17",
        "Broken product images on slow connections",
        "Promo code accepted after expiry",
        "Footer links 404 on the German site",
        "Screen reader announces price twice",
        "Address form clears on validation error",
        "Session cookie not renewed on activity",
        "Sitemap lists unpublished pages",
        "Duplicate analytics events on checkout",
    ],
    "MOB": [
        "App crashes when rotating during payment",
        "Push notification opens wrong order",
        "Offline banner stays after reconnect",
        "Dark mode text unreadable on order screen",
        "Android back button exits checkout",
        "Images flicker in product carousel",
        "Biometric login fails after OS update",
        "Order history empty for migrated accounts",
        "Tablet layout overlaps on split screen",
        "App icon badge count never resets",
    ],
    "FIN": [
        "Bank import skips lines with commas in memo",
        "Rounding differences in FX revaluation",
        "Approval email sent to former manager",
    ],
}

DEMO_TASKS = {
    "WEB": [
        "Upgrade frontend framework",
        "Rotate CDN certificates",
        "Write runbook for checkout incidents",
        "Clean up feature flags",
        "Update privacy policy links",
        "Set up visual regression tests",
        "Archive old A/B test dashboards",
        "Renew staging domain",
    ],
    "MOB": [
        "Bump minimum iOS version to 16",
        "Rotate push notification keys",
        "Update third-party licences screen",
        "Set up device farm for UI tests",
        "Translate new strings into French",
    ],
    "FIN": [
        "Collect Q3 receipts",
        "Update chart of accounts mapping",
        "Review vendor master data",
        "Renew audit tool licences",
        "Prepare auditor access",
        "Archive FY2024 ledgers",
    ],
}

SUBTASK_TEMPLATES = [
    "Design review",
    "Implement backend",
    "Implement UI",
    "Write tests",
    "Update documentation",
    "QA sign-off",
]


def build_demo() -> Site:
    """The hand-made demo site: 3 projects, ~300 issues, 12 users."""
    site = _base_site("demo", "Acme Corp Jira")
    groups = [
        Group(G_ADMINS, "site-admins"),
        Group(G_USERS, "jira-software-users"),
        Group(G_WEB, "web-team"),
        Group(G_MOBILE, "mobile-team"),
        Group(G_FINANCE, "finance"),
        Group(G_CONTRACTORS, "contractors"),
    ]
    site.groups = {g.group_id: g for g in groups}
    people = [
        (ADMIN, "Alice Adams", [G_ADMINS, G_USERS, G_WEB]),
        (BOB, "Bob Brown", [G_USERS, G_WEB]),
        (CAROL, "Carol Chen", [G_USERS, G_MOBILE]),
        (DAVE, "Dave Diaz", [G_USERS, G_MOBILE]),
        (ERIN, "Erin Evans", [G_USERS, G_FINANCE]),
        (FRANK, "Frank Fischer", [G_USERS, G_FINANCE]),
        (GRACE, "Grace Green", [G_USERS, G_WEB, G_MOBILE]),
        (HEIDI, "Heidi Hahn", [G_USERS]),
        (IVAN, "Ivan Ivanov", [G_USERS, G_WEB]),
        (JUDY, "Judy Jones", [G_USERS]),
        (CONTRACTOR, "Ken Kowalski (contractor)", [G_CONTRACTORS]),
        (NO_GROUP, "Nora Novak", []),
    ]
    for account_id, name, user_groups in people:
        email = name.split(" ")[0].lower() + "@acme.example"
        site.users[account_id] = User(account_id, name, email, groups=list(user_groups))
    site.teams = {
        t.id: t
        for t in (
            Team("36885b3c-1bf0-4f85-a357-c5b858c31de4", "Team Phoenix"),
            Team("7a1c2e47-5b0f-4d7e-9e6f-0c3b8b5d2a11", "Team Atlas"),
            Team("c0ffee00-2b8d-4c1a-9f00-5e2d6a7b8c99", "Team Ledger"),
        )
    }
    team_ids = list(site.teams)
    web = Project(
        10000,
        "WEB",
        "Web Platform",
        BOB,
        roles=_roles(
            RoleActors(users=[BOB], groups=[G_ADMINS]),
            RoleActors(users=[CONTRACTOR], groups=[G_WEB]),
            RoleActors(groups=[G_USERS]),
        ),
        versions=[
            Version(10100, "Web 2026.10", released=True, release_date="2026-10-15"),
            Version(10101, "Web 2026.12", release_date="2026-12-10"),
        ],
    )
    mob = Project(
        10001,
        "MOB",
        "Mobile App",
        CAROL,
        roles=_roles(
            RoleActors(users=[CAROL], groups=[G_ADMINS]),
            RoleActors(groups=[G_MOBILE]),
            RoleActors(groups=[G_USERS]),
        ),
        security_levels=[
            SecurityLevel(
                10200,
                "Mobile team only",
                "Unreleased work visible to the mobile team and admins",
                roles=[ROLE_DEVELOPERS, ROLE_ADMINISTRATORS, 10003],
                reporter=True,
            )
        ],
        versions=[
            Version(10102, "iOS/Android 4.9", released=True, release_date="2026-09-01"),
            Version(10103, "iOS/Android 5.0", release_date="2027-01-20"),
        ],
    )
    fin = Project(
        10002,
        "FIN",
        "Finance Operations",
        FRANK,
        project_type="business",
        roles=_roles(
            RoleActors(users=[FRANK]),
            RoleActors(groups=[G_FINANCE]),
            RoleActors(),
        ),
        versions=[Version(10104, "FY2026 close")],
    )
    site.projects = {p.id: p for p in (web, mob, fin)}
    rng = random.Random(20260101)
    maker = _IssueMaker(site, rng)
    teams_by_project = {
        "WEB": [team_ids[0], team_ids[1]],
        "MOB": [team_ids[1]],
        "FIN": [team_ids[2]],
    }
    staff = {
        "WEB": [BOB, IVAN, GRACE, ADMIN, CONTRACTOR],
        "MOB": [CAROL, DAVE, GRACE],
        "FIN": [ERIN, FRANK],
    }
    reporters = {
        "WEB": [GRACE, HEIDI, JUDY, BOB],
        "MOB": [GRACE, HEIDI, CAROL],
        "FIN": [FRANK, ERIN],
    }
    label_pool = [
        "frontend",
        "backend",
        "ux",
        "tech-debt",
        "customer-request",
        "security",
        "q4",
    ]
    for project in (web, mob, fin):
        key = project.key
        people_here = staff[key]
        versions = [v.id for v in project.versions]
        stories_made: list[Issue] = []
        for epic_index, (epic_name, stories) in enumerate(DEMO_EPICS[key]):
            epic = maker.make(
                project,
                EPIC,
                epic_name,
                reporter=rng.choice(reporters[key]),
                assignee=project.lead,
                labels=[label_pool[epic_index % len(label_pool)]],
                team_id=rng.choice(teams_by_project[key]),
                fix_version_ids=[versions[-1]],
                description=f"Goal: deliver {epic_name.lower()} this half-year.",
            )
            for prefix in ("Spike", "Rollout plan"):
                maker.make(
                    project,
                    TASK,
                    f"{prefix}: {epic_name}",
                    reporter=project.lead,
                    assignee=rng.choice(people_here),
                    parent=epic,
                    team_id=epic.team_id,
                )
            for story_name in stories:
                secret = key == "MOB" and epic_name == "App store release 5.0"
                story = maker.make(
                    project,
                    STORY,
                    story_name,
                    reporter=rng.choice(reporters[key]),
                    assignee=rng.choice([*people_here, None]),
                    parent=epic,
                    labels=rng.sample(label_pool, rng.randrange(0, 3)),
                    story_points=float(rng.choice((1, 2, 3, 5, 8, 13))),
                    team_id=epic.team_id,
                    fix_version_ids=[rng.choice(versions)],
                    security_level_id=10200 if secret else None,
                    description=f"As a customer I want {story_name.lower()}.",
                )
                stories_made.append(story)
                if rng.random() < 0.8:
                    for sub_name in rng.sample(SUBTASK_TEMPLATES, rng.randrange(1, 5)):
                        maker.make(
                            project,
                            SUBTASK,
                            f"{sub_name}: {story_name}",
                            reporter=story.reporter,
                            assignee=rng.choice(people_here),
                            parent=story,
                            security_level_id=story.security_level_id,
                        )
        for bug_name in DEMO_BUGS[key]:
            parent = rng.choice(stories_made) if rng.random() < 0.3 else None
            epic_parent = site_issue_parent_epic(maker, parent)
            maker.make(
                project,
                BUG,
                bug_name,
                reporter=rng.choice([HEIDI, *reporters[key]]),
                assignee=rng.choice([*people_here, None]),
                parent=epic_parent,
                labels=rng.sample(
                    ["regression", "customer-request", "security"], rng.randrange(0, 2)
                ),
                fix_version_ids=[rng.choice(versions)],
            )
        for task_name in DEMO_TASKS[key]:
            maker.make(
                project,
                TASK,
                task_name,
                reporter=rng.choice(reporters[key]),
                assignee=rng.choice(people_here),
                labels=["tech-debt"] if rng.random() < 0.4 else [],
            )
    maker.finish()
    _demo_links(site, rng)
    return site


def site_issue_parent_epic(maker: _IssueMaker, story: Issue | None) -> Issue | None:
    """The epic above a story, so a bug can sit under the same epic."""
    if story is None or story.parent_id is None:
        return None
    return next((i for i in maker.issues if i.id == story.parent_id), None)


def _demo_links(site: Site, rng: random.Random) -> None:
    by_type: dict[int, list[Issue]] = {}
    for issue in site.issues.values():
        by_type.setdefault(issue.issuetype_id, []).append(issue)
    stories = by_type[STORY]
    bugs = by_type[BUG]
    tasks = by_type[TASK]
    # Blocks: chains of stories inside one epic, and tasks blocking stories.
    for a, b in itertools.pairwise(stories):
        if a.parent_id == b.parent_id and rng.random() < 0.45:
            site.add_link(LINK_BLOCKS, a.id, b.id)
    for task in tasks:
        same = [s for s in stories if s.project_id == task.project_id]
        if same and rng.random() < 0.5:
            site.add_link(LINK_BLOCKS, task.id, rng.choice(same).id)
    # Relates: across projects too (web and mobile share features).
    for story in stories:
        if rng.random() < 0.3:
            other = rng.choice(stories)
            if other.id != story.id:
                site.add_link(LINK_RELATES, story.id, other.id)
    # Duplicates and clones among bugs.
    for a, b in zip(bugs, bugs[3:], strict=False):
        if a.project_id == b.project_id and rng.random() < 0.25:
            site.add_link(LINK_DUPLICATE, b.id, a.id)
    for bug in bugs:
        if rng.random() < 0.15:
            site.add_link(LINK_CLONES, bug.id, rng.choice(bugs).id)
    site.reindex()


def _project_key(index: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "G" + letters[index // 26 % 26] + letters[index % 26]


def build_generated(issues: int, seed: int) -> Site:
    """A site of `issues` issues, the same for the same seed."""
    if not 0 <= issues <= MAX_GENERATED_ISSUES:
        raise ValueError(f"issues must be between 0 and {MAX_GENERATED_ISSUES}")
    rng = random.Random(seed)
    site = _base_site(f"generated-{issues}-{seed}", "Generated Jira")
    site.groups = {
        g.group_id: g
        for g in (
            Group(G_ADMINS, "site-admins"),
            Group(G_USERS, "jira-software-users"),
            Group(G_CONTRACTORS, "contractors"),
        )
    }
    n_projects = max(3, min(60, issues // 4000 + 3))
    n_users = max(12, min(400, issues // 500 + 12))
    team_groups: list[str] = []
    for p in range(n_projects):
        gid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        site.groups[gid] = Group(gid, f"team-{_project_key(p).lower()}")
        team_groups.append(gid)
    user_ids: list[str] = []
    for u in range(n_users):
        account_id = f"6{rng.getrandbits(92):023x}"
        member_of = [G_USERS, team_groups[u % n_projects]]
        if u == 0:
            member_of.insert(0, G_ADMINS)
        if u == n_users - 2:
            member_of = [G_CONTRACTORS]
        if u == n_users - 1:
            member_of = []
        site.users[account_id] = User(
            account_id,
            f"User {u + 1:03d}",
            f"user{u + 1}@gen.example",
            groups=member_of,
        )
        user_ids.append(account_id)
    site.teams = {
        t.id: t
        for t in (
            Team(str(uuid.UUID(int=rng.getrandbits(128), version=4)), f"Team {i + 1}")
            for i in range(max(3, n_projects // 2))
        )
    }
    team_ids = list(site.teams)
    next_version = 10100
    for p in range(n_projects):
        pid = 10000 + p
        key = _project_key(p)
        restricted = p % 5 == 4
        versions = []
        for v in range(3):
            versions.append(
                Version(next_version, f"{key} release {v + 1}", released=v == 0)
            )
            next_version += 1
        project = Project(
            pid,
            key,
            f"Generated project {key}",
            user_ids[(p + 1) % (n_users - 2)],
            roles=_roles(
                RoleActors(groups=[G_ADMINS]),
                RoleActors(
                    groups=[team_groups[p]],
                    users=[user_ids[n_users - 2]] if p == 0 else [],
                ),
                RoleActors(groups=[] if restricted else [G_USERS]),
            ),
            versions=versions,
        )
        if p % 4 == 3:
            project.security_levels.append(
                SecurityLevel(
                    10200 + p,
                    "Team only",
                    "Visible to the project's team",
                    roles=[ROLE_DEVELOPERS, ROLE_ADMINISTRATORS, 10003],
                )
            )
        site.projects[pid] = project
    maker = _IssueMaker(site, rng)
    projects = list(site.projects.values())
    per_project = [issues // n_projects] * n_projects
    for i in range(issues - sum(per_project)):
        per_project[i] += 1
    for project, budget in zip(projects, per_project, strict=True):
        members = [
            u
            for i, u in enumerate(user_ids[:-2])
            if i % n_projects == project.id - 10000
        ] or user_ids[:3]
        level = project.security_levels[0].id if project.security_levels else None
        version_ids = [v.id for v in project.versions]
        made = 0
        while made < budget:
            epic = maker.make(
                project,
                EPIC,
                f"Epic {made + 1} of {project.key}",
                reporter=rng.choice(members),
                assignee=rng.choice(members),
                team_id=rng.choice(team_ids),
                fix_version_ids=[rng.choice(version_ids)],
            )
            made += 1
            for _ in range(min(budget - made, int(rng.paretovariate(1.2) * 6))):
                if made >= budget:
                    break
                issuetype = rng.choices((STORY, TASK, BUG), cum_weights=(60, 85, 100))[
                    0
                ]
                secret = level is not None and rng.random() < 0.1
                parent = epic if rng.random() < 0.85 else None
                story = maker.make(
                    project,
                    issuetype,
                    f"{('Story', 'Task', 'Bug')[issuetype - STORY]} {made + 1} of {project.key}",
                    reporter=rng.choice(members),
                    assignee=rng.choice([*members, None]),
                    parent=parent,
                    labels=rng.sample(
                        ("alpha", "beta", "gamma", "delta"), rng.randrange(0, 3)
                    ),
                    story_points=float(rng.choice((1, 2, 3, 5, 8)))
                    if issuetype == STORY
                    else None,
                    team_id=epic.team_id,
                    fix_version_ids=[rng.choice(version_ids)]
                    if rng.random() < 0.6
                    else [],
                    security_level_id=level if secret else None,
                )
                made += 1
                if rng.random() < 0.3:
                    for s in range(rng.randrange(1, 5)):
                        if made >= budget:
                            break
                        maker.make(
                            project,
                            SUBTASK,
                            f"Sub-task {s + 1} of {story.key}",
                            reporter=story.reporter,
                            assignee=rng.choice(members),
                            parent=story,
                            security_level_id=story.security_level_id,
                        )
                        made += 1
    maker.finish()
    all_issues = maker.issues
    n = len(all_issues)
    link_types = (LINK_BLOCKS, LINK_RELATES, LINK_DUPLICATE, LINK_CLONES)
    for _ in range(int(n * 0.25)):
        a = rng.randrange(n)
        # Mostly near neighbours (same project, same period), sometimes anywhere.
        b = a + rng.randrange(-50, 51) if rng.random() < 0.8 else rng.randrange(n)
        if b == a or not 0 <= b < n:
            continue
        type_id = rng.choices(link_types, cum_weights=(40, 80, 90, 100))[0]
        site.links[site.next_link_id] = IssueLink(
            site.next_link_id, type_id, all_issues[a].id, all_issues[b].id
        )
        site.next_link_id += 1
    site.reindex()
    return site


def build(dataset: str, *, issues: int = 10_000, seed: int = 1) -> Site:
    """Build a dataset by name: "demo" or "generated"."""
    if dataset == "demo":
        return build_demo()
    if dataset == "generated":
        return build_generated(issues, seed)
    raise ValueError(f"unknown dataset {dataset!r}: use 'demo' or 'generated'")
