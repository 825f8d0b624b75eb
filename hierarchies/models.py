"""Structures, their permission rules, folders, generator configurations, favorites,
and the stored forest (chunks and versions; see `hierarchies.forest` for why).

Every model carries its tenant, so every query can be scoped to the caller's tenant.
Nothing here holds Jira field data: issues appear by numeric ID only.
"""

from django.db import models

from jira_sync.models import Tenant


class Level(models.IntegerChoices):
    """Access levels, ordered: a higher level includes every lower one."""

    NONE = 0, "None"
    VIEW = 10, "View"
    EDIT = 20, "Edit"
    AUTOMATE = 30, "Automate"
    CONTROL = 40, "Control"


LEVEL_NAMES: dict[int, str] = {level.value: level.name for level in Level}
LEVELS_BY_NAME: dict[str, Level] = {level.name: level for level in Level}


class Structure(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="", max_length=4000)
    owner_account_id = models.CharField(max_length=128)
    archived = models.BooleanField(default=False)
    # Optimistic concurrency: every forest write names the version it was based on.
    version = models.PositiveIntegerField(default=1)
    # Packed int64 chunk IDs of the current forest, in order (hierarchies.forest).
    manifest = models.BinaryField(default=b"")
    row_count = models.PositiveIntegerField(default=0)
    next_row_id = models.BigIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["tenant", "owner_account_id"])]

    def __str__(self) -> str:
        return f"{self.name} (#{self.pk})"


class RuleSubject(models.Model):
    """Who a permission rule is about: a user, a group, a project role, or everyone.

    Shared by structure rules and view rules (boards), matched by
    `hierarchies.permissions.rule_matches`.
    """

    class Subject(models.TextChoices):
        USER = "user", "User"
        GROUP = "group", "Group"
        PROJECT_ROLE = "projectRole", "Project role"
        EVERYONE = "everyone", "Everyone"

    subject_type = models.CharField(max_length=16, choices=Subject.choices)
    account_id = models.CharField(max_length=128, blank=True, default="")
    group_name = models.CharField(max_length=255, blank=True, default="")
    project_id = models.BigIntegerField(null=True, blank=True)
    role_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        abstract = True


class PermissionRule(RuleSubject):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    structure = models.ForeignKey(
        Structure, on_delete=models.CASCADE, related_name="rules"
    )
    level = models.PositiveSmallIntegerField(choices=Level.choices)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["tenant", "subject_type", "account_id"]),
            models.Index(fields=["tenant", "subject_type", "group_name"]),
        ]

    def __str__(self) -> str:
        return f"{self.subject_type} → {LEVEL_NAMES[self.level]}"


class Folder(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    structure = models.ForeignKey(
        Structure, on_delete=models.CASCADE, related_name="folders"
    )
    name = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class GeneratorConfig(models.Model):
    class Kind(models.TextChoices):
        INSERT_JQL = "insert.jql", "Insert: JQL query"
        INSERT_TEXT = "insert.text", "Insert: text query"
        INSERT_CHILDREN = "insert.children", "Insert: child issues of an issue"
        EXTEND_LINKS = "extend.links", "Extend: linked issues"
        EXTEND_SUBTASKS = "extend.subtasks", "Extend: sub-tasks"
        EXTEND_CHILDREN = "extend.children", "Extend: child issues"
        FILTER_JQL = "filter.jql", "Filter: JQL"
        FILTER_DUPLICATES = "filter.duplicates", "Filter: duplicates"
        GROUP_FIELD = "group.field", "Group: by field"
        SORT_FIELD = "sort.field", "Sort: by field"
        SORT_RANK = "sort.rank", "Sort: by rank"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    structure = models.ForeignKey(
        Structure, on_delete=models.CASCADE, related_name="generators"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    config = models.JSONField(default=dict)
    created_by = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} (#{self.pk})"


class Favorite(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    structure = models.ForeignKey(
        Structure, on_delete=models.CASCADE, related_name="favorites"
    )
    account_id = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "account_id"], name="favorite_once_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} ★ {self.structure_id}"


class ForestChunk(models.Model):
    """Consecutive forest rows, packed; immutable once written (see hierarchies.forest)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="+")
    size = models.PositiveIntegerField()
    data = models.BinaryField()

    def __str__(self) -> str:
        return f"chunk #{self.pk} ({self.size} rows)"


class ForestVersion(models.Model):
    """One entry of a structure's history: the forest after a change, and who made it."""

    class Kind(models.TextChoices):
        CREATE = "create", "Created"
        UPDATE = "update", "Rows changed"
        UNDO = "undo", "Undo"
        FOLDER = "folder", "Folder added or removed"
        GENERATOR = "generator", "Generator added or removed"
        RULE = "rule", "Generated row moved"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    structure = models.ForeignKey(
        Structure, on_delete=models.CASCADE, related_name="versions"
    )
    version = models.PositiveIntegerField()
    manifest = models.BinaryField(default=b"")
    row_count = models.PositiveIntegerField(default=0)
    next_row_id = models.BigIntegerField(default=1)
    actor = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    summary = models.JSONField(default=dict, blank=True)
    touches_generators = models.BooleanField(default=False)
    # Undo bookkeeping: an undo entry names the version it reverted; a reverted change
    # is marked so the next undo reaches further back.
    reverts = models.PositiveIntegerField(null=True, blank=True)
    undone = models.BooleanField(default=False)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "version"], name="forest_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.structure_id} v{self.version} ({self.kind})"


class GeneratedRowRule(models.Model):
    """A manual move of a generated row, stored relative to the generated content.

    Generated rows are computed, so a move cannot edit them: it is kept as "put issue
    `issue_id` under `under`, after `after`", where both name items, not rows:
    ``row:<static row id>``, ``issue:<issue id>`` (a generated issue row),
    ``group:<group key>``, or ``""`` (the top level; the first place). The engine
    applies the rules after sorting; while an anchor is absent from the generated
    result the rule is ignored and the row stays where generation put it. `version` is
    the history entry that recorded the move: undoing it deletes the rule.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    structure = models.ForeignKey(
        Structure, on_delete=models.CASCADE, related_name="row_rules"
    )
    issue_id = models.BigIntegerField()
    under = models.CharField(max_length=300, blank=True, default="")
    after = models.CharField(max_length=300, blank=True, default="")
    version = models.PositiveIntegerField()
    actor = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["version", "id"]
        indexes = [models.Index(fields=["structure", "version"])]

    def __str__(self) -> str:
        return f"issue {self.issue_id} → under {self.under or 'top'} after {self.after or '-'}"
