from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from auditing.management.base import EngineerCommand
from auditing.services.db_access import (
    DbAccessError,
    db_access_request_create,
    ttl_parse,
)


class Command(EngineerCommand):
    help = "Request temporary database credentials (pending until reviewed)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        self.add_engineer_argument(parser)
        parser.add_argument("--reason", required=True)
        parser.add_argument("--ticket", required=True, help="e.g. OPS-123")
        parser.add_argument("--ttl", default="30m", help="e.g. 30m, 2h (capped)")
        parser.add_argument("--scope", choices=["read", "write"], default="read")
        parser.add_argument("--tenant", default="", help="limit to one client key")

    def handle(self, *args: Any, **options: Any) -> None:
        engineer = self.engineer(options["engineer"])
        try:
            request = db_access_request_create(
                requester=engineer,
                reason=options["reason"],
                ticket=options["ticket"],
                scope=options["scope"],
                ttl_seconds=ttl_parse(options["ttl"]),
                tenant_key=options["tenant"],
                os_user=self.os_user(),
            )
        except DbAccessError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Request #{request.pk} is pending review until "
            f"{request.pending_expires_at:%Y-%m-%d %H:%M %Z}."
        )
