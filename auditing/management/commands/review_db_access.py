from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from auditing.management.base import EngineerCommand
from auditing.services.db_access import (
    DbAccessError,
    db_access_post_review,
    db_access_review,
)


class Command(EngineerCommand):
    help = (
        "Approve or deny a pending access request, or (--post-use) sign off an "
        "ended grant. Never your own request."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("request_id", type=int)
        self.add_engineer_argument(parser)
        decision = parser.add_mutually_exclusive_group(required=True)
        decision.add_argument("--approve", action="store_true")
        decision.add_argument("--deny", action="store_true")
        decision.add_argument("--post-use", action="store_true")
        parser.add_argument("--comment", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        engineer = self.engineer(options["engineer"])
        try:
            if options["post_use"]:
                request = db_access_post_review(
                    request_id=options["request_id"],
                    reviewer=engineer,
                    comment=options["comment"],
                )
                self.stdout.write(f"Request #{request.pk} reviewed after use.")
                return
            request = db_access_review(
                request_id=options["request_id"],
                reviewer=engineer,
                approve=options["approve"],
                comment=options["comment"],
            )
        except DbAccessError as exc:
            raise CommandError(str(exc)) from exc
        if request.state == request.State.ISSUED:
            self.stdout.write(
                f"Request #{request.pk} approved: role {request.role_name} issued until "
                f"{request.access_expires_at:%Y-%m-%d %H:%M %Z}. "
                f"The requester runs: manage.py show_db_access {request.pk}"
            )
        else:
            self.stdout.write(f"Request #{request.pk} is {request.state}.")
