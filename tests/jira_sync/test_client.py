"""JiraClient against the simulator over real HTTP: signing, retries, typed errors."""

import socket
import time

import jwt
import pytest
from atlassian_jwt.url_utils import hash_url
from hypothesis import given
from hypothesis import strategies as st

from jira_simulator.datasets import BOB, CONTRACTOR
from jira_sync import selectors
from jira_sync.client import (
    JiraAuthError,
    JiraBadRequest,
    JiraClient,
    JiraHostNotAllowed,
    JiraNotFound,
    JiraRateLimited,
    JiraUnavailable,
    RetryPolicy,
    host_allowed,
    retry_after_seconds,
)

pytestmark = pytest.mark.django_db

BULK = "POST /rest/api/3/issue/bulkfetch"
MYSELF = "GET /rest/api/3/myself"


def test_signed_requests_are_accepted_as_the_app(sim_tenant, simulator):
    client = selectors.jira_client_for(sim_tenant)
    me = client.myself()
    assert me.account_type == "app"
    # A query with characters that need encoding: the qsh covers the exact query sent.
    groups = client.user_groups(BOB)
    assert {g.name for g in groups} == {"jira-software-users", "web-team"}
    issue = client.get_issue("WEB-1", fields=["summary", "status"])
    assert issue.key == "WEB-1"
    assert issue.summary == simulator.issue("WEB-1").summary


def test_wrong_secret_is_refused_without_retries(sim_tenant, simulator):
    client = JiraClient(
        base_url=sim_tenant.base_url,
        client_key=sim_tenant.client_key,
        shared_secret="not-the-shared-secret-0000000000000000",
        app_key="structure-cloud",
    )
    with pytest.raises(JiraAuthError):
        client.myself()
    assert simulator.call_counts()[MYSELF] == 1


def test_search_pages_through_every_result_in_order(sim_tenant, simulator):
    client = selectors.jira_client_for(sim_tenant)
    expected = client.approximate_count("project = WEB")
    ids = client.search_jql_ids("project = WEB ORDER BY key")
    assert len(ids) == expected > 100
    with_fields = client.search_jql("project = WEB ORDER BY key", fields=["summary"])
    assert [i.id for i in with_fields] == ids  # several pages of 100
    assert client.search_jql_ids("project = WEB ORDER BY key", limit=7) == ids[:7]


def test_bulk_fetch_uses_batches_of_100(sim_tenant, simulator):
    client = selectors.jira_client_for(sim_tenant)
    ids = client.search_jql_ids("project in (WEB, MOB) ORDER BY key")[:250]
    simulator.reset_call_counts()
    issues = client.bulk_fetch(ids, fields=["summary"])
    assert sorted(i.id for i in issues) == sorted(ids)
    assert simulator.call_counts()[BULK] == 3


def test_permissions_check_matches_the_sites_rules(sim_tenant, simulator):
    client = selectors.jira_client_for(sim_tenant)
    ids = client.search_jql_ids("project in (WEB, MOB, FIN) ORDER BY key")
    granted = client.permissions_check(account_id=CONTRACTOR, issue_ids=ids)
    site = simulator.sim.site
    expected = {
        i for i in ids if site.can_browse(CONTRACTOR, site.issue_lookup(str(i)))
    }
    assert granted == expected
    assert 0 < len(granted) < len(ids)


def test_invalid_jql_is_a_bad_request_with_jiras_message(sim_tenant, simulator):
    client = selectors.jira_client_for(sim_tenant)
    with pytest.raises(JiraBadRequest) as raised:
        client.search_jql_ids("project = = WEB")
    assert raised.value.messages
    assert simulator.call_counts()["POST /rest/api/3/search/jql"] == 1
    parsed = client.jql_parse(["project = WEB", "project = = WEB"])
    assert [p.valid for p in parsed] == [True, False]


