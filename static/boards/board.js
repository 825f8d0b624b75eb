/* The board inside the Jira iframe: expand/collapse, keyboard, filter, edits, export.
 * No build step, no framework. Every API call carries a fresh context JWT from the
 * host's all.js (AP.context.getToken) in the Authorization header; no cookies. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("sc-config").textContent);
  var tbody = document.getElementById("sc-rows");
  var flagEl = document.querySelector("[data-testid=flag]");
  var state = { version: config.version, expandDepth: config.expandDepth, busy: false, active: null };

  // --- host bridge ------------------------------------------------------------------
  function hasAP() { return typeof window.AP !== "undefined" && window.AP; }

  function token() {
    return new Promise(function (resolve, reject) {
      if (!hasAP() || !window.AP.context || !window.AP.context.getToken) {
        reject(new Error("The Jira bridge (all.js) is not loaded."));
        return;
      }
      var settled = false;
      var maybe = window.AP.context.getToken(function (t) { settled = true; resolve(t); });
      if (maybe && typeof maybe.then === "function") {
        maybe.then(function (t) { if (!settled) resolve(t); }, reject);
      }
    });
  }

  function resize() {
    if (!hasAP()) return;
    if (window.AP.sizeToParent) { window.AP.sizeToParent(); } else if (window.AP.resize) { window.AP.resize(); }
  }

  function api(method, url, body) {
    return token().then(function (t) {
      var init = { method: method, headers: { Authorization: "JWT " + t, Accept: "application/json" }, credentials: "omit" };
      if (body !== undefined) {
        init.headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
      return fetch(url, init);
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      var parse = type.indexOf("json") >= 0 ? response.json() : Promise.resolve({});
      return parse.then(function (data) { return { status: response.status, ok: response.ok, data: data }; });
    });
  }

  function flag(message, kind) {
    if (!flagEl) return;
    flagEl.querySelector(".sc-flag__body").textContent = message;
    var icon = flagEl.querySelector(".sc-banner__icon");
    icon.style.background = kind === "error" ? "var(--sc-danger)" : kind === "success" ? "var(--sc-success)" : "var(--sc-brand)";
    icon.textContent = kind === "error" ? "!" : "i";
    flagEl.classList.remove("sc-hidden");
    clearTimeout(flag.timer);
    flag.timer = setTimeout(function () { flagEl.classList.add("sc-hidden"); }, 8000);
  }
  if (flagEl) flagEl.querySelector(".sc-flag__close").addEventListener("click", function () { flagEl.classList.add("sc-hidden"); });

  function errorText(result, fallback) {
    var data = result && result.data;
    return (data && (data.detail || data.error || data.message)) || fallback;
  }

  // --- rows in the DOM ----------------------------------------------------------------
  function rows() { return tbody ? Array.prototype.slice.call(tbody.querySelectorAll("tr.sc-row")) : []; }
  function depthOf(tr) { return parseInt(tr.getAttribute("data-depth"), 10); }
  function rowById(id) { return tbody.querySelector('tr.sc-row[data-row-id="' + id + '"]'); }

  function descendants(tr) {
    var out = [];
    var d = depthOf(tr);
    var next = tr.nextElementSibling;
    while (next && (next.classList.contains("sc-more") ? parseInt(next.getAttribute("data-depth"), 10) > d : depthOf(next) > d)) {
      out.push(next);
      next = next.nextElementSibling;
    }
    return out;
  }

  function setExpanded(tr, expanded) {
    tr.setAttribute("data-expanded", expanded ? "1" : "0");
    var toggle = tr.querySelector(".sc-toggle");
    if (toggle && !toggle.classList.contains("sc-toggle--leaf")) {
      toggle.setAttribute("aria-expanded", expanded ? "true" : "false");
      toggle.setAttribute("aria-label", expanded ? "Collapse" : "Expand");
    }
  }

  function rowsUrl(params) {
    var q = new URLSearchParams();
    q.set("version", state.version);
    if (config.viewId) q.set("view", config.viewId);
    Object.keys(params).forEach(function (k) { if (params[k] !== null && params[k] !== undefined) q.set(k, params[k]); });
    return config.rowsUrl + "?" + q.toString();
  }

  function insertHtmlAfter(anchor, html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    var fragment = template.content;
    if (anchor) { anchor.after(fragment); } else { tbody.prepend(fragment); }
  }

  function handleStale(result) {
    if (result.status === 409) {
      flag("Someone changed this structure a moment ago. The board has been refreshed; please try again.", "error");
      return reload();
    }
    return null;
  }

  function expand(tr) {
    if (tr.getAttribute("data-children") !== "1" || tr.getAttribute("data-expanded") === "1") return Promise.resolve();
    var toggle = tr.querySelector(".sc-toggle");
    if (toggle) toggle.classList.add("is-loading");
    return api("GET", rowsUrl({ under: tr.getAttribute("data-row-id"), expandDepth: depthOf(tr) + 1 })).then(function (result) {
      if (toggle) toggle.classList.remove("is-loading");
      if (!result.ok) { return handleStale(result) || flag(errorText(result, "Could not load the rows below."), "error"); }
      insertHtmlAfter(tr, result.data.html);
      setExpanded(tr, true);
      afterRender(result.data);
    }, function (err) {
      if (toggle) toggle.classList.remove("is-loading");
      flag(err.message || "Could not load the rows below.", "error");
    });
  }

  function collapse(tr) {
    descendants(tr).forEach(function (el) { el.remove(); });
    setExpanded(tr, false);
    resize();
  }

  function toggle(tr) {
    if (tr.getAttribute("data-expanded") === "1") { collapse(tr); return Promise.resolve(); }
    return expand(tr);
  }

  function expandedIds() {
    return rows().filter(function (tr) { return tr.getAttribute("data-expanded") === "1"; })
      .map(function (tr) { return tr.getAttribute("data-row-id"); });
  }

  function replaceAll(data) {
    tbody.innerHTML = data.html;
    afterRender(data);
    applyFilter();
    if (state.active) { var again = rowById(state.active); if (again) activate(again, false); }
  }

  function reload(params) {
    var p = params || {};
    var query = { expandDepth: p.expandDepth !== undefined ? p.expandDepth : state.expandDepth };
    if (!p.expandDepth && p.expandDepth !== 0) {
      query.expanded = expandedIds().join(",");
      query.limit = Math.min(Math.max(rows().length, 200), 1000);
    }
    query.version = "";  // a refresh takes the latest version
    return api("GET", rowsUrl(query)).then(function (result) {
      if (!result.ok) { flag(errorText(result, "Could not refresh the board."), "error"); return; }
      if (p.expandDepth !== undefined) state.expandDepth = p.expandDepth;
      replaceAll(result.data);
    });
  }

  function afterRender(data) {
    if (data.version !== undefined) state.version = data.version;
    if (data.dataAsOf) {
      var time = document.querySelector("[data-testid=data-as-of] time");
      if (time) { time.setAttribute("datetime", data.dataAsOf); time.textContent = new Date(data.dataAsOf).toTimeString().slice(0, 8); }
    }
    if (data.footerHtml) {
      var foot = document.querySelector(".sc-board tfoot");
      if (foot) foot.innerHTML = data.footerHtml;
    }
    resize();
  }

  // --- activation and keyboard ----------------------------------------------------
  function activate(tr, focus) {
    if (state.activeEl && state.activeEl !== tr) state.activeEl.classList.remove("is-active");
    state.activeEl = tr;
    state.active = tr ? tr.getAttribute("data-row-id") : null;
    if (!tr) return;
    tr.classList.add("is-active");
    if (focus !== false) tr.focus({ preventScroll: false });
    var remove = document.querySelector("[data-action=remove]");
    if (remove) remove.disabled = tr.getAttribute("data-generated") === "1";
  }

  function visibleRows() { return rows().filter(function (tr) { return !tr.classList.contains("is-filtered-out"); }); }

  function parentRow(tr) {
    var id = tr.getAttribute("data-parent");
    return id ? rowById(id) : null;
  }

  function openIssue(key) {
    if (hasAP() && window.AP.navigator && window.AP.navigator.go) {
      window.AP.navigator.go("issue", { issueKey: key });
    } else {
      window.top.location.href = config.hostBaseUrl + "/browse/" + encodeURIComponent(key);
    }
  }

  if (tbody) {
    tbody.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-issue-key]");
      if (link) { event.preventDefault(); openIssue(link.getAttribute("data-issue-key")); return; }
      var more = event.target.closest("[data-action=more]");
      if (more) { loadMore(more.closest("tr")); return; }
      var tr = event.target.closest("tr.sc-row");
      if (!tr) return;
      activate(tr);
      if (event.target.closest(".sc-toggle")) toggle(tr);
    });
    tbody.addEventListener("dblclick", function (event) {
      var tr = event.target.closest("tr.sc-row");
      if (tr && !event.target.closest("a")) toggle(tr);
    });
    tbody.addEventListener("keydown", function (event) {
      var tr = event.target.closest("tr.sc-row");
      if (!tr) return;
      var list = visibleRows();
      var at = list.indexOf(tr);
      var handled = true;
      switch (event.key) {
        case "ArrowDown": case "j": if (list[at + 1]) activate(list[at + 1]); break;
        case "ArrowUp": case "k": if (at > 0) activate(list[at - 1]); break;
        case "Home": activate(list[0]); break;
        case "End": activate(list[list.length - 1]); break;
        case "ArrowRight":
          if (tr.getAttribute("data-children") === "1" && tr.getAttribute("data-expanded") !== "1") expand(tr);
          else if (tr.getAttribute("data-expanded") === "1" && list[at + 1]) activate(list[at + 1]);
          break;
        case "ArrowLeft":
          if (tr.getAttribute("data-expanded") === "1") collapse(tr);
          else { var up = parentRow(tr); if (up) activate(up); }
          break;
        case "Enter": if (tr.getAttribute("data-key")) openIssue(tr.getAttribute("data-key")); else toggle(tr); break;
        case " ": toggle(tr); break;
        case "Delete": if (config.canEdit) removeRow(tr); else handled = false; break;
        default: handled = false;
      }
      if (handled) event.preventDefault();
    });
    document.addEventListener("keydown", function (event) {
      if (event.target === document.body && (event.key === "ArrowDown" || event.key === "j")) {
        var first = visibleRows()[0];
        if (first) { activate(first); event.preventDefault(); }
      }
      if ((event.ctrlKey || event.metaKey) && event.key === "z" && config.canEdit && event.target.tagName !== "INPUT") {
        event.preventDefault();
        undo();
      }
    });
  }

  function loadMore(moreRow) {
    var under = moreRow.getAttribute("data-under");
    var depth = parseInt(moreRow.getAttribute("data-depth"), 10);
    var params = { offset: moreRow.getAttribute("data-offset"), expandDepth: under ? depth : state.expandDepth };
    if (under) params.under = under;
    moreRow.querySelector("button").disabled = true;
    api("GET", rowsUrl(params)).then(function (result) {
      if (!result.ok) { handleStale(result) || flag(errorText(result, "Could not load more rows."), "error"); return; }
      var before = moreRow.previousElementSibling;
      moreRow.remove();
      insertHtmlAfter(before, result.data.html);
      afterRender(result.data);
      applyFilter();
    });
  }

  // --- quick filter ---------------------------------------------------------------
  var filterInput = document.querySelector("[data-testid=quick-filter]");
  function applyFilter() {
    if (!filterInput || !tbody) return;
    var needle = filterInput.value.trim().toLowerCase();
    var list = rows();
    if (!needle) {
      list.forEach(function (tr) { tr.classList.remove("is-filtered-out", "is-match"); });
      return;
    }
    var keep = {};
    list.forEach(function (tr) {
      var text = ((tr.getAttribute("data-key") || "") + " " + (tr.querySelector(".sc-summary__text") || {}).textContent).toLowerCase();
      var match = text.indexOf(needle) >= 0;
      tr.classList.toggle("is-match", match);
      if (match) {
        var node = tr;
        while (node) { keep[node.getAttribute("data-row-id")] = true; node = parentRow(node); }
      }
    });
    list.forEach(function (tr) { tr.classList.toggle("is-filtered-out", !keep[tr.getAttribute("data-row-id")]); });
    resize();
  }
  if (filterInput) filterInput.addEventListener("input", applyFilter);

  // --- toolbar --------------------------------------------------------------------
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button || button.closest("#sc-rows")) return;
    var action = button.getAttribute("data-action");
    if (action === "refresh") { reload().then(function () { flag("Board refreshed.", "success"); }); }
    else if (action === "add-issue") addIssue();
    else if (action === "add-folder") addFolder();
    else if (action === "remove" && state.activeEl) removeRow(state.activeEl);
    else if (action === "undo") undo();
    else if (action === "export") exportBoard(button.getAttribute("data-format"));
  });

  var levelSelect = document.querySelector("[data-action=expand-level]");
  if (levelSelect) levelSelect.addEventListener("change", function () {
    var level = parseInt(levelSelect.value, 10);
    if (level > 0) reload({ expandDepth: level - 1 });
    levelSelect.value = "";
  });

  var viewSelect = document.getElementById("sc-view");
  if (viewSelect) viewSelect.addEventListener("change", function () {
    if (config.viewLinks && config.viewLinks[viewSelect.value]) window.location.href = config.viewLinks[viewSelect.value];
  });

  // --- edits through the forest API (with the version) ----------------------------
  function forestUpdate(actions, success) {
    if (state.busy) return Promise.resolve();
    state.busy = true;
    return api("POST", config.forestUrl, { version: state.version, actions: actions }).then(function (result) {
      state.busy = false;
      if (result.status === 409) return handleStale(result);
      if (!result.ok) { flag(errorText(result, "The change was not saved."), "error"); return; }
      state.version = result.data.version;
      return reload().then(function () { if (success) flag(success, "success"); });
    }, function (err) { state.busy = false; flag(err.message, "error"); });
  }

  function placement() {
    // New rows go after the active row, as its sibling; at the end of the top level without one.
    var tr = state.activeEl;
    if (!tr || !tr.isConnected) {
      var tops = rows().filter(function (r) { return depthOf(r) === 0; });
      return { under: null, after: tops.length ? parseInt(tops[tops.length - 1].getAttribute("data-row-id"), 10) : null };
    }
    var parent = tr.getAttribute("data-parent");
    return { under: parent ? parseInt(parent, 10) : null, after: parseInt(tr.getAttribute("data-row-id"), 10) };
  }

  function addIssue() {
    var input = document.querySelector("[data-testid=add-key]");
    var key = (input.value || "").trim().toUpperCase();
    if (!/^[A-Z][A-Z0-9_]+-\d+$/.test(key)) { flag("Type an issue key such as REL-12.", "error"); input.focus(); return; }
    var where = placement();
    api("POST", config.addUrl, { version: state.version, key: key, under: where.under, after: where.after }).then(function (result) {
      if (result.status === 409) return handleStale(result);
      if (!result.ok) { flag(errorText(result, "The issue was not added."), "error"); return; }
      state.version = result.data.version;
      input.value = "";
      return reload().then(function () { flag(key + " added.", "success"); });
    });
  }

  function addFolder() {
    var name = window.prompt("Folder name");
    if (!name || !name.trim()) return;
    var where = placement();
    api("POST", config.addUrl, { version: state.version, folder: name.trim(), under: where.under, after: where.after }).then(function (result) {
      if (result.status === 409) return handleStale(result);
      if (!result.ok) { flag(errorText(result, "The folder was not added."), "error"); return; }
      state.version = result.data.version;
      return reload().then(function () { flag("Folder added.", "success"); });
    });
  }

  function removeRow(tr) {
    if (tr.getAttribute("data-generated") === "1") { flag("Rows added by a generator change with their generator.", "error"); return; }
    var label = tr.getAttribute("data-key") || (tr.querySelector(".sc-summary__text") || {}).textContent;
    forestUpdate([{ op: "remove", row: parseInt(tr.getAttribute("data-row-id"), 10) }], label + " removed. Undo is in the toolbar.");
  }

  function undo() {
    if (!config.undoUrl) return;
    api("POST", config.undoUrl, { version: state.version }).then(function (result) {
      if (result.status === 409) return handleStale(result);
      if (!result.ok) { flag(errorText(result, "Nothing to undo."), "error"); return; }
      if (result.data.version !== undefined) state.version = result.data.version;
      return reload().then(function () { flag("Undone.", "success"); });
    });
  }

  // Drag and drop: the upper quarter drops before a row, the lower quarter after it,
  // the middle under it (as its first child).
  var dragged = null;
  function dropZone(event, tr) {
    var rect = tr.getBoundingClientRect();
    var y = event.clientY - rect.top;
    if (y < rect.height * 0.25) return "before";
    if (y > rect.height * 0.75) return "after";
    return "into";
  }
  function clearDrop() {
    rows().forEach(function (tr) { tr.classList.remove("drop-before", "drop-after", "drop-into"); });
  }
  function previousSibling(tr) {
    var d = depthOf(tr);
    var node = tr.previousElementSibling;
    while (node) {
      if (node.classList.contains("sc-row")) {
        var nd = depthOf(node);
        if (nd === d) return node;
        if (nd < d) return null;
      }
      node = node.previousElementSibling;
    }
    return null;
  }
  if (tbody && config.canEdit) {
    tbody.addEventListener("dragstart", function (event) {
      var tr = event.target.closest("tr.sc-row");
      if (!tr || tr.getAttribute("draggable") !== "true") { event.preventDefault(); return; }
      dragged = tr;
      tr.classList.add("is-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", tr.getAttribute("data-row-id"));
    });
    tbody.addEventListener("dragend", function () { if (dragged) dragged.classList.remove("is-dragging"); dragged = null; clearDrop(); });
    tbody.addEventListener("dragover", function (event) {
      var tr = event.target.closest("tr.sc-row");
      if (!dragged || !tr || tr === dragged || descendants(dragged).indexOf(tr) >= 0) return;
      event.preventDefault();
      clearDrop();
      tr.classList.add("drop-" + dropZone(event, tr));
    });
    tbody.addEventListener("dragleave", function (event) {
      var tr = event.target.closest("tr.sc-row");
      if (tr) tr.classList.remove("drop-before", "drop-after", "drop-into");
    });
    tbody.addEventListener("drop", function (event) {
      var tr = event.target.closest("tr.sc-row");
      if (!dragged || !tr || tr === dragged) return;
      event.preventDefault();
      var zone = dropZone(event, tr);
      clearDrop();
      var moved = parseInt(dragged.getAttribute("data-row-id"), 10);
      var target = parseInt(tr.getAttribute("data-row-id"), 10);
      var parent = tr.getAttribute("data-parent");
      var action = { op: "move", row: moved };
      if (zone === "into") { action.under = target; action.after = null; }
      else if (zone === "after") { action.under = parent ? parseInt(parent, 10) : null; action.after = target; }
      else {
        var prev = previousSibling(tr);
        action.under = parent ? parseInt(parent, 10) : null;
        action.after = prev ? parseInt(prev.getAttribute("data-row-id"), 10) : null;
        if (action.after === moved) return;
      }
      var label = dragged.getAttribute("data-key") || "Row";
      dragged = null;
      forestUpdate([action], label + " moved.");
    });
  }

  // --- export ----------------------------------------------------------------------
  function exportBoard(format) {
    var q = new URLSearchParams({ type: format, expandDepth: String(Math.max(state.expandDepth, 49)) });
    if (config.viewId) q.set("view", config.viewId);
    token().then(function (t) {
      return fetch(config.exportUrl + "?" + q.toString(), { headers: { Authorization: "JWT " + t }, credentials: "omit" });
    }).then(function (response) {
      if (!response.ok) throw new Error("The export failed (" + response.status + ").");
      var name = (response.headers.get("Content-Disposition") || "").split("filename=")[1] || ("structure." + format);
      return response.blob().then(function (blob) {
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = name.replace(/"/g, "");
        document.body.appendChild(a);
        a.click();
        setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
      });
    }).catch(function (err) { flag(err.message, "error"); });
  }

  // --- generators still running: poll until the rows are complete -------------------
  if (document.querySelector("[data-generation-poll]")) {
    setTimeout(function poll() {
      reload().then(function () {
        if (config.generationRunning) setTimeout(poll, 2000);
      });
    }, 2000);
  }

  window.scBoard = { reload: reload, expand: expand, collapse: collapse, state: state };
  var first = rows()[0];
  if (first) activate(first, false);
  document.body.setAttribute("data-board-ready", "1");
  resize();
})();
