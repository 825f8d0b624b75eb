"""Celery entry points of hierarchies: load by ID, call a selector, retry transient
errors."""

import logging

from celery import shared_task

from jira_sync.client import JiraError, JiraTransientError

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
    structure is gone or Jira failed for good: the progress then says "stopped")."""
    # Body imports: the selectors enqueue this task.
    from hierarchies.generators import selectors as gen_selectors
    from hierarchies.models import Structure

    structure = (
        Structure.objects.select_related("tenant").filter(pk=structure_id).first()
    )
    if structure is None:
        return 0
    try:
        generated = gen_selectors.structure_forest_generated(structure=structure)
    except JiraError as exc:
        transient = isinstance(exc, JiraTransientError)
        if transient and structure_generate.request.retries < MAX_RETRIES:
            raise  # retried later (autoretry_for)
        logger.warning("generation of structure %s failed: %s", structure_id, exc)
        gen_selectors.generation_failed_record(
            structure=structure,
            message=(
                "Jira did not answer in time"
                if transient
                else "Jira answered with an error"
            )
            + ", so the generated rows are missing. Refresh in a minute to try again.",
        )
        return 0
    logger.info(
        "generated %d rows of structure %s (complete: %s)",
        len(generated.rows),
        structure_id,
        generated.complete,
    )
    return len(generated.rows)
