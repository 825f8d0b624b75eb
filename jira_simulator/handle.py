"""`SimulatorHandle`: run the simulator in a thread for tests (see the package docstring)."""

from __future__ import annotations

import threading
import time
from typing import Any

import jwt
from atlassian_jwt.url_utils import hash_url

from jira_simulator import connect
from jira_simulator.connect import Installation, WebhookDelivery
from jira_simulator.faults import Faults
from jira_simulator.model import Issue, IssueLink
from jira_simulator.server import SESSION_COOKIE, serve
from jira_simulator.state import Simulator


class SimulatorHandle:
    """A running simulator on 127.0.0.1 with a free port, served from a thread."""

    def __init__(
        self, sim: Simulator, port: int = 0, *, host_name: str = "127.0.0.1"
    ) -> None:
        self.sim = sim
        self._server = serve(sim, port, quiet=True)
        self.port: int = self._server.server_port
        self.base_url = f"http://{host_name}:{self.port}"
        sim.base_url = self.base_url
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            args=(0.05,),
            name=f"jira-simulator-{self.port}",
            daemon=True,
        )
        self._thread.start()

    @classmethod
    def start(
        cls,
        dataset: str = "demo",
        *,
        issues: int = 10_000,
        seed: int = 1,
        port: int = 0,
    ) -> SimulatorHandle:
        """Build the dataset and serve it on 127.0.0.1 (port 0: a free one)."""
        return cls(Simulator(dataset, issues=issues, seed=seed), port)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SimulatorHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- state ------------------------------------------------------------------

    @property
    def client_key(self) -> str:
        return self.sim.client_key

    @property
    def install_keys_url(self) -> str:
        """Point the app's CONNECT_INSTALL_KEYS_URL here."""
        return f"{self.base_url}/connect-install-keys"

    def reset(self, *, installations: bool = False) -> None:
        self.sim.reset(installations=installations)

    def set_faults(self, faults: Faults | None = None, **options: Any) -> None:
        """Replace the faults: `set_faults(error_rate=1.0, times=2, endpoint="POST /rest/api/3/issue/bulkfetch")`.

        Options are the fields of `jira_simulator.faults.Faults`; no arguments clears them.
        """
        self.sim.faults.set(faults if faults is not None else Faults(**options))

    def clear_faults(self) -> None:
        self.sim.faults.set(Faults())

    def call_counts(self) -> dict[str, int]:
        return self.sim.call_counts()

    def reset_call_counts(self) -> None:
        self.sim.reset_call_counts()

    def installations(self) -> list[Installation]:
        return self.sim.installations()

    def webhook_deliveries(self) -> list[WebhookDelivery]:
        with self.sim.deliverer.lock:
            return list(self.sim.deliverer.log)

    def users(self) -> list[dict[str, Any]]:
        site = self.sim.site
        return [
            {
                "accountId": u.account_id,
                "displayName": u.display_name,
                "accountType": u.account_type,
                "groups": [g.name for g in site.user_groups(u.account_id)],
                "siteAdmin": site.is_admin(u.account_id),
            }
            for u in site.users.values()
        ]

    # ---- installs ---------------------------------------------------------------

    def install_app(self, app_url: str, *, wait_s: float = 0.0) -> Installation:
        return self.sim.install_app(app_url, wait_s=wait_s)

    def uninstall_app(self, app_key: str) -> None:
        self.sim.uninstall_app(app_key)

    def add_installation(
        self,
        *,
        app_key: str,
        app_base_url: str,
        client_key: str | None = None,
        shared_secret: str | None = None,
        descriptor: dict[str, Any] | None = None,
    ) -> Installation:
        return self.sim.add_installation(
            client_key=client_key,
            shared_secret=shared_secret,
            app_key=app_key,
            app_base_url=app_base_url,
            descriptor=descriptor,
        )

    # ---- tokens -----------------------------------------------------------------

    def app_jwt(
        self, inst: Installation, method: str, path_qs: str, *, ttl_s: int = 180
    ) -> str:
        """A token as the app would sign it for a call to this site (iss = app key)."""
        now = int(time.time())
        claims = {
            "iss": inst.app_key,
            "iat": now,
            "exp": now + ttl_s,
            "qsh": hash_url(method, path_qs),
        }
        return jwt.encode(claims, inst.shared_secret, algorithm="HS256")

    def page_jwt(
        self, account_id: str, path: str, *, app_key: str | None = None
    ) -> str:
        """A page-load token for `path` (relative to the app's baseUrl), as Jira signs iframes."""
        inst = self._inst(app_key)
        return connect.request_token_hs256(
            inst, method="GET", url=inst.app_base_url + path, sub=account_id
        )

    def page_url(
        self, account_id: str, path: str | None = None, *, app_key: str | None = None
    ) -> str:
        """The full signed iframe URL Jira would load for `account_id`."""
        inst = self._inst(app_key)
        module = path or inst.module_url("generalPages") or "/"
        return connect.signed_page_url(
            inst, module, account_id=account_id, site_base_url=self.base_url
        )

    def context_jwt(
        self,
        account_id: str,
        *,
        app_key: str | None = None,
        context: dict[str, Any] | None = None,
    ) -> str:
        """What `AP.context.getToken()` returns for `account_id` (qsh "context-qsh")."""
        return connect.context_token(
            self._inst(app_key), account_id=account_id, context=context or {}
        )

    def user_session(self, account_id: str) -> dict[str, str]:
        """Cookies of a logged-in browser session: REST calls then run as that user."""
        return {SESSION_COOKIE: self.sim.new_session(account_id)}

    def _inst(self, app_key: str | None) -> Installation:
        installs = self.sim.installations()
        if app_key is not None:
            installs = [i for i in installs if i.app_key == app_key]
        if not installs:
            raise LookupError("no app is installed on the simulator")
        return installs[0]

    # ---- data changes (fire webhooks) ---------------------------------------------

    def create_issue(
        self,
        *,
        project: str,
        issuetype: str,
        summary: str,
        parent: str | None = None,
        fields: dict[str, Any] | None = None,
    ) -> Issue:
        issue, _ = self.sim.create_issue(
            project=project,
            issuetype=issuetype,
            summary=summary,
            parent=parent,
            fields=fields,
        )
        return issue

    def update_issue(
        self,
        id_or_key: str | int,
        *,
        fields: dict[str, Any] | None = None,
        status: str | None = None,
    ) -> Issue:
        issue, _ = self.sim.update_issue(id_or_key, fields=fields, status=status)
        return issue

    def set_status(self, id_or_key: str | int, status: str) -> Issue:
        return self.update_issue(id_or_key, status=status)

    def delete_issue(self, id_or_key: str | int) -> None:
        self.sim.delete_issue(id_or_key)

    def add_link(
        self, link_type: str, outward: str | int, inward: str | int
    ) -> IssueLink:
        """`outward` <link_type.outward> `inward`, e.g. add_link("Blocks", "WEB-1", "WEB-2")."""
        link, _ = self.sim.add_link(link_type=link_type, outward=outward, inward=inward)
        return link

    def remove_link(self, link_id: int) -> None:
        self.sim.remove_link(link_id)

    def issue(self, id_or_key: str | int) -> Issue:
        """The simulator's own record of an issue (no permission check)."""
        found = self.sim.site.issue_lookup(str(id_or_key))
        if found is None:
            raise LookupError(f"issue {id_or_key!r} does not exist")
        return found
