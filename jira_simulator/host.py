"""The host pages: a plain Jira-like frame around the app's iframe, and the AP shim."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping

from jira_simulator.connect import Installation
from jira_simulator.model import Issue, Site

STYLE = """
body{margin:0;font-family:-apple-system,'Segoe UI',Roboto,sans-serif;color:#172b4d}
header{display:flex;align-items:center;gap:16px;padding:8px 16px;background:#0052cc;color:#fff}
header a{color:#fff;text-decoration:none;font-weight:600}
header form{margin-left:auto}
nav{padding:6px 16px;background:#f4f5f7;border-bottom:1px solid #dfe1e6;font-size:14px}
nav a{margin-right:12px;color:#0052cc}
main{padding:0}
.notice{padding:24px 16px;font-size:15px}
iframe{border:0;width:100%;display:block}
table{border-collapse:collapse;margin:16px}
td,th{border:1px solid #dfe1e6;padding:4px 8px;text-align:left;font-size:14px}
"""

# Host side of the bridge: answers the app iframe's postMessage requests.
HOST_SCRIPT = """
(function () {
  const frame = document.getElementById('app-frame');
  if (!frame) return;
  const appOrigin = new URL(frame.src).origin;
  function reply(source, id, result, error) {
    source.postMessage({type: 'ap-response', id: id, result: result, error: error}, appOrigin);
  }
  window.addEventListener('message', async function (event) {
    if (event.origin !== appOrigin || !event.data || event.data.type !== 'ap-request') return;
    const msg = event.data;
    try {
      if (msg.method === 'context.getToken') {
        const r = await fetch('/_sim/host/context-token', {method: 'POST', credentials: 'same-origin',
          headers: {'Content-Type': 'application/json'},
          body: JSON.stringify({appKey: frame.dataset.appKey, context: JSON.parse(frame.dataset.context)})});
        const data = await r.json();
        if (!r.ok) throw new Error(data.errorMessages ? data.errorMessages.join(' ') : 'token refused');
        reply(event.source, msg.id, data.token);
      } else if (msg.method === 'context.getContext') {
        reply(event.source, msg.id, JSON.parse(frame.dataset.context));
      } else if (msg.method === 'resize') {
        const [w, h] = msg.args;
        if (w) frame.style.width = String(w).match(/^\\d+$/) ? w + 'px' : w;
        if (h) frame.style.height = String(h).match(/^\\d+$/) ? h + 'px' : h;
        reply(event.source, msg.id, true);
      } else if (msg.method === 'autoresize') {
        // Content height, sent by all.js as the page grows and shrinks. Pages that
        // fill the view (general and project pages) size to their parent instead.
        if (frame.dataset.fill !== '1') frame.style.height = Math.ceil(msg.args[0]) + 'px';
        reply(event.source, msg.id, true);
      } else if (msg.method === 'sizeToParent') {
        const top = frame.getBoundingClientRect().top;
        frame.style.width = '100%';
        frame.style.height = (window.innerHeight - top) + 'px';
        reply(event.source, msg.id, true);
      } else if (msg.method === 'navigator.go') {
        const [target, ctx] = msg.args;
        if (target === 'issue' && ctx && ctx.issueKey) {
          window.location.href = '/browse/' + encodeURIComponent(ctx.issueKey);
        } else if (target === 'project' && ctx && ctx.projectKey) {
          window.location.href = '/projects/' + encodeURIComponent(ctx.projectKey);
        } else if (target === 'addonmodule' && ctx && ctx.moduleKey) {
          // Jira's /plugins/servlet/ac/<app>/<module>: customData arrives as ac.* values.
          const params = new URLSearchParams();
          Object.entries(ctx.customData || {}).forEach(([k, v]) => params.set('ac.' + k, String(v)));
          window.location.href = '/plugins/servlet/ac/' + encodeURIComponent(ctx.addonKey || frame.dataset.appKey)
            + '/' + encodeURIComponent(ctx.moduleKey) + (params.toString() ? '?' + params : '');
        } else {
          window.location.href = '/';
        }
        reply(event.source, msg.id, true);
      } else if (msg.method === 'navigator.reload') {
        window.location.reload();
      } else if (msg.method.startsWith('cookie.')) {
        // As Jira does: the product's localStorage, one namespace per app, with expiry.
        const key = 'ap-cookie:' + frame.dataset.appKey + ':' + msg.args[0];
        if (msg.method === 'cookie.save') {
          const days = msg.args[2] === undefined || msg.args[2] === null ? 365 : Number(msg.args[2]);
          localStorage.setItem(key, JSON.stringify({value: String(msg.args[1]), expires: Date.now() + days * 864e5}));
          reply(event.source, msg.id, true);
        } else if (msg.method === 'cookie.read') {
          const entry = JSON.parse(localStorage.getItem(key) || 'null');
          if (entry && entry.expires <= Date.now()) localStorage.removeItem(key);
          reply(event.source, msg.id, entry && entry.expires > Date.now() ? entry.value : undefined);
        } else if (msg.method === 'cookie.erase') {
          localStorage.removeItem(key);
          reply(event.source, msg.id, true);
        } else {
          reply(event.source, msg.id, null, 'unsupported AP method ' + msg.method);
        }
      } else if (msg.method === 'request') {
        const opts = msg.args[0] || {};
        const r = await fetch(opts.url, {method: opts.type || 'GET', credentials: 'same-origin',
          headers: {'Content-Type': opts.contentType || 'application/json', 'Accept': 'application/json'},
          body: opts.data && (opts.type || 'GET') !== 'GET' ? opts.data : undefined});
        const text = await r.text();
        if (!r.ok) { reply(event.source, msg.id, null, {status: r.status, body: text}); return; }
        reply(event.source, msg.id, {body: text, xhr: {status: r.status}});
      } else {
        reply(event.source, msg.id, null, 'unsupported AP method ' + msg.method);
      }
    } catch (e) {
      reply(event.source, msg.id, null, String(e));
    }
  });
  window.addEventListener('resize', function () {
    if (frame.dataset.fill === '1') {
      frame.style.height = (window.innerHeight - frame.getBoundingClientRect().top) + 'px';
    }
  });
})();
"""

# Served at /atlassian-connect/all.js: the app page's side of the bridge.
ALL_JS = """
/* jira-simulator AP shim: a tiny stand-in for connect-cdn.atl-paas.net/all.js */
(function () {
  if (window.AP) return;
  const pending = {};
  let seq = 0;
  function call(method, args) {
    return new Promise(function (resolve, reject) {
      const id = 'ap-' + (++seq);
      pending[id] = {resolve: resolve, reject: reject};
      window.parent.postMessage({type: 'ap-request', id: id, method: method, args: args || []}, '*');
    });
  }
  window.addEventListener('message', function (event) {
    const msg = event.data;
    if (!msg || msg.type !== 'ap-response' || !pending[msg.id]) return;
    const p = pending[msg.id];
    delete pending[msg.id];
    if (msg.error) p.reject(msg.error); else p.resolve(msg.result);
  });
  function withCallback(promise, cb) {
    if (typeof cb === 'function') promise.then(function (r) { cb(r); }, function () { cb(null); });
    return promise;
  }
  // As all.js does unless told resize:false: keep the iframe as tall as its content.
  const options = (document.currentScript && document.currentScript.dataset.options) || '';
  if (options.replace(/ /g, '').indexOf('resize:false') < 0) {
    let last = 0;
    const report = function () {
      // The body's own height: the document's is never less than the frame's.
      const style = getComputedStyle(document.body);
      const h = Math.ceil(document.body.getBoundingClientRect().height
        + parseFloat(style.marginTop) + parseFloat(style.marginBottom));
      if (h !== last) { last = h; call('autoresize', [h]); }
    };
    window.addEventListener('load', report);
    if (window.ResizeObserver) {
      document.addEventListener('DOMContentLoaded', function () {
        new ResizeObserver(report).observe(document.body);
      });
    }
  }
  window.AP = {
    context: {
      getToken: function (cb) { return withCallback(call('context.getToken'), cb); },
      getContext: function (cb) { return withCallback(call('context.getContext'), cb); }
    },
    resize: function (w, h) { call('resize', [w || '100%', h]); },
    sizeToParent: function () { call('sizeToParent'); },
    navigator: {
      go: function (target, context) { call('navigator.go', [target, context || {}]); },
      reload: function () { call('navigator.reload'); }
    },
    cookie: {
      save: function (name, value, expires) { call('cookie.save', [name, value, expires]); },
      read: function (name, cb) { return withCallback(call('cookie.read', [name]), cb); },
      erase: function (name) { call('cookie.erase', [name]); }
    },
    request: function (opts) {
      const p = call('request', [{url: opts.url, type: opts.type, contentType: opts.contentType, data: opts.data}]);
      p.then(function (r) { if (opts.success) opts.success(r.body, 'success', r.xhr); },
             function (e) { if (opts.error) opts.error(e, 'error', e); });
      return p;
    }
  };
})();
"""


def _page(title: str, site: Site, viewer: str, body: str, *, script: str = "") -> str:
    options = "".join(
        f'<option value="{html.escape(u.account_id)}"{" selected" if u.account_id == viewer else ""}>'
        f"{html.escape(u.display_name)}</option>"
        for u in site.users.values()
        if u.account_type == "atlassian"
    )
    projects = "".join(
        f'<a href="/projects/{html.escape(p.key)}">{html.escape(p.name)}</a>'
        for p in site.projects.values()
        if site.can_browse_project(viewer, p)
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{STYLE}</style></head><body>
<header><a href="/">{html.escape(site.title)}</a><span>Jira (simulator)</span>
<form method="get" action=""><label>Viewing as
<select name="user" onchange="this.form.submit()">{options}</select></label></form></header>
<nav>Projects: {projects or "<em>none visible</em>"}</nav>
<main>{body}</main>
<script>{script}</script>
</body></html>"""


def _app_frame(
    inst: Installation,
    src: str,
    context: Mapping[str, object],
    *,
    fill: bool,
    attributes: str,
) -> str:
    """The app's iframe, as HOST_SCRIPT finds it: `fill` pages size to the view."""
    return (
        f'<iframe id="app-frame" src="{html.escape(src)}" '
        f'data-app-key="{html.escape(inst.app_key)}" '
        f"data-context='{html.escape(json.dumps(context))}' "
        f'data-fill="{int(fill)}" {attributes}></iframe>'
    )


def iframe_page(
    site: Site,
    viewer: str,
    inst: Installation | None,
    src: str | None,
    *,
    title: str,
    context: Mapping[str, object],
    missing: str,
) -> str:
    if inst is None or src is None:
        return _page(
            title,
            site,
            viewer,
            f'<div class="notice" id="no-app">{html.escape(missing)}</div>',
        )
    frame = _app_frame(
        inst,
        src,
        context,
        fill=True,
        attributes='style="height:calc(100vh - 80px)"',
    )
    return _page(title, site, viewer, frame, script=HOST_SCRIPT)


def issue_page(
    site: Site,
    viewer: str,
    issue: Issue | None,
    key: str,
    *,
    panel: tuple[Installation, str] | None = None,
) -> str:
    """The issue view; `panel` (the app and its signed URL) is the app's web panel,
    shown in the right-hand context column as Jira does."""
    if issue is None or not site.can_browse(viewer, issue):
        body = (
            f'<div class="notice">The issue {html.escape(key)} does not exist or you do not '
            "have permission to see it.</div>"
        )
        return _page(key, site, viewer, body)
    status = site.statuses[issue.status_id]
    itype = site.issue_types[issue.issuetype_id]
    assignee = site.users.get(issue.assignee or "")
    parent = site.issues.get(issue.parent_id) if issue.parent_id else None
    rows = [
        ("Key", issue.key),
        ("Summary", issue.summary),
        ("Type", itype.name),
        ("Status", status.name),
        ("Assignee", assignee.display_name if assignee else "Unassigned"),
        ("Parent", parent.key if parent else ""),
        ("Labels", ", ".join(issue.labels)),
        (
            "Story Points",
            "" if issue.story_points is None else f"{issue.story_points:g}",
        ),
    ]
    table = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows
    )
    details = (
        f'<h2 style="margin:16px">{html.escape(issue.key)}: '
        f"{html.escape(issue.summary)}</h2><table>{table}</table>"
    )
    if panel is None:
        return _page(issue.key, site, viewer, details)
    inst, src = panel
    panels = inst.descriptor.get("modules", {}).get("webPanels") or [{}]
    name = str((panels[0].get("name") or {}).get("value") or inst.app_key)
    context = {"jira": {"issue": {"key": issue.key, "id": str(issue.id)}}}
    frame = _app_frame(
        inst,
        src,
        context,
        fill=False,
        attributes=f'title="{html.escape(name)}" style="height:120px"',
    )
    body = (
        '<div style="display:flex;gap:24px;align-items:flex-start">'
        f'<div style="flex:1">{details}</div>'
        '<aside style="width:360px;margin:16px;border:1px solid #dfe1e6" '
        f'data-web-panel="{html.escape(inst.app_key)}">'
        f'<h3 style="margin:8px 12px;font-size:14px">{html.escape(name)}</h3>{frame}'
        "</aside></div>"
    )
    return _page(issue.key, site, viewer, body, script=HOST_SCRIPT)
