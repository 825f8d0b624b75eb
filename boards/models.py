"""Views: named column configurations of a structure, with their own permissions.

A view stores column settings only (kinds, Jira field IDs, aggregation, progress mode),
never Jira data. View levels are NONE < USE < UPDATE < MANAGE (the incumbent's view
permissions): USE shows the view, UPDATE saves changes to it, MANAGE also renames,
shares and deletes it. The owner always has MANAGE.
"""

from django.db import models

from hierarchies.models import RuleSubject, Structure
from jira_sync.models import Tenant


class ViewLevel(models.IntegerChoices):
    NONE = 0, "None"
    USE = 10, "Use"
    UPDATE = 20, "Update"
    MANAGE = 30, "Manage"


VIEW_LEVEL_NAMES: dict[int, str] = {level.value: level.name for level in ViewLevel}
VIEW_LEVELS_BY_NAME: dict[str, ViewLevel] = {level.name: level for level in ViewLevel}


class View(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    structure = models.ForeignKey(
        Structure, on_delete=models.CASCADE, related_name="board_views"
    )
    name = models.CharField(max_length=100)
    owner_account_id = models.CharField(max_length=128)
    columns = models.JSONField(default=list)
    # Rows at a depth below this are expanded when the board opens (1: top level open).
    expand_depth = models.PositiveSmallIntegerField(default=1)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["structure"],
                condition=models.Q(is_default=True),
                name="one_default_view_per_structure",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} (#{self.pk})"


class ViewPermission(RuleSubject):
    """Who may use, update or manage a view (the highest matching rule wins)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    view = models.ForeignKey(View, on_delete=models.CASCADE, related_name="rules")
    level = models.PositiveSmallIntegerField(choices=ViewLevel.choices)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return (
            f"{self.subject_type} {VIEW_LEVEL_NAMES[self.level]} on view {self.view_id}"
        )
