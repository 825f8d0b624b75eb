/* The structure list: search by name, favorites, create. Context JWT per call, no cookies. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("sc-config").textContent);

  function token() {
    return new Promise(function (resolve, reject) {
      if (!window.AP || !window.AP.context) { reject(new Error("The Jira bridge (all.js) is not loaded.")); return; }
      var done = false;
      var maybe = window.AP.context.getToken(function (t) { done = true; resolve(t); });
      if (maybe && typeof maybe.then === "function") maybe.then(function (t) { if (!done) resolve(t); }, reject);
    });
  }
  function api(method, url, body) {
    return token().then(function (t) {
      var init = { method: method, credentials: "omit", headers: { Authorization: "JWT " + t, Accept: "application/json" } };
      if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
      return fetch(url, init);
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return { ok: r.ok, status: r.status, data: data }; });
    });
  }
  function withId(url, id) { return url.replace("/0/", "/" + id + "/").replace(/\/0$/, "/" + id); }

  var search = document.querySelector("[data-testid=structure-search]");
  if (search) search.addEventListener("input", function () {
    var needle = search.value.trim().toLowerCase();
    var shown = 0;
    document.querySelectorAll("tr[data-structure-id]").forEach(function (tr) {
      var match = !needle || tr.getAttribute("data-name").indexOf(needle) >= 0;
      tr.classList.toggle("sc-hidden", !match);
      if (match) shown++;
    });
    var none = document.querySelector("[data-testid=no-match]");
    if (none) none.classList.toggle("sc-hidden", shown > 0);
  });

  var dialog = document.querySelector("[data-testid=create-dialog]");
  var error = document.querySelector("[data-testid=create-error]");
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action]");
    if (!button) return;
    var action = button.getAttribute("data-action");
    if (action === "create") { dialog.classList.remove("sc-hidden"); dialog.querySelector("input").focus(); }
    else if (action === "cancel") { dialog.classList.add("sc-hidden"); }
    else if (action === "star") {
      var tr = button.closest("tr");
      var on = !button.classList.contains("is-on");
      api(on ? "PUT" : "DELETE", withId(config.favoriteUrl, tr.getAttribute("data-structure-id"))).then(function (r) {
        if (r.ok) { button.classList.toggle("is-on", on); button.setAttribute("aria-pressed", on ? "true" : "false"); }
      });
    }
  });
  document.addEventListener("keydown", function (event) { if (event.key === "Escape" && dialog) dialog.classList.add("sc-hidden"); });
  var form = document.querySelector("[data-action=create-form]");
  if (form) form.addEventListener("submit", function (event) {
    event.preventDefault();
    var name = form.elements.name.value.trim();
    if (!name) return;
    error.classList.add("sc-hidden");
    api("POST", config.createUrl, { name: name, description: form.elements.description.value.trim() }).then(function (r) {
      if (!r.ok) { throw new Error((r.data && r.data.error) || "The structure was not created."); }
      return api("GET", withId(config.linkUrl, r.data.id));
    }).then(function (r) {
      if (r.ok && r.data.url) window.location.href = r.data.url;
    }).catch(function (err) { error.textContent = err.message; error.classList.remove("sc-hidden"); });
  });
  if (window.AP && window.AP.sizeToParent) window.AP.sizeToParent();
  document.body.setAttribute("data-list-ready", "1");
})();
