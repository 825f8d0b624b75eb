from typing import Any

from django.core.management.base import BaseCommand

from auditing.anomalies import anomalies_detect


class Command(BaseCommand):
    help = "Run the anomaly rules now; prints the new alerts (existing ones are kept)."

    def handle(self, *args: Any, **options: Any) -> None:
        alerts = anomalies_detect()
        for alert in alerts:
            self.stdout.write(str(alert))
        self.stdout.write(f"{len(alerts)} new alert(s).")
