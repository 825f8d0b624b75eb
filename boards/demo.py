"""Demo structures for a freshly installed site (`manage.py seed_demo`).

Built from what Jira answers (epics, then their children by the Parent field), so it
works on the simulator's demo dataset and on any site with epics. Idempotent: a demo
structure that exists (same tenant, owner and name) is left as it is.
"""

from dataclasses import dataclass

from django.db import transaction

from boards import services as board_services
from boards.columns import STORY_POINTS_FIELD
from hierarchies import selectors as hierarchies_selectors
from hierarchies import services as hierarchies_services
from hierarchies.forest import ITEM_FOLDER, ITEM_ISSUE, AddAction
from hierarchies.models import Level, Structure
from hierarchies.permissions import Rule
from jira_sync import selectors as jira_selectors
from jira_sync.models import Tenant

DEMO_OWNER = "structure-cloud-demo"
# The demo site's administrators control the seeded structures, so the demo shows
# sharing (Alice) next to editing (the project teams) and viewing (everyone).
DEMO_CONTROL = Rule(subject_type="group", level=Level.CONTROL, group_name="site-admins")
MAX_EPICS = 12


@dataclass(frozen=True)
class DemoSpec:
    name: str
    description: str
    projects: tuple[str, ...]
    editors_group: str
    folders_by_project: bool


DEMO_SPECS = (
    DemoSpec(
        name="Release plan",
        description="Epics, their stories and sub-tasks across Web and Mobile, "
        "with Σ story points and progress weighted by story points.",
        projects=("WEB", "MOB"),
        editors_group="web-team",
        folders_by_project=True,
    ),
    DemoSpec(
        name="Finance close",
        description="The finance project's epics and their work.",
        projects=("FIN",),
        editors_group="finance",
        folders_by_project=False,
    ),
)

RELEASE_COLUMNS = [
    {"kind": "summary"},
    {"kind": "key"},
    {"kind": "status"},
    {"kind": "assignee"},
    {"kind": "priority"},
    {"kind": "field", "fieldId": STORY_POINTS_FIELD, "title": "Story points"},
    {
        "kind": "total",
        "fieldId": STORY_POINTS_FIELD,
        "agg": "sum",
        "title": "Σ Story points",
    },
    {"kind": "progress", "mode": "resolution", "weightField": STORY_POINTS_FIELD},
    {"kind": "leaves", "title": "Leaves"},
]
STATUS_COLUMNS = [
    {"kind": "summary"},
    {"kind": "key"},
    {"kind": "status"},
    {"kind": "assignee"},
    {"kind": "issues", "title": "Issues"},
    {"kind": "progress", "mode": "status", "title": "Progress (status)"},
]


def _children(tenant: Tenant, parent_ids: list[int]) -> dict[int, list[int]]:
    """Child issue IDs per parent, in rank order (one search per parent)."""
    found: dict[int, list[int]] = {}
    for parent_id in parent_ids:
        found[parent_id] = jira_selectors.issue_ids_search(
            tenant=tenant, jql=f"parent = {parent_id} ORDER BY rank ASC"
        )
    return found


def _actions_for(
    tenant: Tenant, spec: DemoSpec, structure: Structure
) -> list[AddAction]:
    actions: list[AddAction] = []
    temp = -1
    last_top: int | None = None
    for project in spec.projects:
        epics = jira_selectors.issue_ids_search(
            tenant=tenant,
            jql=f'project = "{project}" AND issuetype = Epic ORDER BY rank ASC',
            limit=MAX_EPICS,
        )
        if not epics:
            continue
        under: int | None = None
        if spec.folders_by_project:
            folder, _ = hierarchies_services.folder_create(
                structure=structure, actor=DEMO_OWNER, name=f"{project} release"
            )
            actions.append(AddAction(ITEM_FOLDER, folder.pk, None, last_top, temp))
            under = temp
            last_top = temp
            temp -= 1
        stories = _children(tenant, epics)
        subtasks = _children(tenant, [s for ids in stories.values() for s in ids])
        previous_epic: int | None = None
        for epic in epics:
            after = (
                previous_epic
                if spec.folders_by_project
                else (previous_epic or last_top)
            )
            actions.append(AddAction(ITEM_ISSUE, epic, under, after, temp))
            epic_row = temp
            temp -= 1
            previous_epic = epic_row
            if not spec.folders_by_project:
                last_top = epic_row
            previous_story: int | None = None
            for story in stories.get(epic, []):
                actions.append(
                    AddAction(ITEM_ISSUE, story, epic_row, previous_story, temp)
                )
                story_row = temp
                temp -= 1
                previous_story = story_row
                previous_sub: int | None = None
                for sub in subtasks.get(story, []):
                    actions.append(
                        AddAction(ITEM_ISSUE, sub, story_row, previous_sub, temp)
                    )
                    previous_sub = temp
                    temp -= 1
    return actions


