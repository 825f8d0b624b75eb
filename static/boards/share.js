/* The Share dialogs: of the structure (Control) and of the view on screen (Manage).
 * One dialog reads the rules with the names Jira knows their subjects by, finds people
 * and groups in Jira as the user types, and saves the whole list through the
 * permissions API of its target. */
(function () {
  "use strict";
  var board = window.scBoard;
  var dialog = document.querySelector("[data-testid=share-dialog]");
  if (!board || !dialog) return;
  var config = board.config;
  var node = board.el;
  var TARGETS = {
    structure: {
      sharingUrl: config.sharingUrl, candidatesUrl: config.sharingCandidatesUrl, saveUrl: config.permissionsUrl,
      note: ", always has Control. Where several rows match someone, the highest level wins; the issues in it stay visible only to those Jira lets browse them.",
      private: "Private: only the owner sees it."
    },
    view: Object.assign({}, config.viewSharingUrls, {
      note: ", and the structure's controllers always have Manage. Everyone who sees the structure may use its default view.",
      private: "Only its owner and the structure's controllers use it."
    })
  };
  var target = TARGETS.structure;
  var opener = null;
  var levels = [];
  var KINDS = { user: "Person", group: "Group", projectRole: "Project role", everyone: "Everyone" };
  var form = dialog.querySelector("form");
  var list = dialog.querySelector("[data-testid=share-rules]");
  var search = dialog.querySelector("[data-testid=share-search]");
  var found = dialog.querySelector("[data-testid=share-found]");
  var roleSelect = dialog.querySelector("[data-testid=share-role]");
  var error = dialog.querySelector("[data-testid=share-error]");
  var entries = [];
  var roles = [];
  var asked = "";

  function key(subject) { return JSON.stringify([subject.type, subject.accountId || subject.name || "", subject.projectId || 0, subject.roleId || 0]); }

  function showError(message) {
    error.textContent = message || "";
    error.classList.toggle("sc-hidden", !message);
  }

  function render() {
    list.innerHTML = "";
    if (!entries.length) list.appendChild(node("li", { "class": "sc-subtle", "data-testid": "share-private" }, target.private));
    entries.forEach(function (entry, i) {
      var li = node("li", { "data-kind": entry.subject.type });
      li.appendChild(node("span", { "class": "sc-lozenge sc-lozenge--default" }, KINDS[entry.subject.type] || entry.subject.type));
      li.appendChild(node("span", { "class": "sc-share__name" }, entry.label));
      var level = node("select", { "class": "sc-select", "aria-label": "Level for " + entry.label });
      var choices = levels.slice();
      if (!choices.some(function (c) { return c.name === entry.level; })) {
        choices.unshift({ name: entry.level, label: entry.level.charAt(0) + entry.level.slice(1).toLowerCase() });
      }
      choices.forEach(function (c) {
        var option = node("option", { value: c.name }, c.label);
        if (c.name === entry.level) option.selected = true;
        level.appendChild(option);
      });
      level.addEventListener("change", function () { entry.level = level.value; });
      var remove = node("button", { type: "button", "class": "sc-button sc-button--subtle", "aria-label": "Remove " + entry.label, title: "Remove" }, "×");
      remove.addEventListener("click", function () { entries.splice(i, 1); render(); });
      li.appendChild(level);
      li.appendChild(remove);
      list.appendChild(li);
    });
  }

  function add(subject, label) {
    if (entries.some(function (e) { return key(e.subject) === key(subject); })) {
      board.flag(label + " is already in the list.", "info");
      return;
    }
    entries.push({ subject: subject, label: label, level: levels[0].name });
    render();
  }

  function renderRoles() {
    roleSelect.length = 1;
    roles.forEach(function (role, i) { roleSelect.appendChild(node("option", { value: String(i) }, role.label)); });
  }

  function open(button) {
    var kind = button.getAttribute("data-share-open");
    opener = button;
    target = TARGETS[kind];
    var menu = document.querySelector("[data-testid=view-menu]");
    if (menu) menu.classList.add("sc-hidden");
    showError("");
    board.api("GET", target.sharingUrl).then(function (result) {
      if (!result.ok) { board.flag(board.errorText(result, "Could not load who this is shared with."), "error"); return; }
      dialog.querySelector("[data-testid=share-title]").textContent = kind === "view" ? "Share the view " + config.view.name : "Share this structure";
      dialog.querySelector("[data-testid=share-owner]").textContent = result.data.owner.label;
      dialog.querySelector("[data-testid=share-note]").textContent = target.note;
      levels = result.data.levels;
      entries = result.data.rules.map(function (r) { return { subject: r.subject, label: r.label, level: r.level }; });
      roles = result.data.roles;
      render();
      renderRoles();
      search.value = "";
      found.classList.add("sc-hidden");
      dialog.classList.remove("sc-hidden");
      search.focus();
    });
  }

  function close() { dialog.classList.add("sc-hidden"); if (opener && opener.offsetParent) opener.focus(); }

  function find() {
    var q = search.value.trim();
    asked = q;
    if (q.length < 2) { found.classList.add("sc-hidden"); return; }
    board.api("GET", target.candidatesUrl + "?q=" + encodeURIComponent(q)).then(function (result) {
      if (asked !== q) return;  // a newer query is on its way
      found.innerHTML = "";
      if (!result.ok) { showError(board.errorText(result, "Jira could not search for people and groups.")); return; }
      showError("");
      var hits = result.data.users.concat(result.data.groups);
      if (!hits.length) found.appendChild(node("li", { "class": "sc-subtle" }, "No person or group matches “" + q + "”."));
      hits.forEach(function (hit) {
        var li = node("li", { role: "option" });
        var pick = node("button", { type: "button", "class": "sc-share__pick" });
        pick.appendChild(node("span", { "class": "sc-lozenge sc-lozenge--default" }, KINDS[hit.subject.type]));
        pick.appendChild(node("span", {}, hit.label));
        pick.addEventListener("click", function () {
          add(hit.subject, hit.label);
          search.value = "";
          found.classList.add("sc-hidden");
          search.focus();
        });
        li.appendChild(pick);
        found.appendChild(li);
      });
      found.classList.remove("sc-hidden");
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-share-open]");
    if (button) open(button);
  });
  search.addEventListener("input", function () { clearTimeout(find.timer); find.timer = setTimeout(find, 250); });
  search.addEventListener("keydown", function (event) { if (event.key === "Enter") event.preventDefault(); });
  roleSelect.addEventListener("change", function () {
    var role = roles[parseInt(roleSelect.value, 10)];
    if (role) add(role.subject, role.label);
    roleSelect.value = "";
  });
  dialog.addEventListener("click", function (event) {
    // A click anywhere but the search closes its list of matches.
    if (!event.target.closest(".sc-share__search")) found.classList.add("sc-hidden");
    var action = event.target.closest("[data-share]");
    if (!action) return;
    if (action.getAttribute("data-share") === "everyone") add({ type: "everyone" }, "Everyone");
    else close();
  });
  dialog.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    event.stopPropagation();
    // Escape first closes the list of matches, then the dialog.
    if (!found.classList.contains("sc-hidden")) found.classList.add("sc-hidden");
    else close();
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var rules = entries.map(function (e) { return { subject: e.subject, level: e.level }; });
    board.api("PUT", target.saveUrl, { rules: rules }).then(function (result) {
      if (!result.ok) { showError(board.errorText(result, "Sharing was not saved.")); return; }
      close();
      board.flag("Sharing saved: " + rules.length + " row" + (rules.length === 1 ? "" : "s") + ".", "success");
    });
  });
})();
