from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView

from auditing.admin_site import site as admin_site
from jira_sync import apis as jira_sync_apis
from jira_sync import views as jira_sync_views
from structure_cloud import views

api_v1: list[URLPattern | URLResolver] = [
    path("me", jira_sync_apis.MeApi.as_view(), name="me"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("", include("hierarchies.urls")),
    path("", include("boards.api_urls")),
]

# On-call engineers only (staff, on-call group, TOTP); it also serves what other apps
# registered on the default site.
admin_site.adopt(admin.site)

urlpatterns = [
    path("atlassian-connect.json", jira_sync_views.descriptor, name="descriptor"),
    path("connect/", include("jira_sync.urls")),
    path("board/", include("boards.urls")),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin_site.urls),
]
