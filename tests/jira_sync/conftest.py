"""An Atlassian-like install-key server on loopback, with keys made in the test."""

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from atlassian_jwt.url_utils import hash_url
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def rsa_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        .decode()
    )


@dataclass
class KeyServer:
    url: str
    keys: dict[str, str] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    up: bool = True


@pytest.fixture
def key_server(settings: Any) -> Iterator[KeyServer]:
    state = KeyServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            kid = self.path.rsplit("/", 1)[-1]
            if not state.up:
                self.send_response(503)
                self.end_headers()
                return
            pem = state.keys.get(kid)
            self.send_response(200 if pem else 404)
            self.end_headers()
            if pem:
                self.wfile.write(pem.encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.CONNECT_INSTALL_KEYS_URL = state.url
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def signing_key(key_server: KeyServer) -> tuple[str, rsa.RSAPrivateKey]:
    key = rsa_private_key()
    key_server.keys["kid-1"] = public_pem(key)
    return "kid-1", key


def install_token(
    key: rsa.RSAPrivateKey,
    *,
    kid: str = "kid-1",
    client_key: str = "tenant-a",
    aud: str = "http://localhost:8000",
    path: str = "/connect/installed",
    expires_in: int = 180,
    alg: str = "RS256",
    **overrides: Any,
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": client_key,
        "sub": "admin-account",
        "aud": aud,
        "iat": now - 5,
        "exp": now + expires_in,
        "qsh": hash_url("POST", path),
    }
    claims.update(overrides)
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


def install_body(
    client_key: str = "tenant-a",
    secret: str = "fresh-secret-from-jira-0000000000000000",  # noqa: S107
    base_url: str = "https://tenant-a.atlassian.net",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "key": "structure-cloud",
        "clientKey": client_key,
        "sharedSecret": secret,
        "baseUrl": base_url,
        "displayUrl": "https://issues.tenant-a.example",
        "productType": "jira",
        "eventType": "installed",
        "installationId": "ari:cloud:ecosystem::installation/1111",
        **extra,
    }
