"""Jira's side of the app's JWT: every wrong token is a 401 in Jira's shape."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
import requests  # noqa: TID251 (the tests play the app and the browser over HTTP)
from atlassian_jwt.url_utils import hash_url

from tests.jira_simulator.conftest import APP_KEY, SHARED_SECRET

PATH = "/rest/api/3/myself"


def call(
    sim, token: str | None, path: str = PATH, scheme: str = "JWT"
) -> requests.Response:
    headers = {"Authorization": f"{scheme} {token}"} if token is not None else {}
    return requests.get(sim.base_url + path, headers=headers, timeout=10)


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": APP_KEY, "iat": now, "exp": now + 120, "qsh": hash_url("GET", PATH)}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def test_valid_app_token_runs_as_the_app_user(sim, inst):
    response = call(sim, jwt.encode(claims(), SHARED_SECRET, algorithm="HS256"))
    assert response.status_code == 200
    body = response.json()
    assert body["accountType"] == "app"
    assert body["accountId"] == inst.app_account_id


def test_client_key_is_accepted_as_issuer(sim, inst):
    token = jwt.encode(claims(iss=inst.client_key), SHARED_SECRET, algorithm="HS256")
    assert call(sim, token).status_code == 200


def test_token_in_jwt_query_parameter_is_accepted(sim, inst):
    token = jwt.encode(claims(), SHARED_SECRET, algorithm="HS256")
    assert call(sim, None, f"{PATH}?jwt={token}").status_code == 200


@pytest.mark.parametrize(
    ("make_token", "message"),
    [
        (lambda: None, "Client must be authenticated"),
        (
            lambda: jwt.encode(
                claims(), "another-secret-that-is-long-enough-123456", algorithm="HS256"
            ),
            "signature",
        ),
        (
            lambda: jwt.encode(
                claims(exp=int(time.time()) - 3600, iat=int(time.time()) - 3700),
                SHARED_SECRET,
                algorithm="HS256",
            ),
            "expired",
        ),
        (
            lambda: jwt.encode(
                claims(qsh=hash_url("GET", "/rest/api/3/field")),
                SHARED_SECRET,
                algorithm="HS256",
            ),
            "qsh",
        ),
        (
            lambda: jwt.encode(
                claims(qsh="context-qsh"), SHARED_SECRET, algorithm="HS256"
            ),
            "qsh",
        ),
        (
            lambda: jwt.encode(
                claims(iss="someone-else"), SHARED_SECRET, algorithm="HS256"
            ),
            "someone-else",
        ),
        (lambda: jwt.encode(claims(qsh=None), SHARED_SECRET, algorithm="HS256"), "qsh"),
        (lambda: jwt.encode(claims(exp=None), SHARED_SECRET, algorithm="HS256"), "exp"),
        (lambda: jwt.encode(claims(), key="", algorithm="none"), "algorithm"),
        (lambda: "not.a.jwt", "malformed"),
    ],
    ids=[
        "missing",
        "bad-signature",
        "expired",
        "qsh-mismatch",
        "context-qsh",
        "unknown-iss",
        "no-qsh",
        "no-exp",
        "alg-none",
        "garbage",
    ],
)
def test_bad_tokens_are_refused_with_401(sim, inst, make_token, message):
    response = call(sim, make_token())
    assert response.status_code == 401
    body = response.json()
    assert body["errors"] == {}
    assert message.lower() in body["errorMessages"][0].lower()


def test_qsh_covers_the_query_string(sim, inst):
    token = jwt.encode(
        claims(qsh=hash_url("GET", "/rest/api/3/user/groups?accountId=a")),
        SHARED_SECRET,
        algorithm="HS256",
    )
    response = call(sim, token, "/rest/api/3/user/groups?accountId=b")
    assert response.status_code == 401


def test_basic_auth_is_refused(sim, inst):
    response = call(sim, "dXNlcjpwYXNz", scheme="Basic")
    assert response.status_code == 401


def test_uninstalled_app_is_refused(sim, inst):
    token = jwt.encode(claims(), SHARED_SECRET, algorithm="HS256")
    sim.reset(installations=True)
    assert call(sim, token).status_code == 401
