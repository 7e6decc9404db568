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

  // An import's page while its background job runs (templates/admin/registry/importrun/working.html):
  // the progress follows the job without reloading the page (a timed reload is a WCAG 2.2.1 failure);
  // when the job is done, the page is loaded again to show the report.
  var status = document.querySelector("[data-progress-url]");
  if (status) {
    var bar = document.getElementById("import-progress");
    var timer = window.setInterval(function () {
      fetch(status.dataset.progressUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (progress) {
          if (!progress) { return; }
          if (!progress.working) {
            window.clearInterval(timer);
            window.location.reload();
            return;
          }
          status.querySelector("strong").textContent = progress.text;
          if (bar) { bar.value = progress.percent; bar.textContent = progress.percent + "%"; }
        })
        .catch(function () { /* the next tick tries again */ });
    }, 2000);
  }
})();
