/* The register's admin, on every admin page (templates/admin/base_site.html).
 *
 * Django's partner picker (select2) draws its own box, named by the text of the choice made: an empty
 * picker has no accessible name. Each box takes the name of the select it stands for (set in
 * registry/backoffice/admin/initiatives.py), also for the rows an inline adds later.
 */
(function () {
  "use strict";

  function nameBoxes(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var name = select.getAttribute("aria-label");
      var container = select.nextElementSibling;
      if (!name || !container || !container.classList.contains("select2")) {
        return;
      }
      container.querySelectorAll("[role=combobox]").forEach(function (box) {
        if (box.getAttribute("aria-label") !== name) {
          box.removeAttribute("aria-labelledby");
          box.setAttribute("aria-label", name);
        }
      });
    });
  }

  function start() {
    nameBoxes(document);
    new MutationObserver(function (changes) {
      if (changes.some(function (change) { return change.addedNodes.length > 0; })) {
        nameBoxes(document);
      }
    }).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
