from django.apps import AppConfig


class JiraSyncConfig(AppConfig):
    name = "jira_sync"
    verbose_name = "Jira tenants and sync"