def test_missing_issue_is_not_found_and_not_retried(sim_tenant, simulator):
    client = selectors.jira_client_for(sim_tenant)
    with pytest.raises(JiraNotFound):
        client.get_issue("NOPE-1", fields=["summary"])
    assert simulator.call_counts()["GET /rest/api/3/issue/{issueIdOrKey}"] == 1


def test_5xx_is_retried_then_succeeds(sim_tenant, simulator):
    simulator.set_faults(error_rate=1.0, error_status=502, endpoint=MYSELF, times=2)
    assert selectors.jira_client_for(sim_tenant).myself().account_type == "app"
    assert simulator.call_counts()[MYSELF] == 3


def test_5xx_storm_ends_in_jira_unavailable_after_bounded_retries(
    sim_tenant, simulator, settings
):
    settings.JIRA_HTTP_MAX_RETRIES = 3
    simulator.set_faults(error_rate=1.0, error_status=500, endpoint=MYSELF)
    with pytest.raises(JiraUnavailable):
        selectors.jira_client_for(sim_tenant).myself()
    assert simulator.call_counts()[MYSELF] == 4


def test_429_storm_honours_retry_after_then_raises_rate_limited(
    sim_tenant, simulator, settings
):
    settings.JIRA_HTTP_MAX_RETRIES = 2
    simulator.set_faults(error_rate=1.0, error_status=429, endpoint=MYSELF)
    started = time.monotonic()
    with pytest.raises(JiraRateLimited):
        selectors.jira_client_for(sim_tenant).myself()
    # Two waits of at least Retry-After (1 s each) before giving up: never earlier.
    assert time.monotonic() - started >= 2.0
    assert simulator.call_counts()[MYSELF] == 3


def test_rate_limit_bucket_is_waited_out(sim_tenant, simulator):
    simulator.set_faults(rate_limit_per_s=1, rate_limit_burst=1)
    client = selectors.jira_client_for(sim_tenant)
    client.myself()
    client.myself()  # the bucket is empty: 429 with Retry-After, then accepted
    assert simulator.call_counts()[MYSELF] == 3


def test_retry_after_beyond_the_cap_gives_up_at_once(sim_tenant, simulator, settings):
    settings.JIRA_HTTP_BACKOFF_CAP_S = 0.5  # the simulator asks for 1 s
    simulator.set_faults(error_rate=1.0, error_status=429, endpoint=MYSELF)
    with pytest.raises(JiraRateLimited):
        selectors.jira_client_for(sim_tenant).myself()
    assert simulator.call_counts()[MYSELF] == 1


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_jira_down_raises_unavailable_within_the_budget(sim_tenant, settings):
    settings.JIRA_HTTP_BUDGET_S = 1.0
    settings.JIRA_HTTP_BACKOFF_BASE_S = 0.2
    sim_tenant.base_url = f"http://127.0.0.1:{_closed_port()}"
    started = time.monotonic()
    with pytest.raises(JiraUnavailable):
        selectors.jira_client_for(sim_tenant).myself()
    assert time.monotonic() - started < 1.0 + settings.JIRA_HTTP_CONNECT_TIMEOUT_S


def test_jira_too_slow_raises_unavailable(sim_tenant, simulator, settings):
    settings.JIRA_HTTP_READ_TIMEOUT_S = 0.2
    settings.JIRA_HTTP_MAX_RETRIES = 1
    simulator.set_faults(latency_ms=1000, endpoint=MYSELF)
    with pytest.raises(JiraUnavailable):
        selectors.jira_client_for(sim_tenant).myself()
    assert simulator.call_counts()[MYSELF] == 2


# ---- pure parts ------------------------------------------------------------------


@given(
    retry=st.integers(min_value=0, max_value=10),
    retry_after=st.one_of(st.none(), st.floats(min_value=0, max_value=100)),
)
def test_backoff_is_jittered_capped_and_never_before_retry_after(retry, retry_after):
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=30.0)
    delay = policy.delay(retry, retry_after)
    assert 0 < delay <= 30.0
    assert delay >= min(0.7 * 2**retry, 30.0) - 1e-9
    if retry_after is not None:
        assert delay >= min(retry_after, 30.0)


