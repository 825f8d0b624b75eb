"""`manage.py seed_demo`: demo structures for the simulator's site (idempotent)."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from boards.demo import demo_structures_seed
from jira_sync.models import Tenant


class Command(BaseCommand):
    help = (
        "Create the demo structures (Release plan, Finance close) for an installed "
        "site, once; waits for the install when --wait is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default="",
            help="baseUrl of the site (default: the only installed site)",
        )
        parser.add_argument(
            "--wait",
            type=float,
            default=0.0,
            help="seconds to wait for the site to install the app",
        )

    def _tenant(self, base_url: str) -> Tenant | None:
        tenants = Tenant.objects.exclude(state=Tenant.State.UNINSTALLED)
        if base_url:
            tenants = tenants.filter(base_url=base_url.rstrip("/"))
        found = list(tenants.order_by("-installed_at")[:2])
        if len(found) > 1 and not base_url:
            raise CommandError("Several sites are installed; name one with --base-url.")
        return found[0] if found else None

    def handle(self, *args: Any, **options: Any) -> None:
        deadline = time.monotonic() + options["wait"]
        tenant = self._tenant(options["base_url"])
        while tenant is None and time.monotonic() < deadline:
            time.sleep(0.5)
            tenant = self._tenant(options["base_url"])
        if tenant is None:
            raise CommandError(
                "No installed site yet: start the simulator with --app-url."
            )
        created = demo_structures_seed(tenant=tenant)
        for structure in created:
            self.stdout.write(
                f"Created demo structure {structure.name!r} (#{structure.pk})."
            )
        if not created:
            self.stdout.write("Demo structures already exist; nothing to do.")
