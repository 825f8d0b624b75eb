/* The board inside the Jira iframe: expand/collapse, keyboard, filter, edits, export.
 * No build step, no framework. Every API call carries a fresh context JWT from the
 * host's all.js (AP.context.getToken) in the Authorization header; no cookies. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("sc-config").textContent);
  var tbody = document.getElementById("sc-rows");
  var flagEl = document.querySelector("[data-testid=flag]");
  var state = {
    version: config.version, expandDepth: config.expandDepth, busy: false, active: null,
    q: "", expandedBeforeFilter: null, generating: config.generating,
    // The columns on screen; they differ from config.view.columns while "Modified".
    columns: JSON.parse(JSON.stringify(config.view.columns))
  };

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

  // The table header sticks below the toolbar, whose height depends on how it wraps.
  function stickyOffset() {
    var bar = document.querySelector(".sc-toolbar");
    if (bar) document.documentElement.style.setProperty("--sc-toolbar-h", bar.offsetHeight + "px");
  }
  window.addEventListener("resize", stickyOffset);

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
    if (data && data.fields) {
      // Field errors say what was wrong ("columns[2]: agg must be ...").
      var name = Object.keys(data.fields)[0];
      var messages = data.fields[name];
      if (messages && messages.length) return String(messages[0]);
    }
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
    if (isModified()) q.set("columns", JSON.stringify(state.columns));
    if (state.q && !params.under) q.set("q", state.q);
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
    if (state.active) { var again = rowById(state.active); if (again) activate(again, false); }
  }

  function reload(params) {
    var p = params || {};
    var query = { expandDepth: p.expandDepth !== undefined ? p.expandDepth : state.expandDepth };
    if (!p.expandDepth && p.expandDepth !== 0 && !state.q) {
      query.expanded = (p.expanded || expandedIds()).join(",");
      query.limit = Math.min(Math.max(rows().length, 200), 1000);
    }
    query.version = "";  // a refresh takes the latest version
    var table = document.querySelector(".sc-board");
    if (table) table.classList.add("is-loading");
    var asked = state.q;
    return api("GET", rowsUrl(query)).then(function (result) {
      if (table) table.classList.remove("is-loading");
      if (asked !== state.q) return;  // the filter changed meanwhile; a newer reload follows
      if (!result.ok) { flag(errorText(result, "Could not refresh the board."), "error"); return false; }
      if (p.expandDepth !== undefined) state.expandDepth = p.expandDepth;
      replaceAll(result.data);
      return true;
    }, function (err) {
      if (table) table.classList.remove("is-loading");
      flag(err.message || "Could not refresh the board.", "error");
      return false;
    });
  }

  function afterRender(data) {
    if (data.version !== undefined) state.version = data.version;
    if (data.generating !== undefined) state.generating = data.generating;
    if (data.dataAsOf) {
      var time = document.querySelector("[data-testid=data-as-of] time");
      if (time) { time.setAttribute("datetime", data.dataAsOf); time.textContent = new Date(data.dataAsOf).toTimeString().slice(0, 8); }
    }
    if (data.footerHtml) {
      var foot = document.querySelector(".sc-board tfoot");
      if (foot) foot.innerHTML = data.footerHtml;
    }
    if (data.headHtml) {
      var head = document.querySelector(".sc-board thead");
      if (head) {
        head.innerHTML = data.headHtml;
        var tr = head.querySelector("tr");
        head.parentNode.style.setProperty("--sc-min-wide", tr.getAttribute("data-min-wide") + "px");
        head.parentNode.style.setProperty("--sc-min-narrow", tr.getAttribute("data-min-narrow") + "px");
      }
    }
    stickyOffset();
    if (filterCount && data.matchCount !== undefined) {
      filterCount.textContent = data.matchCount === null ? "" : data.matchCount === 1 ? "1 match" : data.matchCount.toLocaleString() + " matches";
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
    });
  }

  // --- quick filter: the server filters the whole tree, not only the loaded rows ------
  var filterInput = document.querySelector("[data-testid=quick-filter]");
  var filterCount = document.querySelector("[data-testid=filter-count]");
  function applyFilter() {
    if (!filterInput || !tbody) return;
    var q = filterInput.value.trim();
    if (q === state.q) return;
    if (!state.q) state.expandedBeforeFilter = expandedIds();
    state.q = q;
    if (q) { reload(); return; }
    var before = state.expandedBeforeFilter || [];
    state.expandedBeforeFilter = null;
    reload({ expanded: before });
  }
  if (filterInput) {
    filterInput.addEventListener("input", function () {
      clearTimeout(applyFilter.timer);
      applyFilter.timer = setTimeout(applyFilter, 250);
    });
    filterInput.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && filterInput.value) { filterInput.value = ""; clearTimeout(applyFilter.timer); applyFilter(); }
      if (event.key === "Enter") { clearTimeout(applyFilter.timer); applyFilter(); }
    });
  }

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
    else if (views[action]) views[action](button);
  });

  var levelSelect = document.querySelector("[data-action=expand-level]");
  if (levelSelect) levelSelect.addEventListener("change", function () {
    var level = parseInt(levelSelect.value, 10);
    if (level > 0) reload({ expandDepth: level - 1 });
    levelSelect.value = "";
  });

  var viewSelect = document.getElementById("sc-view");
  if (viewSelect) viewSelect.addEventListener("change", function () {
    if (isModified() && !window.confirm("Switch views and drop your column changes?")) {
      viewSelect.value = config.viewId === null ? "" : String(config.viewId);
      return;
    }
    draftStore(null);
    if (config.viewLinks && config.viewLinks[viewSelect.value]) window.location.href = config.viewLinks[viewSelect.value];
  });

  // --- views: local column changes ("Modified"), Save, Save as, rename, default --------
  var LEVELS = { NONE: 0, USE: 10, UPDATE: 20, MANAGE: 30 };
  var KIND_TITLES = { summary: "Summary", key: "Key", status: "Status", assignee: "Assignee", priority: "Priority", issuetype: "Type", leaves: "Leaves", issues: "Issues" };
  var AGG_TITLES = { sum: "Σ", count: "Count", min: "Min", max: "Max", avg: "Avg" };
  var MODE_TITLES = { resolution: "by resolution", status: "by status category", time: "by time tracking" };
  var fieldNames = {};
  var fieldsLoaded = null;
  var panel = document.querySelector("[data-testid=columns-panel]");
  var columnList = document.querySelector("[data-testid=column-list]");
  var modifiedEl = document.querySelector("[data-testid=view-modified]");
  var saveButton = document.querySelector("[data-testid=view-save]");
  var discardButton = document.querySelector("[data-testid=view-discard]");
  var dialog = document.querySelector("[data-testid=view-dialog]");
  var menu = document.querySelector("[data-testid=view-menu]");

  function isModified() { return JSON.stringify(state.columns) !== JSON.stringify(config.view.columns); }

  // Unsaved column changes outlive a reload of the iframe (Jira reloads it on many
  // navigations) until saved, saved as or discarded, for a day. They live in Jira's own
  // storage for this app (AP.cookie: the app's frame, a third party, may not have any),
  // with the columns they were made from: if the view was saved by someone since, they
  // are dropped rather than laid over columns the user never saw.
  var DRAFT_DAYS = 1;
  var draftRead = false;  // nothing is stored or erased before the saved draft is read

  function draftStorage() { return hasAP() && window.AP.cookie ? window.AP.cookie : null; }

  function draftStore(columns) {
    var storage = draftStorage();
    if (!storage || !draftRead) return;
    if (columns === null) storage.erase(config.columnsDraftKey);
    else storage.save(config.columnsDraftKey, JSON.stringify({ base: config.view.columns, columns: columns }), DRAFT_DAYS);
  }

  function draftRestore() {
    var storage = draftStorage();
    if (!storage) { draftRead = true; return; }
    storage.read(config.columnsDraftKey, function (value) {
      draftRead = true;
      var draft = null;
      try { draft = value ? JSON.parse(value) : null; } catch (e) { draft = null; }
      if (!draft || !Array.isArray(draft.columns)) { showModified(); return; }
      if (JSON.stringify(draft.base) !== JSON.stringify(config.view.columns)) {
        draftStore(null);
        flag("This view was changed since your unsaved column changes; they were dropped.", "info");
        return;
      }
      if (isModified()) return;  // the user changed columns while it was read: theirs win
      state.columns = draft.columns;
      renderColumnList();
      showModified();
      reload().then(function (ok) {
        // The server refused them (a field gone since): back to the saved columns.
        if (ok === false) { state.columns = JSON.parse(JSON.stringify(config.view.columns)); renderColumnList(); showModified(); return; }
        flag("Your unsaved column changes are back: Save, Save as or Discard them.", "info");
      });
    });
  }

  function canSave() { return config.view.id !== null && LEVELS[config.view.level] >= LEVELS.UPDATE; }

  function showModified() {
    var modified = isModified();
    draftStore(modified ? state.columns : null);
    if (modifiedEl) modifiedEl.classList.toggle("sc-hidden", !modified);
    if (discardButton) discardButton.classList.toggle("sc-hidden", !modified);
    if (saveButton) {
      saveButton.classList.toggle("sc-hidden", !modified);
      saveButton.disabled = !canSave();
      saveButton.title = canSave() ? "Save the columns to this view for everyone who uses it"
        : config.view.id === null ? "The built-in columns cannot be changed; use Save as"
        : "You can use this view but not change it (Update permission needed); use Save as";
    }
  }

  function columnTitle(c) {
    if (c.title) return c.title;
    if (KIND_TITLES[c.kind]) return KIND_TITLES[c.kind];
    if (c.kind === "progress") return "Progress";
    var name = fieldNames[c.fieldId] || c.fieldId;
    return c.kind === "total" ? (AGG_TITLES[c.agg || "sum"] + " " + name) : name;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function optionsSelect(choices, value, label) {
    var select = el("select", { "class": "sc-select", "aria-label": label });
    Object.keys(choices).forEach(function (k) {
      var option = el("option", { value: k }, choices[k]);
      if (k === value) option.selected = true;
      select.appendChild(option);
    });
    return select;
  }

  function renderColumnList() {
    if (!columnList) return;
    columnList.innerHTML = "";
    state.columns.forEach(function (c, i) {
      var li = el("li", { "data-index": String(i), "data-kind": c.kind });
      var title = el("span", { "class": "sc-collist__title" }, columnTitle(c));
      if (c.kind === "field" || c.kind === "total") title.appendChild(el("small", {}, c.fieldId));
      li.appendChild(title);
      if (c.kind === "total") {
        var agg = optionsSelect({ sum: "Sum", count: "Count", min: "Min", max: "Max", avg: "Average" }, c.agg || "sum", "Aggregation");
        agg.addEventListener("change", function () { changeColumns(function (cols) { cols[i] = { kind: "total", fieldId: c.fieldId, agg: agg.value }; }); });
        li.appendChild(agg);
      }
      if (c.kind === "progress") {
        var mode = optionsSelect({ resolution: "Resolution", status: "Status", time: "Time" }, c.mode || "resolution", "Progress by");
        mode.setAttribute("data-testid", "column-mode");
        mode.addEventListener("change", function () { changeColumns(function (cols) { cols[i] = Object.assign({}, c, { mode: mode.value }); }); });
        li.appendChild(mode);
      }
      var up = el("button", { type: "button", "class": "sc-button sc-button--subtle", "aria-label": "Move " + columnTitle(c) + " up (further left)", title: "Move up (further left)" }, "↑");
      up.disabled = i === 0;
      up.addEventListener("click", function () { changeColumns(function (cols) { cols.splice(i - 1, 0, cols.splice(i, 1)[0]); }); });
      var down = el("button", { type: "button", "class": "sc-button sc-button--subtle", "aria-label": "Move " + columnTitle(c) + " down (further right)", title: "Move down (further right)" }, "↓");
      down.disabled = i === state.columns.length - 1;
      down.addEventListener("click", function () { changeColumns(function (cols) { cols.splice(i + 1, 0, cols.splice(i, 1)[0]); }); });
      var remove = el("button", { type: "button", "class": "sc-button sc-button--subtle", "aria-label": "Remove " + columnTitle(c), title: c.kind === "summary" ? "The summary carries the tree and stays" : "Remove", "data-action": "column-remove" }, "×");
      remove.disabled = c.kind === "summary";
      remove.addEventListener("click", function () { changeColumns(function (cols) { cols.splice(i, 1); }); });
      li.appendChild(up); li.appendChild(down); li.appendChild(remove);
      columnList.appendChild(li);
    });
  }

  function changeColumns(edit) {
    var next = JSON.parse(JSON.stringify(state.columns));
    edit(next);
    var before = state.columns;
    state.columns = next;
    renderColumnList();
    showModified();
  stickyOffset();
    return reload().then(function (ok) {
      // The server refused the columns (reload flagged why): go back to the last good ones.
      if (ok === false) { state.columns = before; renderColumnList(); showModified(); }
    });
  }

  function loadFields() {
    if (fieldsLoaded) return fieldsLoaded;
    fieldsLoaded = api("GET", config.fieldsUrl).then(function (result) {
      if (!result.ok) { fieldsLoaded = null; flag(errorText(result, "Could not load Jira's fields."), "error"); return; }
      var fieldSelect = document.querySelector("[data-testid=column-add-field]");
      var weight = document.querySelector("[data-testid=column-add-weight]");
      fieldSelect.innerHTML = "";
      result.data.forEach(function (f) {
        fieldNames[f.id] = f.name;
        var option = el("option", { value: f.id, "data-numeric": f.numeric ? "1" : "0" }, f.name + " (" + f.id + ")");
        fieldSelect.appendChild(option);
        if (f.numeric) weight.appendChild(el("option", { value: f.id }, "Weighted by " + f.name));
      });
      syncAddOptions();
      renderColumnList();
    });
    return fieldsLoaded;
  }

  var kindSelect = document.querySelector("[data-testid=column-add-kind]");
  function syncAddOptions() {
    if (!kindSelect) return;
    var kind = kindSelect.value;
    var fieldSelect = document.querySelector("[data-testid=column-add-field]");
    document.querySelector("[data-role=field-opts]").classList.toggle("sc-hidden", kind !== "field" && kind !== "total");
    document.querySelector("[data-role=agg-opts]").classList.toggle("sc-hidden", kind !== "total");
    document.querySelector("[data-role=progress-opts]").classList.toggle("sc-hidden", kind !== "progress");
    // Totals add up numbers: offer only numeric fields for them.
    Array.prototype.forEach.call(fieldSelect.options, function (option) {
      option.hidden = kind === "total" && option.getAttribute("data-numeric") === "0";
    });
    var chosen = fieldSelect.options[fieldSelect.selectedIndex];
    if (chosen && chosen.hidden) {
      var firstShown = Array.prototype.find.call(fieldSelect.options, function (o) { return !o.hidden; });
      if (firstShown) fieldSelect.value = firstShown.value;
    }
  }
  if (kindSelect) kindSelect.addEventListener("change", function () { syncAddOptions(); if (kindSelect.value === "field" || kindSelect.value === "total") loadFields(); });

  function newColumn() {
    var kind = kindSelect.value;
    if (kind === "field" || kind === "total") {
      var fieldId = document.querySelector("[data-testid=column-add-field]").value;
      if (!fieldId) { flag("Choose a Jira field first.", "error"); return null; }
      var c = { kind: kind, fieldId: fieldId, title: "" };
      if (kind === "total") {
        c.agg = document.querySelector("[data-testid=column-add-agg]").value;
        c.title = AGG_TITLES[c.agg] + " " + (fieldNames[fieldId] || fieldId);
      } else {
        c.title = fieldNames[fieldId] || fieldId;
      }
      return c;
    }
    if (kind === "progress") {
      var weight = document.querySelector("[data-testid=column-add-weight]").value;
      return { kind: "progress", mode: document.querySelector("[data-testid=column-add-mode]").value, weightField: weight || null, title: "Progress" };
    }
    return { kind: kind, title: KIND_TITLES[kind] };
  }

  function openPanel(open) {
    if (!panel) return;
    panel.classList.toggle("sc-hidden", !open);
    var button = document.querySelector("[data-action=columns]");
    if (button) button.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) { renderColumnList(); syncAddOptions(); loadFields(); kindSelect.focus(); }
  }

  function openMenu(open) {
    if (!menu) return;
    menu.classList.toggle("sc-hidden", !open);
    document.querySelector("[data-action=view-menu]").setAttribute("aria-expanded", open ? "true" : "false");
  }

  function viewUrl(id, suffix) { return config.viewsUrl + "/" + id + (suffix || ""); }

  function openViewLink(id) {
    return api("GET", config.linkUrl + (id ? "?view=" + encodeURIComponent(id) : "")).then(function (result) {
      if (result.ok && result.data.url) window.location.href = result.data.url;
      else flag(errorText(result, "The view was saved; reload to open it."), "error");
    });
  }

  var dialogMode = "save-as";
  function openDialog(mode) {
    dialogMode = mode;
    var form = dialog.querySelector("form");
    form.reset();
    dialog.querySelector("h2").textContent = mode === "rename" ? "Rename view" : "Save view as";
    dialog.querySelectorAll("[data-role=save-as-only]").forEach(function (row) { row.classList.toggle("sc-hidden", mode !== "save-as"); });
    form.elements.name.value = mode === "rename" ? config.view.name : (config.view.id === null ? "My view" : "Copy of " + config.view.name).slice(0, 100);
    dialog.querySelector("[data-testid=view-error]").classList.add("sc-hidden");
    dialog.classList.remove("sc-hidden");
    form.elements.name.focus();
    form.elements.name.select();
  }
  function closeDialog() { dialog.classList.add("sc-hidden"); }

  if (dialog) dialog.querySelector("form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    var name = form.elements.name.value.trim();
    if (!name) return;
    var error = dialog.querySelector("[data-testid=view-error]");
    var request = dialogMode === "rename"
      ? api("PUT", viewUrl(config.view.id), { name: name })
      : api("POST", config.viewsUrl, {
        name: name, columns: state.columns, expandDepth: state.expandDepth,
        public: form.elements.public.checked,
        makeDefault: form.elements.makeDefault ? form.elements.makeDefault.checked : false
      });
    request.then(function (result) {
      if (!result.ok) { error.textContent = errorText(result, "The view was not saved."); error.classList.remove("sc-hidden"); return; }
      closeDialog();
      if (dialogMode === "rename") {
        config.view.name = result.data.name;
        var option = viewSelect && viewSelect.querySelector("option:checked");
        if (option) option.textContent = result.data.name + (result.data.isDefault ? " (default)" : "");
        flag("View renamed.", "success");
        return;
      }
      flag("Saved as " + result.data.name + ".", "success");
      config.view.columns = state.columns;  // nothing is lost while the link loads
      draftStore(null);
      return openViewLink(result.data.id);
    });
  });

  var views = {
    "columns": function () { openPanel(panel && panel.classList.contains("sc-hidden")); },
    "columns-close": function () { openPanel(false); },
    "column-add": function () {
      var c = newColumn();
      if (!c) return;
      if (state.columns.length >= 30) { flag("A view has at most 30 columns.", "error"); return; }
      changeColumns(function (cols) { cols.push(c); });
    },
    "view-save": function () {
      if (!canSave()) return;
      api("PUT", viewUrl(config.view.id), { columns: state.columns }).then(function (result) {
        if (!result.ok) { flag(errorText(result, "The view was not saved."), "error"); return; }
        config.view.columns = result.data.columns;
        state.columns = JSON.parse(JSON.stringify(result.data.columns));
        showModified();
        renderColumnList();
        flag("View " + result.data.name + " saved.", "success");
      });
    },
    "view-discard": function () {
      state.columns = JSON.parse(JSON.stringify(config.view.columns));
      renderColumnList();
      showModified();
      reload();
    },
    "view-save-as": function () { openMenu(false); openDialog("save-as"); },
    "dialog-cancel": closeDialog,
    "view-menu": function () { openMenu(menu && menu.classList.contains("sc-hidden")); },
    "view-rename": function () { openMenu(false); openDialog("rename"); },
    "view-default": function () {
      openMenu(false);
      api("POST", viewUrl(config.view.id, "/default")).then(function (result) {
        if (!result.ok) { flag(errorText(result, "The default view was not changed."), "error"); return; }
        flag(result.data.name + " is now the default view.", "success");
        openViewLink(result.data.id);
      });
    },
    "view-delete": function () {
      openMenu(false);
      if (!window.confirm("Delete the view " + config.view.name + " for everyone?")) return;
      api("DELETE", viewUrl(config.view.id)).then(function (result) {
        if (!result.ok) { flag(errorText(result, "The view was not deleted."), "error"); return; }
        var other = viewSelect && Array.prototype.find.call(viewSelect.options, function (o) { return o.value && o.value !== String(config.view.id); });
        if (other && config.viewLinks[other.value]) window.location.href = config.viewLinks[other.value];
        else openViewLink("");
      });
    }
  };

  document.addEventListener("click", function (event) {
    if (menu && !menu.classList.contains("sc-hidden") && !event.target.closest(".sc-menu-wrap")) openMenu(false);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    if (dialog && !dialog.classList.contains("sc-hidden")) closeDialog();
    else if (menu && !menu.classList.contains("sc-hidden")) openMenu(false);
    else if (panel && !panel.classList.contains("sc-hidden")) openPanel(false);
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
    if (isModified()) q.set("columns", JSON.stringify(state.columns));
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

  // --- generators still running: poll the progress, reload the rows when done --------
  // GET /generation says {state: running|done|stopped|none, stage, rows, message}; the
  // rows endpoint says whether its rows are still the stored ones only ("generating").
  function generationBanner(text, warning) {
    var banner = document.querySelector("[data-testid=generation-banner]");
    if (!banner) return;
    if (text === null) { banner.remove(); stickyOffset(); resize(); return; }
    banner.className = "sc-banner " + (warning ? "sc-banner--warning" : "sc-banner--info");
    var message = banner.querySelector("[data-testid=generation-message]");
    if (warning || !message) {
      banner.innerHTML = '<span class="sc-banner__icon">!</span><div></div>';
      banner.querySelector("div").textContent = text;
    } else {
      message.textContent = text;
    }
  }

  function pollGeneration(polls) {
    if (polls > 600) return;  // ten minutes: a lost worker; a refresh asks again
    api("GET", config.generationUrl).then(function (result) {
      var p = result.ok ? result.data : {};
      if (p.state === "running") {
        generationBanner("Generating rows… (" + (p.stage || "queued") + ", " +
          Number(p.rows || 0).toLocaleString() + " rows so far)", false);
        setTimeout(function () { pollGeneration(polls + 1); }, 1000);
        return;
      }
      if (p.state === "stopped" && p.stage === "failed") {  // Jira failed: a later refresh retries
        generationBanner(p.message || "Generation failed. Refresh in a minute to try again.", true);
        return;
      }
      reload().then(function () {
        if (state.generating) { setTimeout(function () { pollGeneration(polls + 1); }, 1000); return; }
        generationBanner(p.state === "stopped" ? (p.message || "Generation stopped early; the structure shows a partial result.") : null, true);
      });
    }, function () { setTimeout(function () { pollGeneration(polls + 1); }, 2000); });
  }

  if (document.querySelector("[data-generation-poll]")) {
    setTimeout(function () { pollGeneration(0); }, 1000);
  }

  window.scBoard = { reload: reload, expand: expand, collapse: collapse, state: state, config: config, api: api, flag: flag, errorText: errorText, el: el };
  showModified();
  draftRestore();
  var first = rows()[0];
  if (first) activate(first, false);
  document.body.setAttribute("data-board-ready", "1");
  resize();
})();