def test_retry_after_accepts_seconds_and_http_dates():
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


@given(
    value=st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20
    )
)
def test_token_is_short_lived_issued_by_the_app_and_hashes_the_sent_query(value):
    path_qs = JiraClient.path_qs("/rest/api/3/user/groups", [("accountId", value)])
    client = JiraClient(
        base_url="http://jira.invalid", client_key="ck", shared_secret="s", app_key="a"
    )
    claims = jwt.decode(
        client._token("GET", path_qs), "s", algorithms=["HS256"], audience="ck"
    )
    assert claims["iss"] == "a"
    assert claims["qsh"] == hash_url("GET", path_qs)
    assert claims["exp"] - claims["iat"] <= 180


# ---- outbound allow-list (SSRF guard) -------------------------------------------------


def test_tests_may_only_reach_loopback(settings):
    assert settings.JIRA_OUTBOUND_ALLOWED_HOSTS == ["127.0.0.1", "localhost"]


def test_host_off_the_allow_list_is_refused_before_any_lookup(sim_tenant):
    # "jira.invalid" can never resolve: a DNS lookup or a connection attempt would
    # end in JiraUnavailable after retries, not in JiraHostNotAllowed at once.
    client = JiraClient(
        base_url="https://jira.invalid",
        client_key=sim_tenant.client_key,
        shared_secret="s" * 40,
        app_key="structure-cloud",
        sleep=lambda s: pytest.fail("a refused host must not be retried"),
    )
    with pytest.raises(JiraHostNotAllowed, match=r"jira\.invalid"):
        client.myself()


def test_stored_base_url_off_the_allow_list_never_reaches_it(
    sim_tenant, simulator, settings
):
    # The simulator answers on 127.0.0.1; allow only "localhost" and the same tenant
    # is refused without a single call arriving.
    settings.JIRA_OUTBOUND_ALLOWED_HOSTS = ["localhost"]
    simulator.reset_call_counts()
    with pytest.raises(JiraHostNotAllowed):
        selectors.user_memberships_get(tenant=sim_tenant, account_id=BOB)
    with pytest.raises(JiraHostNotAllowed):
        selectors.issues_browsable_filter(
            tenant=sim_tenant, account_id=BOB, issue_ids=[10000]
        )
    assert sum(simulator.call_counts().values()) == 0
    settings.JIRA_OUTBOUND_ALLOWED_HOSTS = ["127.0.0.*"]
    assert selectors.issues_browsable_filter(
        tenant=sim_tenant, account_id=BOB, issue_ids=[10000]
    ) == {10000}


def test_client_allow_list_overrides_the_setting(sim_tenant, simulator):
    client = JiraClient(
        base_url=sim_tenant.base_url,
        client_key=sim_tenant.client_key,
        shared_secret=sim_tenant.shared_secret,
        app_key="structure-cloud",
        allowed_hosts=["*.atlassian.net"],
    )
    with pytest.raises(JiraHostNotAllowed):
        client.myself()


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://acme.atlassian.net/rest/api/3/myself", True),
        ("https://ACME.Atlassian.NET/rest", True),
        ("https://acme.jira.com/rest", True),
        ("https://atlassian.net.evil.example/rest", False),
        ("https://evil.example/acme.atlassian.net", False),
        ("https://acme.atlassian.net@evil.example/rest", False),
        ("https://evil.example#@acme.atlassian.net", False),
        ("https://169.254.169.254/latest/meta-data", False),
        ("file:///etc/passwd", False),
        ("ftp://acme.atlassian.net/", False),
        ("https:///rest", False),
    ],
)
def test_allow_list_matches_the_host_only(url, allowed):
    assert host_allowed(url, ["*.atlassian.net", "*.jira.com", " "]) is allowed
