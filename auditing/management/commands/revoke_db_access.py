from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from auditing.management.base import EngineerCommand
from auditing.services.db_access import DbAccessError, db_access_revoke


class Command(EngineerCommand):
    help = "End a live grant now: NOLOGIN, terminate its sessions, drop the role."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("request_id", type=int)
        self.add_engineer_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        engineer = self.engineer(options["engineer"])
        try:
            result = db_access_revoke(request_id=options["request_id"], actor=engineer)
        except DbAccessError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Request #{result.request.pk} revoked; "
            f"{result.sessions_terminated} session(s) terminated."
        )
