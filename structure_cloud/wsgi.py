"""WSGI entry point (gunicorn structure_cloud.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "structure_cloud.settings")

application = get_wsgi_application()
