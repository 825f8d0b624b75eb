"""Real-browser fixtures: the app on a live server, the simulator's host page, Chromium.

Chromium is Debian's (`/usr/bin/chromium`; `.ci/run` installs it), driven by Playwright
for Python. The app's iframe is cross-origin to the host page, as inside Jira.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import Browser, Page, sync_playwright

from boards.demo import demo_structures_seed
from hierarchies.models import Structure
from jira_simulator import SimulatorHandle
from jira_sync.descriptor import descriptor_build
from tests.conftest import SIM_TENANT_SECRET, tenant_make

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"e2e-{request.node.name}-final.png"))
    context.close()


@pytest.fixture
def site(
    live_server: Any, simulator: SimulatorHandle, settings: Any, transactional_db: None
) -> dict[str, Any]:
    """The simulator with the app installed at the live server, and the demo structures."""
    settings.APP_BASE_URL = live_server.url
    simulator.reset(installations=True)
    simulator.add_installation(
        app_key=django_settings.APP_KEY,
        app_base_url=live_server.url,
        client_key=simulator.client_key,
        shared_secret=SIM_TENANT_SECRET,
        descriptor=descriptor_build(),
    )
    tenant = tenant_make(
        client_key=simulator.client_key,
        base_url=simulator.base_url,
        secret=SIM_TENANT_SECRET,
    )
    demo_structures_seed(tenant=tenant)
    return {
        "tenant": tenant,
        "host": simulator.base_url,
        "simulator": simulator,
        "structures": {s.name: s for s in Structure.objects.filter(tenant=tenant)},
    }


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"e2e-{name}.png"))
