"""Simulator fixtures: one demo site per test session, reset before every test."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests  # noqa: TID251 (the tests play the app and the browser over HTTP)
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from jira_simulator import SimulatorHandle
from jira_simulator.connect import Installation

APP_KEY = "structure-cloud-test"
SHARED_SECRET = "a-test-shared-secret-that-is-long-enough-for-hs256"

# Demo dataset facts the tests rely on.
ADMIN = "5b10ac8d82e05b22cc7d4a01"
BOB = "5b10ac8d82e05b22cc7d4a02"
CAROL = "5b10ac8d82e05b22cc7d4a03"
ERIN = "5b10ac8d82e05b22cc7d4a05"
HEIDI = "5b10ac8d82e05b22cc7d4a08"
CONTRACTOR = "5b10ac8d82e05b22cc7d4a11"
NO_GROUP = "5b10ac8d82e05b22cc7d4a12"


class JiraClient:
    """Calls the simulator the way the app does: `Authorization: JWT`, qsh of the call."""

    def __init__(self, sim: SimulatorHandle, inst: Installation) -> None:
        self.sim = sim
        self.inst = inst

    def request(self, method: str, path_qs: str, body: Any = None) -> requests.Response:
        token = self.sim.app_jwt(self.inst, method, path_qs)
        return requests.request(
            method,
            self.sim.base_url + path_qs,
            json=body,
            headers={"Authorization": f"JWT {token}", "Accept": "application/json"},
            timeout=10,
        )

    def get(self, path_qs: str) -> requests.Response:
        return self.request("GET", path_qs)

    def post(self, path_qs: str, body: Any) -> requests.Response:
        return self.request("POST", path_qs, body)


class UserClient:
    """Calls the simulator as a logged-in user (browser session cookie)."""

    def __init__(self, sim: SimulatorHandle, account_id: str) -> None:
        self.sim = sim
        self.cookies = sim.user_session(account_id)

    def get(self, path_qs: str) -> requests.Response:
        return requests.get(
            self.sim.base_url + path_qs, cookies=self.cookies, timeout=10
        )

    def post(self, path_qs: str, body: Any) -> requests.Response:
        return requests.post(
            self.sim.base_url + path_qs, json=body, cookies=self.cookies, timeout=10
        )


@pytest.fixture(scope="session")
def simulator() -> Iterator[SimulatorHandle]:
    handle = SimulatorHandle.start(dataset="demo")
    yield handle
    handle.stop()


@pytest.fixture
def sim(simulator: SimulatorHandle) -> SimulatorHandle:
    simulator.reset(installations=True)
    return simulator


@pytest.fixture
def inst(sim: SimulatorHandle) -> Installation:
    return sim.add_installation(
        app_key=APP_KEY, app_base_url="http://127.0.0.1:9", shared_secret=SHARED_SECRET
    )


@pytest.fixture
def jira(sim: SimulatorHandle, inst: Installation) -> JiraClient:
    return JiraClient(sim, inst)


@pytest.fixture
def as_user(sim: SimulatorHandle) -> Any:
    def make(account_id: str) -> UserClient:
        return UserClient(sim, account_id)

    return make


@dataclass
class Received:
    method: str
    path: str
    path_qs: str
    authorization: str
    body: Any


@dataclass
class MinimalApp:
    """Serves a descriptor and records what the site sends it."""

    base_url: str = ""
    key: str = "minimal-app"
    refuse_install: bool = False
    received: list[Received] = field(default_factory=list)

    def descriptor(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": "Minimal app",
            "baseUrl": self.base_url,
            "authentication": {"type": "jwt"},
            "lifecycle": {
                "installed": "/connect/installed",
                "uninstalled": "/connect/uninstalled",
                "enabled": "/connect/enabled",
                "disabled": "/connect/disabled",
            },
            "apiMigrations": {"signed-install": True, "context-qsh": True},
            "modules": {
                "generalPages": [
                    {"key": "main", "name": {"value": "Main"}, "url": "/board/"}
                ],
                "jiraProjectPages": [
                    {
                        "key": "proj",
                        "name": {"value": "P"},
                        "url": "/board/project/?projectKey={project.key}&projectId={project.id}",
                    }
                ],
                "webhooks": [
                    {"event": "jira:issue_created", "url": "/hooks/issue?kind=created"},
                    {"event": "jira:issue_updated", "url": "/hooks/issue?kind=updated"},
                    {"event": "jira:issue_deleted", "url": "/hooks/issue?kind=deleted"},
                    {"event": "issuelink_created", "url": "/hooks/link"},
                    {"event": "issuelink_deleted", "url": "/hooks/link"},
                ],
            },
        }

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path == "/atlassian-connect.json":
            return Response(
                json.dumps(self.descriptor()), content_type="application/json"
            )(environ, start_response)
        raw = request.get_data()
        self.received.append(
            Received(
                request.method,
                request.path,
                environ.get("RAW_URI") or request.full_path.rstrip("?"),
                request.headers.get("Authorization", ""),
                json.loads(raw) if raw else None,
            )
        )
        if request.path == "/connect/installed" and self.refuse_install:
            return Response("no", status=401)(environ, start_response)
        return Response(status=204)(environ, start_response)

    def posts(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


@pytest.fixture
def app() -> Iterator[MinimalApp]:
    receiver = MinimalApp()
    server = make_server("127.0.0.1", 0, receiver, threaded=True)
    receiver.base_url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()
