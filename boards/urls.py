"""Iframe pages under /board/ (the JSON API is in boards.api_urls)."""

from django.urls import path

from boards import views

app_name = "boards"

urlpatterns = [
    path("", views.structure_list, name="list"),
    path("<int:structure_id>/", views.board_detail, name="detail"),
    path("project/", views.project_page, name="project"),
    path("issue-panel/", views.issue_panel, name="issue-panel"),
]
