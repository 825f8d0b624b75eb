from django.apps import AppConfig


class AuditingConfig(AppConfig):
    name = "auditing"
    verbose_name = "Auditing and access"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from auditing import signals  # noqa: F401  (connects the login receivers)
        from auditing.tenant_tables import tenant_tables_post_migrate

        # A column added to a registered tenant table is granted after migrate.
        post_migrate.connect(
            tenant_tables_post_migrate,
            sender=self,
            dispatch_uid="auditing.tenant_tables_refresh",
        )
