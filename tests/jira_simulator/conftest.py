"""Simulator fixtures: one demo site per test session, reset before every test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

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
        return requests.get(self.sim.base_url + path_qs, cookies=self.cookies, timeout=10)

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
