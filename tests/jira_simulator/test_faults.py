"""Rate limits and injected faults, as the app's HTTP client will meet them."""

from __future__ import annotations

import datetime as dt

import pytest
import requests  # noqa: TID251 (the tests play the app and the browser over HTTP)

from jira_simulator.faults import FaultConfigError, Faults, parse_rate


def test_rate_limit_answers_429_with_jira_headers(sim, jira):
    sim.set_faults(rate_limit_per_s=0.01, rate_limit_burst=2)
    first = jira.get("/rest/api/3/field")
    second = jira.get("/rest/api/3/field")
    third = jira.get("/rest/api/3/field")
    assert first.status_code == 200
    assert second.status_code == 200
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert third.status_code == 429
    assert int(third.headers["Retry-After"]) >= 1
    assert third.headers["X-RateLimit-Remaining"] == "0"
    assert third.headers["RateLimit-Reason"]
    reset = dt.datetime.strptime(
        third.headers["X-RateLimit-Reset"].replace("Z", "+0000"), "%Y-%m-%dT%H:%M%z"
    )
    assert reset.year >= 2024
    assert third.json()["errorMessages"] == ["Rate limit exceeded."]


def test_rate_limit_is_per_installation(sim, jira, as_user):
    sim.set_faults(rate_limit_per_s=0.01, rate_limit_burst=1)
    assert jira.get("/rest/api/3/field").status_code == 200
    assert jira.get("/rest/api/3/field").status_code == 429
    other = sim.add_installation(
        app_key="another-app", app_base_url="http://127.0.0.1:9"
    )
    from tests.jira_simulator.conftest import JiraClient

    assert JiraClient(sim, other).get("/rest/api/3/field").status_code == 200


def test_error_fault_limited_to_endpoint_and_count(sim, jira):
    sim.set_faults(
        error_rate=1.0,
        error_status=503,
        endpoint="POST /rest/api/3/issue/bulkfetch",
        times=2,
    )
    body = {"issueIdsOrKeys": ["WEB-1"]}
    statuses = [
        jira.post("/rest/api/3/issue/bulkfetch", body).status_code for _ in range(3)
    ]
    assert statuses == [503, 503, 200]
    assert jira.get("/rest/api/3/field").status_code == 200
    assert sim.call_counts()["POST /rest/api/3/issue/bulkfetch"] == 3


def test_503_carries_retry_after(sim, jira):
    sim.set_faults(error_rate=1.0, times=1)
    response = jira.get("/rest/api/3/myself")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json()["errorMessages"]


def test_connection_reset_fault_drops_the_connection_once(sim, jira):
    sim.set_faults(reset_rate=1.0, times=1)
    with pytest.raises(requests.ConnectionError):
        jira.get("/rest/api/3/myself")
    assert jira.get("/rest/api/3/myself").status_code == 200


def test_slow_body_still_delivers_the_whole_body(sim, jira):
    sim.set_faults(slow_body_ms=1, endpoint="/rest/api/3/field")
    response = jira.get("/rest/api/3/field")
    assert response.status_code == 200
    assert any(f["id"] == "customfield_10016" for f in response.json())


def test_latency_fault_still_answers(sim, jira):
    sim.set_faults(latency_ms=5, times=1)
    assert jira.get("/rest/api/3/myself").status_code == 200


def test_call_counters_count_per_endpoint_and_reset(sim, jira):
    jira.get("/rest/api/3/issue/WEB-1")
    jira.get("/rest/api/3/issue/WEB-2")
    jira.post("/rest/api/3/search/jql", {"jql": "project = WEB"})
    counts = sim.call_counts()
    assert counts["GET /rest/api/3/issue/{issueIdOrKey}"] == 2
    assert counts["POST /rest/api/3/search/jql"] == 1
    sim.reset_call_counts()
    assert sim.call_counts() == {}


@pytest.mark.parametrize(
    "options",
    [
        {"error_rate": 2},
        {"error_status": 200},
        {"latency_ms": -1},
        {"times": -1},
        {"rate_limit_per_s": 0},
        {"unknown": 1},
    ],
)
def test_fault_options_are_validated(options):
    with pytest.raises(FaultConfigError):
        Faults.from_json(options)


def test_parse_rate():
    assert parse_rate("10/s") == 10
    assert parse_rate("600/min") == 10
    with pytest.raises(FaultConfigError):
        parse_rate("fast")
    with pytest.raises(FaultConfigError):
        parse_rate("10/h")
