/* The register's admin, on every admin page (templates/admin/base_site.html).
 *
 * Django's partner picker (select2) draws its own box, named by the text of the choice made: an empty
 * picker has no accessible name. Each box takes the name of the select it stands for (set in
 * registry/backoffice/admin/initiatives.py), also for the rows an inline adds later.
 */
(function () {
  "use strict";

  function nameOf(select) {
    var label = select.id ? document.querySelector("label[for='" + select.id + "']") : null;
    return select.getAttribute("aria-label") || (label ? label.textContent.replace(/:\s*$/, "").trim() : "");
  }

  function nameAll(container, selector, name) {
    container.querySelectorAll(selector).forEach(function (element) {
      if (element.getAttribute("aria-label") !== name) {
        element.removeAttribute("aria-labelledby");
        element.setAttribute("aria-label", name);
      }
    });
  }

  function nameBoxes(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var name = nameOf(select);
      var container = select.nextElementSibling;
      if (!name || !container || !container.classList.contains("select2")) {
        return;
      }
      // The box, the text that shows the choice made (a read-only textbox) and, for a picker of
      // several, the field to type in.
      nameAll(container, "[role=combobox], [role=textbox], .select2-search__field", name);
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
