"""The WSGI application (werkzeug routing) and the threaded loopback server."""

from __future__ import annotations

import json
import logging
import socket
import struct
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from jira_simulator import connect, host, rest
from jira_simulator.faults import FaultConfigError, Faults
from jira_simulator.state import DataError, Simulator

log = logging.getLogger("jira_simulator")

SESSION_COOKIE = "JSESSIONID"
LOOPBACK_ADDRS = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body),
        status=status,
        headers=headers or {},
        content_type="application/json;charset=UTF-8",
    )


def _error(
    status: int, *messages: str, headers: dict[str, str] | None = None
) -> Response:
    return _json(status, {"errorMessages": list(messages), "errors": {}}, headers)


def _template_to_rule(template: str) -> str:
    out = template
    while "{" in out:
        start = out.index("{")
        end = out.index("}", start)
        out = f"{out[:start]}<{out[start + 1 : end]}>{out[end + 1 :]}"
    return out


class InjectedConnectionResetError(ConnectionResetError):
    """Raised after the socket was reset on purpose; werkzeug treats it as a dropped client."""


class SimulatorApp:
    """Routes: /rest/api/3/... (Jira), /_sim/... (admin), host pages and install keys."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        rules = [
            Rule(_template_to_rule(t), endpoint=f"rest:{i}", methods=[m])
            for i, (m, t, _) in enumerate(rest.ROUTES)
        ]
        rules += [
            Rule("/", endpoint="host_home", methods=["GET"]),
            Rule("/browse/<key>", endpoint="host_issue", methods=["GET"]),
            Rule("/projects/<key>", endpoint="host_project", methods=["GET"]),
            Rule(
                "/plugins/servlet/ac/<app_key>/<module_key>",
                endpoint="host_module",
                methods=["GET"],
            ),
            Rule("/atlassian-connect/all.js", endpoint="all_js", methods=["GET"]),
            Rule(
                "/connect-install-keys/<path:kid>",
                endpoint="install_key",
                methods=["GET"],
            ),
            Rule("/_edge/tenant_info", endpoint="tenant_info", methods=["GET"]),
            Rule(
                "/_sim/host/context-token",
                endpoint="host_context_token",
                methods=["POST"],
            ),
            Rule("/_sim/reset", endpoint="admin_reset", methods=["POST"]),
            Rule(
                "/_sim/faults",
                endpoint="admin_faults",
                methods=["GET", "POST", "PUT", "DELETE"],
            ),
            Rule(
                "/_sim/installations", endpoint="admin_installations", methods=["GET"]
            ),
            Rule("/_sim/install", endpoint="admin_install", methods=["POST"]),
            Rule(
                "/_sim/installations/<app_key>",
                endpoint="admin_uninstall",
                methods=["DELETE"],
            ),
            Rule("/_sim/users", endpoint="admin_users", methods=["GET"]),
            Rule("/_sim/calls", endpoint="admin_calls", methods=["GET", "DELETE"]),
            Rule("/_sim/webhooks", endpoint="admin_webhooks", methods=["GET"]),
            Rule("/_sim/issues", endpoint="admin_issue_create", methods=["POST"]),
            Rule(
                "/_sim/issues/<id_or_key>",
                endpoint="admin_issue",
                methods=["PUT", "PATCH", "DELETE"],
            ),
            Rule("/_sim/links", endpoint="admin_link_create", methods=["POST"]),
            Rule(
                "/_sim/links/<int:link_id>",
                endpoint="admin_link_delete",
                methods=["DELETE"],
            ),
            Rule("/_sim/page-url", endpoint="admin_page_url", methods=["GET"]),
        ]
        self.url_map = Map(rules, strict_slashes=False)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            endpoint, params = adapter.match()
        except MethodNotAllowed:
            response = _error(
                405, f"Method {request.method} is not allowed for {request.path}."
            )
            return response(environ, start_response)
        except NotFound:
            response = _error(404, f"No resource at {request.path}.")
            return response(environ, start_response)
        except HTTPException as exc:
            return exc(environ, start_response)
        if endpoint.startswith("rest:"):
            return self.rest(
                request, int(endpoint[5:]), dict(params), environ, start_response
            )
        if endpoint.startswith("admin_") and request.remote_addr not in LOOPBACK_ADDRS:
            return _error(403, "The simulator's admin API is for loopback only.")(
                environ, start_response
            )
        handler = getattr(self, endpoint)
        try:
            response = handler(request, **params)
        except DataError as exc:
            response = _error(400, str(exc))
        except connect.ConnectError as exc:
            response = _error(502, str(exc))
        return response(environ, start_response)

    # ---- Jira REST ----------------------------------------------------------------

    def _raw_path_qs(self, request: Request) -> str:
        raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
        if raw:
            return str(raw)
        path = quote(request.path)
        query = request.query_string.decode()
        return path + (f"?{query}" if query else "")

    def _caller(self, request: Request) -> rest.Caller:
        auth = request.headers.get("Authorization", "")
        token: str | None = None
        if auth[:4].upper() == "JWT ":
            token = auth[4:].strip()
        elif request.args.get("jwt"):
            token = request.args["jwt"]
        if token is not None:
            inst = connect.verify_app_token(
                token,
                method=request.method,
                path_qs=self._raw_path_qs(request),
                installations=self.sim.installations(),
            )
            return rest.Caller(
                inst.app_account_id, True, f"app:{inst.client_key}:{inst.app_key}"
            )
        if auth:
            raise connect.AuthError(
                "Unsupported authorization scheme; use 'JWT <token>'."
            )
        session = request.cookies.get(SESSION_COOKIE)
        account_id = self.sim.sessions.get(session or "")
        if account_id is not None and account_id in self.sim.site.users:
            return rest.Caller(account_id, False, f"user:{account_id}")
        raise connect.AuthError("Client must be authenticated to access this resource.")

    def rest(
        self,
        request: Request,
        index: int,
        params: dict[str, str],
        environ: dict[str, Any],
        start_response: Any,
    ) -> Iterable[bytes]:
        method, template, handler = rest.ROUTES[index]
        endpoint = f"{method} {template}"
        self.sim.count_call(endpoint)
        decision = self.sim.faults.decide(endpoint, request.path)
        if decision.latency_s:
            time.sleep(decision.latency_s)
        if decision.reset:
            self._reset_connection(environ)
        try:
            caller = self._caller(request)
        except connect.AuthError as exc:
            response = _error(
                401, str(exc), headers={"WWW-Authenticate": 'JWT realm="jira"'}
            )
            return response(environ, start_response)
        limit = self.sim.faults.take_token(caller.tenant)
        rate_headers: dict[str, str] = {}
        if limit is not None:
            rate_headers = {
                "X-RateLimit-Limit": str(limit.limit),
                "X-RateLimit-Remaining": str(limit.remaining),
                "X-RateLimit-Reset": limit.reset_at.strftime("%Y-%m-%dT%H:%MZ"),
            }
            if limit.remaining < limit.limit * 0.2:
                rate_headers["X-RateLimit-NearLimit"] = "true"
            if not limit.allowed:
                headers = dict(rate_headers)
                headers["Retry-After"] = str(limit.retry_after_s)
                headers["RateLimit-Reason"] = "jira-quota-tenant-based"
                response = _error(429, "Rate limit exceeded.", headers=headers)
                return response(environ, start_response)
        if decision.error_status is not None:
            headers = dict(rate_headers)
            if decision.error_status in (429, 503):
                headers["Retry-After"] = "1"
            response = _error(
                decision.error_status,
                "The service is temporarily unavailable.",
                headers=headers,
            )
            return response(environ, start_response)
        body: Any = None
        if method in ("POST", "PUT"):
            raw = request.get_data()
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    response = _error(
                        400, "The request body is not valid JSON.", headers=rate_headers
                    )
                    return response(environ, start_response)
        call = rest.Call(self.sim, caller, method, request.args, body, params)
        try:
            with self.sim.lock:
                status, payload = handler(call)
            response = _json(status, payload, rate_headers)
        except rest.ApiError as exc:
            response = _json(exc.status, exc.body(), rate_headers)
        if decision.slow_body_s:
            data = response.get_data()
            response = Response(
                _slow_chunks(data, decision.slow_body_s),
                status=response.status_code,
                headers={
                    k: v
                    for k, v in response.headers.items()
                    if k.lower() != "content-length"
                },
            )
        return response(environ, start_response)

    def _reset_connection(self, environ: dict[str, Any]) -> None:
        sock = environ.get("werkzeug.socket")
        if isinstance(sock, socket.socket):
            # The client gets no response at all; with SO_LINGER 0 the final close of
            # the socket (by werkzeug) sends a TCP RST rather than a clean FIN.
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            sock.shutdown(socket.SHUT_RDWR)
        raise InjectedConnectionResetError(
            "connection reset by the simulator (fault injection)"
        )

    # ---- install keys and tenant info ----------------------------------------------

    def install_key(self, request: Request, kid: str) -> Response:
        pem = self.sim.keys.public_key_for(kid)
        if pem is None:
            return Response("Not Found", status=404, content_type="text/plain")
        return Response(pem, content_type="application/x-pem-file")

    def tenant_info(self, request: Request) -> Response:
        return _json(200, {"cloudId": self.sim.site.cloud_id})

    # ---- host pages ----------------------------------------------------------------

    def _viewer(self, request: Request) -> tuple[str, str | None]:
        """The host-page user (from ?user= or the session), and a new session id to set."""
        site = self.sim.site
        wanted = request.args.get("user")
        if wanted and wanted in site.users:
            return wanted, self.sim.new_session(wanted)
        account_id = self.sim.sessions.get(request.cookies.get(SESSION_COOKIE) or "")
        if account_id in site.users and account_id is not None:
            return account_id, None
        admin = self.sim.admin_account_id()
        return admin, self.sim.new_session(admin)

    def _html(self, text: str, session: str | None, status: int = 200) -> Response:
        response = Response(
            text, status=status, content_type="text/html; charset=utf-8"
        )
        if session:
            response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="Lax")
        return response

    def _installation(self, request: Request) -> connect.Installation | None:
        installs = self.sim.installations()
        wanted = request.args.get("app")
        if wanted:
            return next((i for i in installs if i.app_key == wanted), None)
        return installs[0] if installs else None

    def _page_src(
        self,
        inst: connect.Installation,
        template: str,
        viewer: str,
        variables: Mapping[str, str],
    ) -> str:
        """The iframe URL of a module: context variables filled, signed for `viewer`."""
        return connect.signed_page_url(
            inst,
            connect.module_url_fill(template, variables),
            account_id=viewer,
            site_base_url=self.sim.base_url,
        )

    def host_home(self, request: Request) -> Response:
        viewer, session = self._viewer(request)
        inst = self._installation(request)
        module = inst.module_url("generalPages") if inst else None
        src = None
        if inst is not None and module is not None:
            src = self._page_src(inst, module, viewer, {})
        missing = (
            "No app is installed on this Jira site yet. Start the app and run the simulator "
            'with --app-url, or POST {"appUrl": ...} to /_sim/install.'
            if inst is None
            else f"The app {inst.app_key} declares no general page (modules.generalPages)."
        )
        text = host.iframe_page(
            self.sim.site,
            viewer,
            inst,
            src,
            title=self.sim.site.title,
            context={},
            missing=missing,
        )
        return self._html(text, session)

    def host_module(self, request: Request, app_key: str, module_key: str) -> Response:
        """An app's page module by key, as AP.navigator.go('addonmodule') opens it:
        `{ac.name}` in its URL takes the value of the `ac.name` query parameter."""
        viewer, session = self._viewer(request)
        inst = next((i for i in self.sim.installations() if i.app_key == app_key), None)
        module = inst.page_module(module_key) if inst else None
        src = None
        if inst is not None and module is not None:
            custom = {k: v for k, v in request.args.items() if k.startswith("ac.")}
            src = self._page_src(inst, module[1], viewer, custom)
        text = host.iframe_page(
            self.sim.site,
            viewer,
            inst,
            src,
            title=self.sim.site.title,
            context={},
            missing=f"No app {app_key} with a page module {module_key} is installed.",
        )
        return self._html(text, session, 200 if src else 404)

    def host_project(self, request: Request, key: str) -> Response:
        viewer, session = self._viewer(request)
        site = self.sim.site
        project = site.project_lookup(key)
        if project is None or not site.can_browse_project(viewer, project):
            text = host.iframe_page(
                site,
                viewer,
                None,
                None,
                title=key,
                context={},
                missing=f"The project {key} does not exist or you do not have permission to see it.",
            )
            return self._html(text, session, 404)
        inst = self._installation(request)
        module = inst.module_url("jiraProjectPages") if inst else None
        src = None
        if inst is not None and module is not None:
            src = self._page_src(
                inst,
                module,
                viewer,
                {"project.key": project.key, "project.id": str(project.id)},
            )
        context = {"jira": {"project": {"key": project.key, "id": str(project.id)}}}
        missing = (
            "No app is installed on this Jira site yet."
            if inst is None
            else f"The app {inst.app_key} declares no project page (modules.jiraProjectPages)."
        )
        text = host.iframe_page(
            site,
            viewer,
            inst,
            src,
            title=project.name,
            context=context,
            missing=missing,
        )
        return self._html(text, session)

    def host_issue(self, request: Request, key: str) -> Response:
        viewer, session = self._viewer(request)
        issue = self.sim.site.issue_lookup(key)
        visible = issue is not None and self.sim.site.can_browse(viewer, issue)
        inst = self._installation(request)
        module = inst.module_url("webPanels") if inst else None
        panel = None
        if visible and inst is not None and module is not None and issue is not None:
            variables = {"issue.key": issue.key, "issue.id": str(issue.id)}
            panel = (inst, self._page_src(inst, module, viewer, variables))
        return self._html(
            host.issue_page(self.sim.site, viewer, issue, key, panel=panel),
            session,
            200 if visible else 404,
        )

    def all_js(self, request: Request) -> Response:
        return Response(
            host.ALL_JS, content_type="application/javascript; charset=utf-8"
        )

    def host_context_token(self, request: Request) -> Response:
        account_id = self.sim.sessions.get(request.cookies.get(SESSION_COOKIE) or "")
        if account_id is None:
            return _error(401, "You are not logged in to the host page.")
        body = request.get_json(silent=True) or {}
        app_key = body.get("appKey")
        inst = next((i for i in self.sim.installations() if i.app_key == app_key), None)
        if inst is None:
            return _error(404, f"No app with key '{app_key}' is installed.")
        raw_context = body.get("context")
        context: dict[str, Any] = raw_context if isinstance(raw_context, dict) else {}
        return _json(
            200,
            {
                "token": connect.context_token(
                    inst, account_id=account_id, context=context
                )
            },
        )

    # ---- admin ---------------------------------------------------------------------

    def admin_reset(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        self.sim.reset(installations=bool(body.get("installations")))
        return _json(200, {"reset": True})

    def admin_faults(self, request: Request) -> Response:
        if request.method in ("POST", "PUT"):
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                return _error(400, "Send the faults as a JSON object.")
            try:
                self.sim.faults.set(Faults.from_json(body))
            except (FaultConfigError, TypeError) as exc:
                return _error(400, str(exc))
        elif request.method == "DELETE":
            self.sim.faults.set(Faults())
        return _json(200, self.sim.faults.faults.to_json())

    def admin_installations(self, request: Request) -> Response:
        return _json(200, [i.to_json() for i in self.sim.installations()])

    def admin_install(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        app_url = body.get("appUrl")
        if not isinstance(app_url, str) or not app_url:
            return _error(400, 'Send {"appUrl": "http://127.0.0.1:8000"}.')
        inst = self.sim.install_app(app_url)
        return _json(201, inst.to_json())

    def admin_uninstall(self, request: Request, app_key: str) -> Response:
        self.sim.uninstall_app(app_key)
        return Response(status=204)

    def admin_users(self, request: Request) -> Response:
        site = self.sim.site
        out = []
        for user in site.users.values():
            out.append(
                {
                    "accountId": user.account_id,
                    "displayName": user.display_name,
                    "accountType": user.account_type,
                    "groups": [g.name for g in site.user_groups(user.account_id)],
                    "siteAdmin": site.is_admin(user.account_id),
                    "browseProjects": sorted(
                        site.projects[p].key
                        for p in site.browsable_projects(user.account_id)
                    ),
                }
            )
        return _json(200, out)

    def admin_calls(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.sim.reset_call_counts()
        return _json(200, self.sim.call_counts())

    def admin_webhooks(self, request: Request) -> Response:
        with self.sim.deliverer.lock:
            log_items = list(self.sim.deliverer.log)
        return _json(
            200,
            [
                {
                    "event": d.event,
                    "url": d.url,
                    "status": d.status,
                    "error": d.error,
                    "at": d.at,
                }
                for d in log_items
            ],
        )

    def _deliveries(
        self, deliveries: list[connect.WebhookDelivery]
    ) -> list[dict[str, Any]]:
        return [
            {"event": d.event, "url": d.url, "status": d.status, "error": d.error}
            for d in deliveries
        ]

    def admin_issue_create(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _error(400, "Send the issue as a JSON object.")
        for name in ("project", "issuetype", "summary"):
            if not isinstance(body.get(name), str):
                return _error(400, f"'{name}' is required and must be a string.")
        issue, deliveries = self.sim.create_issue(
            project=body["project"],
            issuetype=body["issuetype"],
            summary=body["summary"],
            parent=body.get("parent"),
            fields=body.get("fields"),
        )
        return _json(
            201,
            {
                "id": str(issue.id),
                "key": issue.key,
                "webhooks": self._deliveries(deliveries),
            },
        )

    def admin_issue(self, request: Request, id_or_key: str) -> Response:
        if request.method == "DELETE":
            deliveries = self.sim.delete_issue(id_or_key)
            return _json(
                200, {"deleted": id_or_key, "webhooks": self._deliveries(deliveries)}
            )
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _error(400, 'Send {"fields": {...}, "status": "Done"}.')
        issue, deliveries = self.sim.update_issue(
            id_or_key, fields=body.get("fields"), status=body.get("status")
        )
        return _json(
            200,
            {
                "id": str(issue.id),
                "key": issue.key,
                "webhooks": self._deliveries(deliveries),
            },
        )

    def admin_link_create(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not all(
            isinstance(body.get(k), str | int) for k in ("type", "outward", "inward")
        ):
            return _error(
                400, 'Send {"type": "Blocks", "outward": "WEB-1", "inward": "WEB-2"}.'
            )
        link, deliveries = self.sim.add_link(
            link_type=str(body["type"]), outward=body["outward"], inward=body["inward"]
        )
        return _json(
            201, {"id": str(link.id), "webhooks": self._deliveries(deliveries)}
        )

    def admin_link_delete(self, request: Request, link_id: int) -> Response:
        deliveries = self.sim.remove_link(link_id)
        return _json(
            200, {"deleted": link_id, "webhooks": self._deliveries(deliveries)}
        )

    def admin_page_url(self, request: Request) -> Response:
        inst = self._installation(request)
        account_id = request.args.get("user") or self.sim.admin_account_id()
        path = request.args.get("path")
        if inst is None:
            return _error(404, "No app is installed.")
        if not path:
            path = inst.module_url("generalPages") or "/"
        url = connect.signed_page_url(
            inst, path, account_id=account_id, site_base_url=self.sim.base_url
        )
        return _json(200, {"url": url})


def _slow_chunks(data: bytes, pause_s: float) -> Iterator[bytes]:
    step = max(1, len(data) // 8)
    for i in range(0, len(data), step):
        yield data[i : i + step]
        time.sleep(pause_s)


class QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


def serve(sim: Simulator, port: int, *, quiet: bool = False) -> BaseWSGIServer:
    """A threaded werkzeug server on 127.0.0.1 (port 0 picks a free port)."""
    server = make_server(
        "127.0.0.1",
        port,
        SimulatorApp(sim),
        threaded=True,
        request_handler=QuietHandler if quiet else None,
    )
    return server
