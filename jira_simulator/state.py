"""The simulator's state and its operations, independent of HTTP.

`Simulator` owns the site data, the installed apps, faults, call counters and the
webhook deliverer. The WSGI layer (`jira_simulator.server`) and the test handle
(`jira_simulator.handle`) both drive it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import secrets
import threading
import time
import uuid
from collections import Counter, OrderedDict
from typing import Any

import requests

from jira_simulator import connect, datasets, jql
from jira_simulator.connect import Installation, InstallKeys, WebhookDelivery
from jira_simulator.faults import Faults, FaultState
from jira_simulator.model import Issue, IssueLink, Site, User
from jira_simulator.render import ALL_FIELD_IDS, STORY_POINTS, TEAM, Renderer

SEARCH_CACHE_SIZE = 32


class DataError(ValueError):
    """A data-change request the simulator refuses (unknown issue, bad field...)."""


class Simulator:
    """One simulated Jira Cloud site."""

    def __init__(
        self,
        dataset: str = "demo",
        *,
        issues: int = 10_000,
        seed: int = 1,
        base_url: str = "",
    ) -> None:
        self.dataset = dataset
        self._build_args = {"issues": issues, "seed": seed}
        self.site: Site = datasets.build(dataset, issues=issues, seed=seed)
        self.base_url = base_url
        self.lock = threading.RLock()
        self.keys = InstallKeys()
        self.client_key = str(
            uuid.uuid5(uuid.NAMESPACE_URL, f"jira-simulator/{self.site.name}")
        )
        self.installs: dict[str, Installation] = {}
        self.faults = FaultState()
        self.calls: Counter[str] = Counter()
        self.calls_lock = threading.Lock()
        self.deliverer = connect.Deliverer()
        self.sessions: dict[str, str] = {}
        self._search_cache: OrderedDict[tuple[str, str, int], list[int]] = OrderedDict()

    # ---- derived ------------------------------------------------------------------

    @property
    def renderer(self) -> Renderer:
        return Renderer(self.site, self.base_url)

    def installations(self) -> list[Installation]:
        with self.lock:
            return list(self.installs.values())

    def admin_account_id(self) -> str:
        return next(
            (
                u.account_id
                for u in self.site.users.values()
                if self.site.is_admin(u.account_id)
            ),
            next(iter(self.site.users)),
        )

    # ---- calls and sessions -------------------------------------------------------

    def count_call(self, endpoint: str) -> None:
        with self.calls_lock:
            self.calls[endpoint] += 1

    def call_counts(self) -> dict[str, int]:
        with self.calls_lock:
            return dict(self.calls)

    def reset_call_counts(self) -> None:
        with self.calls_lock:
            self.calls.clear()

    def new_session(self, account_id: str) -> str:
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.sessions[token] = account_id
        return token

    # ---- reset ----------------------------------------------------------------------

    def reset(self, *, installations: bool = False) -> None:
        """Restore the dataset, clear faults, counters and the webhook log.

        Installations survive unless `installations=True`: the app keeps its secret.
        """
        with self.lock:
            # Datasets are deterministic, so rebuilding restores them exactly.
            self.site = datasets.build(self.dataset, **self._build_args)
            self._search_cache.clear()
            if installations:
                self.installs.clear()
                for account_id in [
                    a for a, u in self.site.users.items() if u.account_type == "app"
                ]:
                    del self.site.users[account_id]
            else:
                for inst in self.installs.values():
                    self._ensure_app_user(inst)
        self.faults.set(Faults())
        self.reset_call_counts()
        with self.deliverer.lock:
            self.deliverer.log.clear()

    # ---- installations ------------------------------------------------------------

    def _ensure_app_user(self, inst: Installation) -> None:
        if inst.app_account_id not in self.site.users:
            name = inst.descriptor.get("name") or inst.app_key
            self.site.users[inst.app_account_id] = User(
                inst.app_account_id, str(name), None, account_type="app"
            )

    def add_installation(
        self,
        *,
        client_key: str | None = None,
        shared_secret: str | None = None,
        app_key: str,
        app_base_url: str,
        descriptor: dict[str, Any] | None = None,
    ) -> Installation:
        inst = Installation(
            app_key=app_key,
            client_key=client_key or self.client_key,
            shared_secret=shared_secret or connect.new_shared_secret(),
            app_base_url=app_base_url.rstrip("/"),
            descriptor=descriptor
            or {"key": app_key, "baseUrl": app_base_url, "modules": {}},
            app_account_id=connect.app_account_id(app_key),
            oauth_client_id=hashlib.sha256(app_key.encode()).hexdigest()[:32],
        )
        with self.lock:
            self.installs[app_key] = inst
            self._ensure_app_user(inst)
            self._search_cache.clear()
        return inst

    def lifecycle_body(self, inst: Installation, event: str) -> dict[str, Any]:
        return {
            "key": inst.app_key,
            "clientKey": inst.client_key,
            "sharedSecret": inst.shared_secret,
            "serverVersion": "100300",
            "pluginsVersion": "1001.0.0-SNAPSHOT",
            "baseUrl": self.base_url,
            "displayUrl": self.base_url,
            "productType": "jira",
            "description": f"Atlassian JIRA at {self.base_url}",
            "serviceEntitlementNumber": "SEN-1000000",
            "oauthClientId": inst.oauth_client_id,
            "eventType": event,
        }

    def install_app(self, app_url: str, *, wait_s: float = 0.0) -> Installation:
        """Do Jira's install handshake with the app at `app_url`.

        Fetch the descriptor, POST a signed `installed` (RS256, kid, aud = the app's
        baseUrl) with a fresh shared secret, then `enabled` (HS256).
        """
        descriptor = connect.fetch_descriptor(app_url, wait_s=wait_s)
        app_base = str(descriptor["baseUrl"]).rstrip("/")
        lifecycle = descriptor.get("lifecycle") or {}
        if "installed" not in lifecycle:
            raise connect.ConnectError("descriptor has no lifecycle.installed URL")
        inst = Installation(
            app_key=str(descriptor["key"]),
            client_key=self.client_key,
            shared_secret=connect.new_shared_secret(),
            app_base_url=app_base,
            descriptor=descriptor,
            app_account_id=connect.app_account_id(str(descriptor["key"])),
            oauth_client_id=hashlib.sha256(str(descriptor["key"]).encode()).hexdigest()[
                :32
            ],
        )
        url = app_base + lifecycle["installed"]
        token = connect.lifecycle_token_rs256(
            self.keys,
            client_key=inst.client_key,
            app_base_url=app_base,
            method="POST",
            url=url,
            sub=self.admin_account_id(),
        )
        deadline = time.monotonic() + wait_s
        while True:
            try:
                response = self.deliverer.post(
                    url, self.lifecycle_body(inst, "installed"), token
                )
                break
            except requests.RequestException as exc:
                if time.monotonic() >= deadline:
                    raise connect.ConnectError(f"POST {url} failed: {exc}") from None
                time.sleep(0.5)
        if response.status_code not in (200, 204):
            raise connect.ConnectError(
                f"the app refused the install: POST {url} answered {response.status_code}: "
                f"{response.text[:300]}"
            )
        with self.lock:
            self.installs[inst.app_key] = inst
            self._ensure_app_user(inst)
            self._search_cache.clear()
        enabled = lifecycle.get("enabled")
        if enabled:
            url = app_base + enabled
            token = connect.request_token_hs256(inst, method="POST", url=url)
            # Jira does not roll back an install when `enabled` fails.
            with contextlib.suppress(requests.RequestException):
                self.deliverer.post(url, self.lifecycle_body(inst, "enabled"), token)
        return inst

    def uninstall_app(self, app_key: str) -> None:
        """`disabled` (HS256) then `uninstalled` (RS256), then forget the install."""
        with self.lock:
            inst = self.installs.get(app_key)
        if inst is None:
            raise DataError(f"no app with key {app_key!r} is installed")
        lifecycle = inst.descriptor.get("lifecycle") or {}
        if lifecycle.get("disabled"):
            url = inst.app_base_url + lifecycle["disabled"]
            token = connect.request_token_hs256(inst, method="POST", url=url)
            with contextlib.suppress(requests.RequestException):
                self.deliverer.post(url, self.lifecycle_body(inst, "disabled"), token)
        if lifecycle.get("uninstalled"):
            url = inst.app_base_url + lifecycle["uninstalled"]
            token = connect.lifecycle_token_rs256(
                self.keys,
                client_key=inst.client_key,
                app_base_url=inst.app_base_url,
                method="POST",
                url=url,
                sub=self.admin_account_id(),
            )
            with contextlib.suppress(requests.RequestException):
                self.deliverer.post(
                    url, self.lifecycle_body(inst, "uninstalled"), token
                )
        with self.lock:
            self.installs.pop(app_key, None)

    # ---- search ---------------------------------------------------------------------

    def search_ids(self, jql_text: str, viewer: str) -> list[int]:
        """All matching issue ids the viewer may browse, in order (cached per version)."""
        with self.lock:
            key = (jql_text, viewer, self.site.version)
            cached = self._search_cache.get(key)
            if cached is not None:
                self._search_cache.move_to_end(key)
                return cached
            ids = jql.Search(self.site, jql_text, viewer).run()
            self._search_cache[key] = ids
            while len(self._search_cache) > SEARCH_CACHE_SIZE:
                self._search_cache.popitem(last=False)
            return ids

    # ---- data changes (fire webhooks) ----------------------------------------------

    def _issue(self, id_or_key: str | int) -> Issue:
        issue = self.site.issue_lookup(str(id_or_key))
        if issue is None:
            raise DataError(f"issue {id_or_key!r} does not exist")
        return issue

    def _issue_payload(self, issue: Issue) -> dict[str, Any]:
        return self.renderer.issue(issue, ALL_FIELD_IDS)

    def _fire(
        self, event: str, body: dict[str, Any], issue: Issue | None
    ) -> list[WebhookDelivery]:
        out: list[WebhookDelivery] = []
        for inst in self.installations():
            if not inst.enabled:
                continue
            hooks = inst.webhook_urls(event)
            if not hooks:
                continue
            if issue is not None and not self._webhook_filter_ok(inst, event, issue):
                continue
            out.extend(self.deliverer.webhook(inst, event, body))
        return out

    def _webhook_filter_ok(self, inst: Installation, event: str, issue: Issue) -> bool:
        filters = [
            h.get("filter") for _, h in inst.webhook_urls(event) if h.get("filter")
        ]
        if not filters:
            return True
        for text in filters:
            try:
                if jql.Search(self.site, str(text), inst.app_account_id).matches(issue):
                    return True
            except jql.JqlError:
                continue
        return False

    def _event_body(self, event: str, *, user: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "timestamp": int(time.time() * 1000),
            "webhookEvent": event,
        }
        actor = self.site.users.get(user or self.admin_account_id())
        if actor is not None:
            body["user"] = self.renderer.user(actor)
        return body

    def create_issue(
        self,
        *,
        project: str,
        issuetype: str,
        summary: str,
        parent: str | None = None,
        fields: dict[str, Any] | None = None,
        user: str | None = None,
    ) -> tuple[Issue, list[WebhookDelivery]]:
        """Create an issue (fires `jira:issue_created`)."""
        with self.lock:
            site = self.site
            proj = site.project_lookup(project)
            if proj is None:
                raise DataError(f"project {project!r} does not exist")
            itype = next(
                (
                    t
                    for t in site.issue_types.values()
                    if t.name.lower() == issuetype.lower() or str(t.id) == issuetype
                ),
                None,
            )
            if itype is None:
                raise DataError(f"issue type {issuetype!r} does not exist")
            if not summary.strip():
                raise DataError("summary must not be empty")
            parent_issue = self._issue(parent) if parent else None
            if itype.subtask and parent_issue is None:
                raise DataError("a sub-task needs a parent")
            if parent_issue is not None:
                parent_level = site.issue_types[
                    parent_issue.issuetype_id
                ].hierarchy_level
                if parent_level != itype.hierarchy_level + 1:
                    raise DataError(
                        f"a {itype.name} cannot have a {site.issue_types[parent_issue.issuetype_id].name} parent"
                    )
            now = dt.datetime.now(dt.UTC)
            reporter = user or self.admin_account_id()
            last_rank = max((i.rank for i in site.issues.values()), default="0|000000:")
            issue = Issue(
                id=site.next_issue_id,
                key=site.new_issue_key(proj),
                project_id=proj.id,
                issuetype_id=itype.id,
                summary=summary,
                status_id=datasets.TODO,
                priority_id=3,
                reporter=reporter,
                created=now,
                updated=now,
                rank=last_rank[:-1] + "i:",
                parent_id=parent_issue.id if parent_issue else None,
            )
            if (
                parent_issue is not None
                and parent_issue.security_level_id
                and itype.subtask
            ):
                issue.security_level_id = parent_issue.security_level_id
            site.add_issue(issue)
            if fields:
                self._apply_fields(issue, fields)
            body = self._event_body("jira:issue_created", user=user)
            body["issue_event_type_name"] = "issue_created"
            body["issue"] = self._issue_payload(issue)
        return issue, self._fire("jira:issue_created", body, issue)

    def update_issue(
        self,
        id_or_key: str | int,
        *,
        fields: dict[str, Any] | None = None,
        status: str | None = None,
        user: str | None = None,
    ) -> tuple[Issue, list[WebhookDelivery]]:
        """Edit fields and/or move to a status (fires `jira:issue_updated` with a changelog)."""
        with self.lock:
            issue = self._issue(id_or_key)
            before = dataclasses.replace(
                issue,
                labels=list(issue.labels),
                fix_version_ids=list(issue.fix_version_ids),
            )
            items: list[dict[str, Any]] = []
            if fields:
                items.extend(self._apply_fields(issue, fields))
            if status is not None:
                new_status = self.site.status_by_name(status)
                if new_status is None:
                    raise DataError(f"status {status!r} does not exist")
                old = self.site.statuses[issue.status_id]
                if new_status.id != old.id:
                    issue.status_id = new_status.id
                    items.append(
                        _change(
                            "status",
                            "status",
                            str(old.id),
                            old.name,
                            str(new_status.id),
                            new_status.name,
                        )
                    )
                    if (
                        new_status.category.key == "done"
                        and issue.resolution_id is None
                    ):
                        issue.resolution_id = datasets.RES_DONE
                        issue.resolution_date = dt.datetime.now(dt.UTC)
                        items.append(
                            _change(
                                "resolution",
                                "resolution",
                                None,
                                None,
                                str(datasets.RES_DONE),
                                "Done",
                            )
                        )
                    elif (
                        new_status.category.key != "done"
                        and issue.resolution_id is not None
                    ):
                        old_res = self.site.resolutions[issue.resolution_id]
                        issue.resolution_id = None
                        issue.resolution_date = None
                        items.append(
                            _change(
                                "resolution",
                                "resolution",
                                str(old_res.id),
                                old_res.name,
                                None,
                                None,
                            )
                        )
            issue.updated = max(
                dt.datetime.now(dt.UTC), before.updated + dt.timedelta(seconds=1)
            )
            self.site.version += 1
            body = self._event_body("jira:issue_updated", user=user)
            body["issue_event_type_name"] = (
                "issue_generic" if status is not None else "issue_updated"
            )
            body["issue"] = self._issue_payload(issue)
            body["changelog"] = {
                "id": str(secrets.randbelow(10**6) + 10000),
                "items": items,
            }
        return issue, self._fire("jira:issue_updated", body, issue)

    def _apply_fields(
        self, issue: Issue, fields: dict[str, Any]
    ) -> list[dict[str, Any]]:
        site = self.site
        items: list[dict[str, Any]] = []
        for name, value in fields.items():
            if name == "summary":
                if not isinstance(value, str) or not value.strip():
                    raise DataError("summary must be a non-empty string")
                items.append(
                    _change("summary", "summary", None, issue.summary, None, value)
                )
                issue.summary = value
            elif name == "description":
                items.append(
                    _change(
                        "description",
                        "description",
                        None,
                        issue.description,
                        None,
                        value,
                    )
                )
                issue.description = None if value is None else str(value)
            elif name in ("assignee", "reporter"):
                account = value.get("accountId") if isinstance(value, dict) else value
                if account is not None and account not in site.users:
                    raise DataError(f"user {account!r} does not exist")
                if name == "reporter" and account is None:
                    raise DataError("reporter is required")
                old = getattr(issue, name)
                setattr(issue, name, account)
                items.append(
                    _change(
                        name,
                        name,
                        old,
                        _display(site, old),
                        account,
                        _display(site, account),
                    )
                )
            elif name == "labels":
                if not isinstance(value, list) or not all(
                    isinstance(v, str) and v and " " not in v for v in value
                ):
                    raise DataError("labels must be a list of strings without spaces")
                items.append(
                    _change(
                        "labels",
                        "labels",
                        None,
                        " ".join(issue.labels),
                        None,
                        " ".join(value),
                    )
                )
                issue.labels = list(value)
            elif name == "priority":
                pname = value.get("name") if isinstance(value, dict) else value
                prio = next(
                    (
                        p
                        for p in site.priorities.values()
                        if p.name.lower() == str(pname).lower()
                        or str(p.id) == str(pname)
                    ),
                    None,
                )
                if prio is None:
                    raise DataError(f"priority {pname!r} does not exist")
                items.append(
                    _change(
                        "priority",
                        "priority",
                        str(issue.priority_id),
                        site.priorities[issue.priority_id].name,
                        str(prio.id),
                        prio.name,
                    )
                )
                issue.priority_id = prio.id
            elif name in (STORY_POINTS, "storyPoints", "Story Points"):
                if value is not None and (
                    isinstance(value, bool) or not isinstance(value, int | float)
                ):
                    raise DataError("Story Points must be a number or null")
                items.append(
                    _change(
                        "Story Points",
                        STORY_POINTS,
                        None,
                        _num(issue.story_points),
                        None,
                        _num(value),
                    )
                )
                issue.story_points = None if value is None else float(value)
            elif name in (TEAM, "team"):
                team_id = value.get("id") if isinstance(value, dict) else value
                if team_id is not None and team_id not in site.teams:
                    team_id = next(
                        (t.id for t in site.teams.values() if t.name == team_id), None
                    )
                    if team_id is None:
                        raise DataError(f"team {value!r} does not exist")
                items.append(_change("Team", TEAM, issue.team_id, None, team_id, None))
                issue.team_id = team_id
            elif name == "parent":
                ref = (
                    value.get("key") or value.get("id")
                    if isinstance(value, dict)
                    else value
                )
                new_parent = self._issue(ref) if ref else None
                if new_parent is not None and new_parent.id == issue.id:
                    raise DataError("an issue cannot be its own parent")
                if new_parent is not None:
                    want = site.issue_types[issue.issuetype_id].hierarchy_level + 1
                    if (
                        site.issue_types[new_parent.issuetype_id].hierarchy_level
                        != want
                    ):
                        raise DataError(
                            f"{new_parent.key} cannot be the parent of {issue.key}"
                        )
                old_parent = (
                    site.issues.get(issue.parent_id) if issue.parent_id else None
                )
                site.set_parent(issue, new_parent.id if new_parent else None)
                items.append(
                    _change(
                        "IssueParentAssociation",
                        "parent",
                        str(old_parent.id) if old_parent else None,
                        old_parent.key if old_parent else None,
                        str(new_parent.id) if new_parent else None,
                        new_parent.key if new_parent else None,
                    )
                )
            elif name == "fixVersions":
                ids = []
                for v in value or []:
                    ref = (
                        str(v.get("id") or v.get("name"))
                        if isinstance(v, dict)
                        else str(v)
                    )
                    version = next(
                        (
                            ver
                            for ver in site.projects[issue.project_id].versions
                            if str(ver.id) == ref or ver.name == ref
                        ),
                        None,
                    )
                    if version is None:
                        raise DataError(
                            f"version {ref!r} does not exist in the issue's project"
                        )
                    ids.append(version.id)
                items.append(
                    _change("Fix Version", "fixVersions", None, None, None, None)
                )
                issue.fix_version_ids = ids
            elif name == "timetracking":
                if not isinstance(value, dict):
                    raise DataError("timetracking must be an object of *Seconds values")
                issue.original_estimate_s = value.get(
                    "originalEstimateSeconds", issue.original_estimate_s
                )
                issue.remaining_estimate_s = value.get(
                    "remainingEstimateSeconds", issue.remaining_estimate_s
                )
                issue.time_spent_s = value.get("timeSpentSeconds", issue.time_spent_s)
                items.append(
                    _change("timeestimate", "timeestimate", None, None, None, None)
                )
            elif name == "rank":
                if not isinstance(value, str) or not value:
                    raise DataError("rank must be a non-empty string")
                issue.rank = value
                items.append(
                    _change(
                        "Rank", "customfield_10019", None, None, None, "Ranked higher"
                    )
                )
            else:
                raise DataError(f"field {name!r} cannot be set by the simulator")
        site.version += 1
        return items

    def delete_issue(
        self, id_or_key: str | int, *, user: str | None = None
    ) -> list[WebhookDelivery]:
        """Delete an issue and its sub-tasks (fires `jira:issue_deleted` and link events)."""
        with self.lock:
            issue = self._issue(id_or_key)
            doomed = [
                issue,
                *[
                    c
                    for c in self.site.children_of(issue.id)
                    if self.site.issue_types[c.issuetype_id].subtask
                ],
            ]
            bodies = []
            for item in doomed:
                body = self._event_body("jira:issue_deleted", user=user)
                body["issue_event_type_name"] = "issue_deleted"
                body["issue"] = self._issue_payload(item)
                bodies.append((body, item))
            link_bodies = [
                self._link_body("issuelink_deleted", lk)
                for lk in self._links_around(doomed)
            ]
            self.site.remove_issue(issue.id)
        out: list[WebhookDelivery] = []
        for body in link_bodies:
            out.extend(self._fire("issuelink_deleted", body, None))
        for body, item in bodies:
            out.extend(self._fire("jira:issue_deleted", body, item))
        return out

    def _links_around(self, issues: list[Issue]) -> list[IssueLink]:
        seen: dict[int, IssueLink] = {}
        for issue in issues:
            for link in self.site.links_of(issue.id):
                seen[link.id] = link
        return list(seen.values())

    def _link_body(self, event: str, link: IssueLink) -> dict[str, Any]:
        lt = self.site.link_types[link.type_id]
        return {
            "timestamp": int(time.time() * 1000),
            "webhookEvent": event,
            "issueLink": {
                "id": link.id,
                "sourceIssueId": link.outward_id,
                "destinationIssueId": link.inward_id,
                "issueLinkType": {
                    "id": lt.id,
                    "name": lt.name,
                    "outwardName": lt.outward,
                    "inwardName": lt.inward,
                    "isSubTaskLinkType": False,
                    "isSystemLinkType": False,
                },
                "systemLink": False,
            },
        }

    def add_link(
        self, *, link_type: str, outward: str | int, inward: str | int
    ) -> tuple[IssueLink, list[WebhookDelivery]]:
        """`outward` <type.outward> `inward` (e.g. outward blocks inward); fires `issuelink_created`."""
        with self.lock:
            lt = self.site.link_type_lookup(str(link_type))
            if lt is None:
                raise DataError(f"link type {link_type!r} does not exist")
            source = self._issue(outward)
            dest = self._issue(inward)
            if source.id == dest.id:
                raise DataError("an issue cannot be linked to itself")
            link = self.site.add_link(lt.id, source.id, dest.id)
            body = self._link_body("issuelink_created", link)
        return link, self._fire("issuelink_created", body, None)

    def remove_link(self, link_id: int) -> list[WebhookDelivery]:
        """Delete a link (fires `issuelink_deleted`)."""
        with self.lock:
            if link_id not in self.site.links:
                raise DataError(f"link {link_id} does not exist")
            link = self.site.remove_link(link_id)
            body = self._link_body("issuelink_deleted", link)
        return self._fire("issuelink_deleted", body, None)


def _change(
    field: str,
    field_id: str,
    frm: str | None,
    from_string: Any,
    to: str | None,
    to_string: Any,
) -> dict[str, Any]:
    return {
        "field": field,
        "fieldtype": "custom" if field_id.startswith("customfield_") else "jira",
        "fieldId": field_id,
        "from": frm,
        "fromString": None if from_string is None else str(from_string),
        "to": to,
        "toString": None if to_string is None else str(to_string),
    }


def _display(site: Site, account_id: str | None) -> str | None:
    if account_id is None:
        return None
    user = site.users.get(account_id)
    return user.display_name if user else account_id


def _num(value: float | None) -> str | None:
    return None if value is None else f"{value:g}"
