from typing import Any

from django.core.management.base import BaseCommand

from auditing.services.audit_log import audit_checkpoint_write


class Command(BaseCommand):
    help = "Sign a checkpoint of the audit log's head now (beat does this hourly)."

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoint = audit_checkpoint_write()
        self.stdout.write(f"Checkpoint signed at #{checkpoint.seq}.")
