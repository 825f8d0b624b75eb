"""Structure Cloud: hierarchical boards of Jira issues, as a Jira Cloud app."""

from structure_cloud.celery import app as celery_app

__all__ = ("celery_app",)
