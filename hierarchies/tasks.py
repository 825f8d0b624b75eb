"""Celery entry points of hierarchies: load by ID, call a selector, retry transient
errors."""

import logging

from celery import shared_task

from jira_sync.client import JiraTransientError

logger = logging.getLogger(__name__)

MAX_RETRIES = 3


@shared_task(
    autoretry_for=(JiraTransientError,),
    retry_backoff=True,
    retry_backoff_max=30,
    max_retries=MAX_RETRIES,
)
def structure_generate(structure_id: int) -> int:
    """Run a structure's generators and fill the result cache (the board polls the
    progress meanwhile). Idempotent: a cached result or a generation already running
    elsewhere is reused. Returns the number of generated-forest rows (0 when the
    structure is gone)."""
    # Body imports: the selectors enqueue this task.
    from hierarchies.generators import selectors as gen_selectors
    from hierarchies.models import Structure

    structure = (
        Structure.objects.select_related("tenant").filter(pk=structure_id).first()
    )
    if structure is None:
        return 0
    generated = gen_selectors.structure_forest_generated(structure=structure)
    logger.info(
        "generated %d rows of structure %s (complete: %s)",
        len(generated.rows),
        structure_id,
        generated.complete,
    )
    return len(generated.rows)
