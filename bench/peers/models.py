"""The same forest row in the two usual Django tree libraries, for comparison only.

Tables are made with ``migrate --run-syncdb`` in the bench database (no migrations).
"""

from django.db import models
from mptt.models import MPTTModel, TreeForeignKey
from treebeard.mp_tree import MP_Node


class TreebeardRow(MP_Node):  # type: ignore[misc]  # treebeard ships no type hints
    item_type: "models.PositiveSmallIntegerField[int, int]" = (
        models.PositiveSmallIntegerField(default=0)
    )
    item_id: "models.BigIntegerField[int, int]" = models.BigIntegerField()

    node_order_by: list[str] = []

    def __str__(self) -> str:
        return f"{self.path} → {self.item_id}"


class MpttRow(MPTTModel):  # type: ignore[misc]  # mptt ships no type hints
    parent = TreeForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    item_type: "models.PositiveSmallIntegerField[int, int]" = (
        models.PositiveSmallIntegerField(default=0)
    )
    item_id: "models.BigIntegerField[int, int]" = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.pk} → {self.item_id}"
