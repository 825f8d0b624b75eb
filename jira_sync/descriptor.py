"""The Connect app descriptor served at /atlassian-connect.json."""

from typing import Any

from django.conf import settings

# Connect scopes of the REST calls jira_sync makes (x-atlassian-connect-scope in
# ../shared/jira/jira-platform-subset.json): READ for search, fields, users, roles and
# permission checks; WRITE because POST /rest/api/3/issue/bulkfetch declares WRITE.
SCOPES = ["READ", "WRITE"]
BOARD_PAGE_MODULE = "structure-board"  # the key of the one-board general page

WEBHOOK_EVENTS = [
    "jira:issue_created",
    "jira:issue_updated",
    "jira:issue_deleted",
    "issuelink_created",
    "issuelink_deleted",
]


def descriptor_build() -> dict[str, Any]:
    """The descriptor for this deployment (key and baseUrl from settings)."""
    base_url = settings.APP_BASE_URL
    return {
        "key": settings.APP_KEY,
        "name": settings.APP_NAME,
        "description": "Hierarchical boards of Jira issues: structures, totals, progress.",
        "vendor": {"name": "Structure Cloud", "url": base_url},
        "baseUrl": base_url,
        "links": {"self": f"{base_url}/atlassian-connect.json"},
        "authentication": {"type": "jwt"},
        "apiVersion": 1,
        "lifecycle": {
            "installed": "/connect/installed",
            "uninstalled": "/connect/uninstalled",
            "enabled": "/connect/enabled",
            "disabled": "/connect/disabled",
        },
        "scopes": SCOPES,
        "apiMigrations": {"gdpr": True, "signed-install": True, "context-qsh": True},
        "modules": {
            "generalPages": [
                {
                    "key": "structures",
                    "name": {"value": settings.APP_NAME},
                    "url": "/board/",
                    "location": "system.top.navigation.bar",
                    "conditions": [{"condition": "user_is_logged_in"}],
                },
                {
                    # One board as a full Jira page, opened from the issue panel with
                    # AP.navigator.go("addonmodule", {customData: {structureId}}).
                    "key": BOARD_PAGE_MODULE,
                    "name": {"value": settings.APP_NAME},
                    "url": "/board/{ac.structureId}/",
                    "location": "none",
                    "conditions": [{"condition": "user_is_logged_in"}],
                },
            ],
            "jiraProjectPages": [
                {
                    "key": "project-structures",
                    "name": {"value": settings.APP_NAME},
                    "url": "/board/project/?projectKey={project.key}&projectId={project.id}",
                    "iconUrl": "/static/jira_sync/icon.svg",
                    "weight": 100,
                }
            ],
            "webPanels": [
                {
                    "key": "issue-structures",
                    "name": {"value": "Structures"},
                    "url": "/board/issue-panel/?issueKey={issue.key}&issueId={issue.id}",
                    "location": "atl.jira.view.issue.right.context",
                    "conditions": [{"condition": "user_is_logged_in"}],
                }
            ],
            "webhooks": [
                {
                    "event": event,
                    "url": f"/connect/webhooks/{event.replace(':', '_')}",
                    "excludeBody": False,
                }
                for event in WEBHOOK_EVENTS
            ],
        },
    }
