"""Celery application: configuration from Django settings (CELERY_*), tasks per app."""

import os

from celery import Celery
from celery.app.task import Task

# celery-types makes Task generic for mypy; at runtime Celery needs this to subscript it
# (the stubs' documented monkeypatch).
Task.__class_getitem__ = classmethod(lambda cls, *args, **kwargs: cls)  # type: ignore[attr-defined]

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "structure_cloud.settings")

app = Celery("structure_cloud")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