@transaction.atomic
def demo_structure_create(*, tenant: Tenant, spec: DemoSpec) -> Structure | None:
    """One demo structure with its forest, rules and views; None if it exists."""
    if Structure.objects.filter(
        tenant=tenant, owner_account_id=DEMO_OWNER, name=spec.name
    ).exists():
        return None
    structure = hierarchies_services.structure_create(
        tenant=tenant, actor=DEMO_OWNER, name=spec.name, description=spec.description
    )
    hierarchies_services.permission_rules_replace(
        structure=structure,
        actor=DEMO_OWNER,
        rules=[
            Rule(subject_type="everyone", level=Level.VIEW),
            Rule(subject_type="group", level=Level.EDIT, group_name=spec.editors_group),
            DEMO_CONTROL,
        ],
    )
    actions = _actions_for(tenant, spec, structure)
    if actions:
        hierarchies_services.forest_update(
            structure=structure,
            actor=DEMO_OWNER,
            version=structure.version,
            actions=actions,
        )
    owner_access = hierarchies_selectors.StructureAccess(structure, Level.CONTROL)
    board_services.view_create(
        structure_access=owner_access,
        actor=DEMO_OWNER,
        name="Planning",
        columns=RELEASE_COLUMNS,
        expand_depth=1,
        public=True,
        make_default=True,
    )
    board_services.view_create(
        structure_access=owner_access,
        actor=DEMO_OWNER,
        name="Status overview",
        columns=STATUS_COLUMNS,
        expand_depth=2,
        public=True,
    )
    return structure


BUGS_NAME = "Open bugs by status"


@transaction.atomic
def demo_generated_structure_create(*, tenant: Tenant) -> Structure | None:
    """A structure filled by generators: open bugs (JQL), grouped by status."""
    if Structure.objects.filter(
        tenant=tenant, owner_account_id=DEMO_OWNER, name=BUGS_NAME
    ).exists():
        return None
    structure = hierarchies_services.structure_create(
        tenant=tenant,
        actor=DEMO_OWNER,
        name=BUGS_NAME,
        description="Generated: every unresolved bug, grouped by status.",
    )
    hierarchies_services.permission_rules_replace(
        structure=structure,
        actor=DEMO_OWNER,
        rules=[Rule(subject_type="everyone", level=Level.VIEW), DEMO_CONTROL],
    )
    _, written = hierarchies_services.folder_create(
        structure=structure,
        actor=DEMO_OWNER,
        name="Open bugs",
        placement=hierarchies_services.Placement(),
        version=structure.version,
    )
    folder_row = written.row_id if written else None
    version = written.version if written else structure.version
    for kind, config in (
        ("insert.jql", {"jql": "issuetype = Bug AND resolution IS EMPTY"}),
        ("group.field", {"fieldId": "status"}),
    ):
        _, placed = hierarchies_services.generator_create(
            structure=structure,
            actor=DEMO_OWNER,
            kind=kind,
            config=config,
            placement=hierarchies_services.Placement(under=folder_row),
            version=version,
        )
        version = placed.version if placed else version
    board_services.view_create(
        structure_access=hierarchies_selectors.StructureAccess(
            structure, Level.CONTROL
        ),
        actor=DEMO_OWNER,
        name="Triage",
        columns=STATUS_COLUMNS,
        expand_depth=3,
        public=True,
        make_default=True,
    )
    return structure


def demo_structures_seed(*, tenant: Tenant) -> list[Structure]:
    """Create the demo structures that do not exist yet; returns the new ones."""
    created = []
    for spec in DEMO_SPECS:
        structure = demo_structure_create(tenant=tenant, spec=spec)
        if structure is not None:
            created.append(structure)
    generated = demo_generated_structure_create(tenant=tenant)
    if generated is not None:
        created.append(generated)
    return created
