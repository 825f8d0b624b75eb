import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from auditing.verification import audit_log_verify, checkpoint_records_parse


class Command(BaseCommand):
    help = (
        "Verify the audit log's hash chain, entry MACs and signed checkpoints; "
        "names the first bad entry. Exit status 1 when the log was tampered with."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--external",
            help="JSON-lines file of checkpoints kept outside the database "
            "(AUDIT_CHECKPOINT_FILE or shipped logs)",
        )
        parser.add_argument(
            "--require-fresh",
            action="store_true",
            help="also fail when no checkpoint was signed recently",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        external = None
        if options["external"]:
            with open(options["external"], encoding="utf-8") as fh:
                external = checkpoint_records_parse(
                    json.loads(line) for line in fh if line.strip()
                )
        report = audit_log_verify(external=external)
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        if report.ok and not (options["require_fresh"] and report.warnings):
            self.stdout.write(
                f"OK: {report.entries} entries, {report.checkpoints} checkpoints, "
                f"head #{report.last_seq}."
            )
            return
        for problem in report.problems:
            self.stdout.write(problem.message)
        first = report.first_bad
        raise CommandError(
            f"audit log FAILED verification; first bad entry: #{first.seq}"
            if first
            else "audit log FAILED verification: no recent signed checkpoint"
        )
