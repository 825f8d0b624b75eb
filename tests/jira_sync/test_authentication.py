"""Page JWTs, context tokens and the qsh of Atlassian's published vectors."""

import json
from pathlib import Path
from typing import Any

import jwt
import pytest
from atlassian_jwt.url_utils import hash_url
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from jira_sync.models import Tenant
from tests.conftest import context_client, tenant_token

pytestmark = pytest.mark.django_db

VECTORS = json.loads(
    (
        Path(__file__).resolve().parents[3] / "shared/reference/qsh-vectors.json"
    ).read_text()
)


def page(path: str, token: str) -> Any:
    sep = "&" if "?" in path else "?"
    return Client().get(f"{path}{sep}jwt={token}")


def test_page_with_valid_jwt_shows_site_and_viewer(tenant: Tenant) -> None:
    response = page(
        "/board/", tenant_token(tenant, path="/board/", account_id="acc-42")
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "https://tenant-a.atlassian.net" in body
    assert "acc-42" in body


def test_page_qsh_covers_the_query_string(tenant: Tenant) -> None:
    path = "/board/?lic=none&tz=Europe%2FBerlin&cp=%2Fjira"
    token = tenant_token(tenant, path=path)
    assert page(path, token).status_code == 200
    assert (
        page("/board/?lic=active&tz=Europe%2FBerlin&cp=%2Fjira", token).status_code
        == 401
    )


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("tampered", "invalid token signature or claims"),
        ("wrong secret", "invalid token signature or claims"),
        ("expired", "token expired"),
        ("alg none", "token must be signed with HS256"),
        ("qsh mismatch", "qsh does not match the request"),
        ("context-qsh on a page", "context token not accepted here"),
        ("unknown tenant", "unknown tenant"),
        ("missing", "missing token"),
        ("garbage", "malformed token"),
    ],
)
def test_page_refuses_bad_tokens(tenant: Tenant, case: str, reason: str) -> None:
    good = tenant_token(tenant, path="/board/", account_id="viewer")
    head, _, sig = good.split(".")
    claims = jwt.decode(good, options={"verify_signature": False})
    forged_payload = jwt.utils.base64url_encode(
        json.dumps({**claims, "sub": "site-admin"}).encode()
    ).decode()
    tokens = {
        "tampered": f"{head}.{forged_payload}.{sig}",
        "wrong secret": tenant_token(tenant, path="/board/", secret="not-the-secret"),
        "expired": tenant_token(tenant, path="/board/", expires_in=-600),
        "alg none": jwt.encode(
            {"iss": "tenant-a", "qsh": hash_url("GET", "/board/"), "exp": 9999999999},
            "",
            algorithm="none",
        ),
        "qsh mismatch": tenant_token(tenant, path="/board/other"),
        "context-qsh on a page": tenant_token(tenant, qsh="context-qsh"),
        "unknown tenant": tenant_token(tenant, path="/board/", iss="tenant-nobody"),
        "missing": "",
        "garbage": "not.a.jwt",
    }
    response = page("/board/", tokens[case])
    assert response.status_code == 401
    assert response.json() == {"error": reason}


def test_page_refuses_uninstalled_tenant(tenant: Tenant) -> None:
    tenant.state = Tenant.State.UNINSTALLED
    tenant.save()
    response = page("/board/", tenant_token(tenant, path="/board/"))
    assert response.json() == {"error": "app is not installed on this site"}


def test_page_may_be_framed_by_its_tenant_only(tenant: Tenant) -> None:
    tenant.display_url = "https://issues.tenant-a.example"
    tenant.save()
    response = page("/board/", tenant_token(tenant, path="/board/"))
    assert "X-Frame-Options" not in response
    assert response["Content-Security-Policy"] == (
        "frame-ancestors 'self' https://issues.tenant-a.example https://tenant-a.atlassian.net"
    )
    assert not response.cookies


def test_refused_page_and_admin_may_not_be_framed(tenant: Tenant) -> None:
    response = page("/board/", "")
    assert response["X-Frame-Options"] == "DENY"
    assert Client().get("/admin/login/")["X-Frame-Options"] == "DENY"


def test_api_me_with_context_token(tenant: Tenant) -> None:
    response = context_client(tenant, account_id="acc-7").get("/api/v1/me")
    assert response.status_code == 200
    assert response.json() == {"clientKey": "tenant-a", "accountId": "acc-7"}


def test_api_accepts_a_real_qsh_too(tenant: Tenant) -> None:
    token = tenant_token(tenant, path="/api/v1/me", account_id="acc-8")
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"JWT {token}")
    assert response.json()["accountId"] == "acc-8"


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("", 401),
        ("Bearer abc", 401),
        ("JWT not.a.jwt", 401),
    ],
)
def test_api_refuses_missing_or_malformed_tokens(
    tenant: Tenant, header: str, status: int
) -> None:
    headers = {"Authorization": header} if header else {}
    response = Client().get("/api/v1/me", headers=headers)
    assert response.status_code == status
    assert response.json()["error"]


def test_api_refuses_wrong_tenant_secret(tenant: Tenant, other_tenant: Tenant) -> None:
    forged = tenant_token(tenant, qsh="context-qsh", secret=other_tenant.shared_secret)
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"JWT {forged}")
    assert response.status_code == 401


def test_api_refuses_expired_context_token(tenant: Tenant) -> None:
    token = tenant_token(tenant, qsh="context-qsh", expires_in=-600)
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"JWT {token}")
    assert response.json() == {"error": "token expired"}


@pytest.mark.parametrize("vector", VECTORS, ids=[v["url"][:40] for v in VECTORS])
def test_qsh_vectors_verify(tenant: Tenant, vector: dict[str, str], rf: Any) -> None:
    from jira_sync.authentication import request_path_qs, tenant_token_verify

    url = vector["url"]
    if vector["context_path"]:
        url = url.removeprefix(vector["context_path"])
    request = rf.generic(vector["method"], url)
    token = tenant_token(tenant, qsh=vector["qsh"])
    context = tenant_token_verify(
        token, method=vector["method"], path_qs=request_path_qs(request)
    )
    assert context.tenant == tenant


@given(
    params=st.lists(
        st.tuples(st.text("abcxyz_", min_size=1, max_size=5), st.text(max_size=8)),
        max_size=5,
    )
)
def test_qsh_ignores_parameter_order(params: list[tuple[str, str]]) -> None:
    from urllib.parse import urlencode

    forward = "/board/?" + urlencode(params)
    backward = "/board/?" + urlencode(
        sorted(params, key=lambda p: (p[0], p[1]), reverse=True)
    )
    same_order_per_key = [p[0] for p in params] == sorted(p[0] for p in params)
    if same_order_per_key or len({p[0] for p in params}) == len(params):
        assert hash_url("GET", forward) == hash_url("GET", backward)
