from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from auditing.management.base import EngineerCommand
from auditing.services.db_access import DbAccessError, db_access_credentials_reveal


class Command(EngineerCommand):
    help = (
        "Print the connection URI of an issued grant, once, to its requester; "
        "the URI is the last line."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("request_id", type=int)
        self.add_engineer_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        engineer = self.engineer(options["engineer"])
        try:
            uri = db_access_credentials_reveal(
                request_id=options["request_id"], engineer=engineer
            )
        except DbAccessError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            "Shown once; it is not stored any more. Every session is logged and ends "
            "when the grant does."
        )
        self.stdout.write(uri)
