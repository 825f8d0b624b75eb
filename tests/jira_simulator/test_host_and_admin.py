"""The host page around the app's iframe, the AP shim, and the /_sim/ admin API."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests  # noqa: TID251 (the tests play the browser over HTTP)
from atlassian_jwt.url_utils import hash_url

from tests.jira_simulator.conftest import ADMIN, BOB, CONTRACTOR, SHARED_SECRET

DESCRIPTOR = {
    "key": "host-test-app",
    "name": "Host test app",
    "baseUrl": "http://127.0.0.1:9",
    "modules": {
        "generalPages": [
            {"key": "main", "url": "/board/"},
            {"key": "one", "url": "/board/{ac.structureId}/?from={ac.from}"},
        ],
        "jiraProjectPages": [
            {
                "key": "p",
                "url": "/board/project/?projectKey={project.key}&projectId={project.id}",
            }
        ],
    },
}


@pytest.fixture
def page_inst(sim):
    return sim.add_installation(
        app_key="host-test-app",
        app_base_url="http://127.0.0.1:9",
        shared_secret=SHARED_SECRET,
        descriptor=DESCRIPTOR,
    )


def iframe_src(page: str) -> str:
    match = re.search(r'<iframe id="app-frame" src="([^"]+)"', page)
    assert match, page[:500]
    return html.unescape(match.group(1))


def test_host_page_embeds_the_general_page_signed_for_the_chosen_user(sim, page_inst):
    response = requests.get(f"{sim.base_url}/?user={BOB}", timeout=5)
    assert response.status_code == 200
    assert "Acme Corp Jira" in response.text
    assert "Ken Kowalski (contractor)" in response.text, (
        "the user switcher lists the dataset's users"
    )
    src = iframe_src(response.text)
    assert src.startswith("http://127.0.0.1:9/board/?")
    path_qs = src[len("http://127.0.0.1:9") :]
    without_jwt, _, token = path_qs.rpartition("&jwt=")
    claims = jwt.decode(token, SHARED_SECRET, algorithms=["HS256"])
    assert claims["sub"] == BOB
    assert claims["iss"] == sim.client_key
    assert claims["qsh"] == hash_url("GET", without_jwt)
    assert claims["exp"] - claims["iat"] <= 300
    assert parse_qs(urlsplit(src).query)["xdm_e"] == [sim.base_url]
    assert "JSESSIONID" in response.cookies


def test_addon_module_page_fills_ac_values_into_its_url_and_signs_it(sim, page_inst):
    url = f"{sim.base_url}/plugins/servlet/ac/host-test-app/one"
    response = requests.get(
        f"{url}?ac.structureId=42&ac.from=a%20b&user={BOB}", timeout=5
    )
    assert response.status_code == 200
    src = iframe_src(response.text)
    assert src.startswith("http://127.0.0.1:9/board/42/?from=a%20b&")
    token = parse_qs(urlsplit(src).query)["jwt"][0]
    assert jwt.decode(token, SHARED_SECRET, algorithms=["HS256"])["sub"] == BOB
    missing = requests.get(f"{url[:-4]}/nope", timeout=5)
    assert missing.status_code == 404
    assert 'id="app-frame"' not in missing.text


def test_host_page_session_makes_the_same_search_differ_per_user(sim, page_inst):
    body = {"jql": "issuetype = Epic", "fields": ["key"], "maxResults": 100}
    seen = {}
    for user in (ADMIN, CONTRACTOR):
        session = requests.Session()
        session.get(f"{sim.base_url}/?user={user}", timeout=5)
        seen[user] = {
            i["key"].split("-")[0]
            for i in session.post(
                f"{sim.base_url}/rest/api/3/search/jql", json=body, timeout=5
            ).json()["issues"]
        }
    assert seen[ADMIN] == {"WEB", "MOB"}
    assert seen[CONTRACTOR] == {"WEB"}


def test_host_page_without_an_installation_says_so(sim):
    response = requests.get(sim.base_url + "/", timeout=5)
    assert response.status_code == 200
    assert "No app is installed" in response.text
    assert "<iframe" not in response.text


def test_project_page_substitutes_project_variables(sim, page_inst):
    response = requests.get(f"{sim.base_url}/projects/WEB?user={BOB}", timeout=5)
    src = iframe_src(response.text)
    query = parse_qs(urlsplit(src).query)
    assert query["projectKey"] == ["WEB"]
    assert query["projectId"] == ["10000"]
    hidden = requests.get(f"{sim.base_url}/projects/FIN?user={BOB}", timeout=5)
    assert hidden.status_code == 404


def test_issue_page_respects_browse_permission(sim):
    visible = requests.get(f"{sim.base_url}/browse/WEB-1?user={BOB}", timeout=5)
    assert visible.status_code == 200
    assert "Checkout redesign" in visible.text
    hidden = requests.get(f"{sim.base_url}/browse/FIN-1?user={BOB}", timeout=5)
    assert hidden.status_code == 404
    assert "do not have permission" in hidden.text


def test_all_js_shim_and_context_token_endpoint(sim, page_inst):
    shim = requests.get(sim.base_url + "/atlassian-connect/all.js", timeout=5)
    assert shim.status_code == 200
    assert "javascript" in shim.headers["Content-Type"]
    for api in ("getToken", "sizeToParent", "resize", "navigator"):
        assert api in shim.text
    session = requests.Session()
    session.get(f"{sim.base_url}/?user={CONTRACTOR}", timeout=5)
    token = session.post(
        f"{sim.base_url}/_sim/host/context-token",
        json={"appKey": "host-test-app", "context": {}},
        timeout=5,
    )
    claims = jwt.decode(
        token.json()["token"],
        SHARED_SECRET,
        algorithms=["HS256"],
        audience=sim.client_key,
    )
    assert claims["sub"] == CONTRACTOR
    assert claims["qsh"] == "context-qsh"
    anonymous = requests.post(
        f"{sim.base_url}/_sim/host/context-token",
        json={"appKey": "host-test-app"},
        timeout=5,
    )
    assert anonymous.status_code == 401


def test_admin_installations_and_users(sim, inst):
    installs = requests.get(sim.base_url + "/_sim/installations", timeout=5).json()
    assert installs == [
        {
            "appKey": inst.app_key,
            "clientKey": sim.client_key,
            "sharedSecret": SHARED_SECRET,
            "baseUrl": "http://127.0.0.1:9",
            "appAccountId": inst.app_account_id,
            "enabled": True,
        }
    ]
    users = {
        u["accountId"]: u
        for u in requests.get(sim.base_url + "/_sim/users", timeout=5).json()
    }
    assert users[ADMIN]["siteAdmin"] is True
    assert users[CONTRACTOR]["browseProjects"] == ["WEB"]
    assert users["5b10ac8d82e05b22cc7d4a12"]["groups"] == []


def test_admin_data_edits_and_reset(sim, jira):
    base = sim.base_url + "/_sim"
    created = requests.post(
        f"{base}/issues",
        json={"project": "MOB", "issuetype": "Bug", "summary": "Admin-made bug"},
        timeout=5,
    )
    assert created.status_code == 201
    key = created.json()["key"]
    edited = requests.put(
        f"{base}/issues/{key}",
        json={"fields": {"labels": ["from-admin"]}, "status": "In Progress"},
        timeout=5,
    )
    assert edited.status_code == 200
    fields = jira.get(f"/rest/api/3/issue/{key}?fields=labels,status").json()["fields"]
    assert fields["labels"] == ["from-admin"]
    assert fields["status"]["name"] == "In Progress"
    link = requests.post(
        f"{base}/links",
        json={"type": "Blocks", "outward": key, "inward": "MOB-1"},
        timeout=5,
    )
    assert link.status_code == 201
    assert (
        requests.delete(f"{base}/links/{link.json()['id']}", timeout=5).status_code
        == 200
    )
    assert requests.delete(f"{base}/issues/{key}", timeout=5).status_code == 200
    assert jira.get(f"/rest/api/3/issue/{key}").status_code == 404
    bad = requests.put(f"{base}/issues/MOB-1", json={"status": "Nowhere"}, timeout=5)
    assert bad.status_code == 400
    assert "Nowhere" in bad.json()["errorMessages"][0]
    assert (
        requests.post(f"{base}/issues", json={"project": "MOB"}, timeout=5).status_code
        == 400
    )
    assert requests.post(f"{base}/reset", json={}, timeout=5).status_code == 200
    assert jira.get("/rest/api/3/issue/MOB-1").status_code == 200


def test_admin_faults_and_call_counters(sim, jira):
    base = sim.base_url + "/_sim"
    assert (
        requests.post(
            f"{base}/faults", json={"errorRate": 1.0, "times": 1}, timeout=5
        ).status_code
        == 200
    )
    assert jira.get("/rest/api/3/field").status_code == 503
    assert jira.get("/rest/api/3/field").status_code == 200
    assert requests.get(f"{base}/calls", timeout=5).json() == {
        "GET /rest/api/3/field": 2
    }
    assert requests.delete(f"{base}/calls", timeout=5).json() == {}
    refused = requests.post(f"{base}/faults", json={"errorRate": 7}, timeout=5)
    assert refused.status_code == 400
    assert "error_rate" in refused.json()["errorMessages"][0]
    assert requests.delete(f"{base}/faults", timeout=5).json()["error_rate"] == 0.0


def test_admin_install_needs_an_app_url(sim):
    response = requests.post(sim.base_url + "/_sim/install", json={}, timeout=5)
    assert response.status_code == 400
    unreachable = requests.post(
        sim.base_url + "/_sim/install", json={"appUrl": "http://127.0.0.1:9"}, timeout=5
    )
    assert unreachable.status_code == 502
