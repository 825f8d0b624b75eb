"""The API's error shape for Jira failures: a 503 with Retry-After, never a 500."""

import pytest

from jira_sync.client import (
    JiraAuthError,
    JiraHostNotAllowed,
    JiraRateLimited,
    JiraUnavailable,
)
from structure_cloud.api_errors import exception_handler


@pytest.mark.parametrize(
    ("exc", "retry_after"),
    [
        (JiraUnavailable("GET /x: HTTP 502 after 5 attempt(s)"), "30"),
        (JiraUnavailable("timeout", retry_after_s=4.2), "5"),
        (JiraRateLimited("429", retry_after_s=0.2), "1"),
        (JiraRateLimited("429", retry_after_s=86_400), "300"),
        (JiraAuthError("GET /x: HTTP 401"), "30"),
        (JiraHostNotAllowed("host 'evil.example' is not allowed"), "30"),
    ],
)
def test_jira_failures_are_a_503_with_retry_after(exc, retry_after):
    response = exception_handler(exc, {})
    assert response is not None
    assert response.status_code == 503
    assert response.data == {"error": "Jira is unavailable, try again shortly"}
    assert response["Retry-After"] == retry_after
    # Jira's own wording (paths, hosts) stays in the logs, not in the answer.
    assert "HTTP" not in str(response.data)
    assert "evil" not in str(response.data)
