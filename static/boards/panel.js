/* The issue panel: a structure opens as a full Jira page, not inside the narrow panel.
 * Without the Jira bridge (all.js) the links keep working inside the frame. */
(function () {
  "use strict";
  var panel = document.querySelector("[data-board-module]");
  if (!panel) return;
  panel.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-structure-id]");
    if (!link || !window.AP || !window.AP.navigator || !window.AP.navigator.go) return;
    event.preventDefault();
    window.AP.navigator.go("addonmodule", {
      moduleKey: panel.getAttribute("data-board-module"),
      customData: { structureId: link.getAttribute("data-structure-id") }
    });
  });
})();
