// Public forms, progressive enhancement only (they work without this): after a failed submit the
// error summary takes the focus, so a screen reader reads it first; a link in it moves the focus
// to its field (a browser only scrolls to the target of a link).
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (!summary) { return; }
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    var field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!field) { return; }
    event.preventDefault();
    var group = field.closest("fieldset.field, .field");
    (group || field).scrollIntoView();
    field.focus({preventScroll: true});
  });
}());
