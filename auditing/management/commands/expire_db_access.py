from typing import Any

from django.core.management.base import BaseCommand

from auditing.services.db_access import db_access_expire_all


class Command(BaseCommand):
    help = (
        "End expired or revoked grants (NOLOGIN, terminate sessions, drop the role), "
        "expire stale pending requests, drop orphan temporary roles. Safe to rerun."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = db_access_expire_all()
        self.stdout.write(
            f"pending expired: {result.pending_expired}; grants ended: "
            f"{result.grants_ended}; sessions terminated: "
            f"{result.sessions_terminated}; orphan roles dropped: "
            f"{len(result.orphans_dropped)}"
        )
        for name in result.orphans_dropped:
            self.stdout.write(f"  dropped orphan role {name}")
