"""`python -m jira_simulator`: serves the host page and installs an app given --app-url."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests  # noqa: TID251 (the tests play the browser over HTTP)

from jira_simulator.__main__ import main
from tests.jira_simulator.conftest import MinimalApp

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, deadline_s: float = 20.0) -> requests.Response:
    end = time.monotonic() + deadline_s
    while True:
        try:
            return requests.get(url, timeout=2)
        except requests.ConnectionError:
            if time.monotonic() > end:
                raise
            time.sleep(0.1)


def test_cli_serves_demo_and_installs_the_app(app: MinimalApp):
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 (fixed argv, loopback only)
        [
            sys.executable,
            "-m",
            "jira_simulator",
            "--port",
            str(port),
            "--dataset",
            "demo",
            "--app-url",
            app.base_url,
            "--quiet",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        home = wait_for(f"http://127.0.0.1:{port}/")
        assert home.status_code == 200
        end = time.monotonic() + 20
        while not app.posts("/connect/installed") and time.monotonic() < end:
            time.sleep(0.1)
        (installed,) = app.posts("/connect/installed")
        assert installed.body["baseUrl"] == f"http://localhost:{port}"
        installs = requests.get(
            f"http://127.0.0.1:{port}/_sim/installations", timeout=5
        ).json()
        assert installs[0]["appKey"] == app.key
        assert installs[0]["sharedSecret"] == installed.body["sharedSecret"]
        page = requests.get(f"http://127.0.0.1:{port}/", timeout=5).text
        assert f'src="{app.base_url}/board/?' in page
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize(
    "argv",
    [
        ["--rate-limit", "lots"],
        ["--error-rate", "3"],
        ["--dataset", "generated", "--issues", "300000"],
    ],
)
def test_cli_refuses_bad_options(argv, capsys):
    assert main(argv) == 2
    assert "jira_simulator:" in capsys.readouterr().err
