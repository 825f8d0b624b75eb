from django.urls import path

from jira_sync import views

app_name = "jira_sync"

urlpatterns = [
    path("installed", views.installed, name="installed"),
    path("uninstalled", views.uninstalled, name="uninstalled"),
    path("enabled", views.enabled, name="enabled"),
    path("disabled", views.disabled, name="disabled"),
    path("webhooks/<slug:event>", views.webhook, name="webhook"),
]
