from django.apps import AppConfig


class AuditingConfig(AppConfig):
    name = "auditing"
    verbose_name = "Auditing and access"

    def ready(self) -> None:
        from auditing import signals  # noqa: F401  (connects the login receivers)
