/* Suggestions as you type in the search box of the map and the list: places, services and
 * initiatives, grouped, from /zoeken/suggesties (registry.search.suggest), and "did you mean" when
 * the text has a typo. An ARIA 1.2 combobox with a listbox popup (the WAI-ARIA Authoring Practices'
 * pattern): the focus stays in the box, the arrow keys move through the options
 * (aria-activedescendant), Enter takes one, Escape closes the list (a second Escape empties the
 * box). Without a chosen option Enter submits the form as before; without JavaScript the box is a
 * plain search field.
 *
 * Choosing a place moves the map (the map's script listens for "registry:go"); on the list, it
 * shows what is in that municipality or province, or around that place nearest first. A service
 * ticks its filter, an initiative opens its page. */
(function () {
  "use strict";

  var WAIT_MS = 150;  // after the last key, before asking

  function setUp(input) {
    var form = input.form;
    var listbox = document.getElementById(input.id + "-suggestions");
    var status = document.getElementById(input.id + "-status");
    if (!form || !listbox || !status) return;
    var data = input.dataset;
    var options = [];  // [{element, item, kind}]
    var active = -1;
    var timer = null;
    var asked = 0;  // answers to earlier questions are dropped
    var controller = null;

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listbox.id);

    function open() {
      if (!options.length) return;
      listbox.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      highlight(-1);
    }

    function highlight(index) {
      if (active >= 0 && options[active]) options[active].element.setAttribute("aria-selected", "false");
      active = index;
      if (active >= 0) {
        var option = options[active].element;
        option.setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({block: "nearest"});
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function say(message) {
      status.textContent = message;
    }

    function announce() {
      if (!options.length) say(data.textStatusNone);
      else if (options.length === 1) say(data.textStatusOne);
      else say(data.textStatusMany.replace("{count}", String(options.length)));
    }

    function optionElement(id, label, detail) {
      var li = document.createElement("li");
      li.id = id;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.className = "suggestion";
      var name = document.createElement("span");
      name.className = "suggestion-label";
      name.textContent = label;
      li.appendChild(name);
      if (detail) {
        var more = document.createElement("span");
        more.className = "suggestion-detail";
        more.textContent = " " + detail;
        li.appendChild(more);
      }
      return li;
    }

    function render(answer) {
      listbox.replaceChildren();
      options = [];
      active = -1;
      input.removeAttribute("aria-activedescendant");
      var groups = answer.groups.slice();
      if (answer.didYouMean) {
        groups.unshift({kind: "did-you-mean", label: data.textDidYouMean,
                        items: [{label: answer.didYouMean, detail: "", value: answer.didYouMean}]});
      }
      groups.forEach(function (group, g) {
        var list = document.createElement("ul");
        list.setAttribute("role", "group");
        list.setAttribute("aria-labelledby", input.id + "-group-" + g);
        list.className = "suggestion-group";
        var heading = document.createElement("li");
        heading.setAttribute("role", "presentation");
        heading.id = input.id + "-group-" + g;
        heading.className = "suggestion-heading";
        heading.textContent = group.label;
        list.appendChild(heading);
        group.items.forEach(function (item, i) {
          var element = optionElement(input.id + "-option-" + g + "-" + i, item.label, item.detail);
          var index = options.length;
          element.addEventListener("mousedown", function (event) { event.preventDefault(); });  // keep the focus
          element.addEventListener("click", function () { choose(index); });
          options.push({element: element, item: item, kind: group.kind});
          list.appendChild(element);
        });
        listbox.appendChild(list);
      });
      if (options.length) open(); else close();
      announce();
    }

    function submit() {
      if (typeof form.requestSubmit === "function") form.requestSubmit();
      else form.submit();
    }

    function choose(index) {
      var chosen = options[index];
      if (!chosen) return;
      var item = chosen.item;
      clearSuggestions();  // a late answer to the text chosen from must not reopen them
      if (chosen.kind === "initiatives") {
        window.location.assign(item.url);
      } else if (chosen.kind === "services") {
        var box = form.querySelector('input[name="service"][value="' + CSS.escape(item.service) + '"]');
        input.value = "";
        if (box) box.checked = true;
        submit();
      } else if (chosen.kind === "places") {
        // The place is where to look, not what to look for: the text goes before the map hears of it.
        input.value = "";
        var go = new CustomEvent("registry:go", {cancelable: true, detail: item});
        if (document.dispatchEvent(go)) lookAround(item);  // no map took it: the list
        else say(item.label);
      } else {
        input.value = item.value;
        submit();
      }
    }

    // What is in a municipality or province (its filter), or around a place, nearest first: `near`, on a
    // form that takes it (the list's, data-near); on another (the embed builder's) the place is the
    // search. The list's offer of a place its search names does the same on the server
    // (site/filtering.py, around_query): change both.
    function lookAround(place) {
      function drop(name) {
        form.querySelectorAll("input[type=hidden][name=" + name + "]").forEach(function (field) { field.remove(); });
      }
      var municipality = form.querySelector("select[name=municipality]");
      var province = form.querySelector("select[name=province]");
      var inMunicipality = place.municipality && municipality &&
        municipality.querySelector('option[value="' + CSS.escape(place.municipality) + '"]');
      var inProvince = place.province && province &&
        province.querySelector('option[value="' + CSS.escape(place.province) + '"]');
      function keep(name, value) {
        var field = document.createElement("input");
        field.type = "hidden";
        field.name = name;
        field.value = value;
        form.appendChild(field);
      }
      // Whatever area was chosen before, this place replaces it.
      if (province) province.value = inProvince ? place.province : "";
      if (municipality) municipality.value = inMunicipality ? place.municipality : "";
      drop("near");
      drop("radius");
      drop("nearName");
      if (inMunicipality || inProvince) {
        // nothing more: the area is the filter
      } else if ("near" in form.dataset) {
        drop("ordering");  // nearest first
        keep("near", place.lon + "," + place.lat);
        keep("radius", form.dataset.around);  // how far, in metres: the server's AROUND_A_PLACE_M
        keep("nearName", place.label);  // what the list calls the point
      } else {
        input.value = place.value;
      }
      submit();
    }

    // Answers to an earlier text are dropped from the moment the text changes.
    function forget() {
      asked++;
      if (controller) controller.abort();
      controller = null;
    }

    function clearSuggestions() {
      forget();
      listbox.replaceChildren();
      options = [];
      close();
      // Nothing is offered any more, so nothing is said: the same text typed again is announced again.
      say("");
    }

    function ask() {
      var text = input.value;
      if (text.trim().length < 2) {
        clearSuggestions();
        return;
      }
      var number = ++asked;
      controller = typeof AbortController === "function" ? new AbortController() : null;
      fetch(data.suggestions + "?" + new URLSearchParams({q: text}),
            {headers: {Accept: "application/json"}, signal: controller ? controller.signal : undefined})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) {
          if (answer && number === asked && document.activeElement === input) render(answer);
        })
        .catch(function () { /* a failed suggestion leaves the box as a plain field */ });
    }

    input.addEventListener("input", function () {
      forget();
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, WAIT_MS);
    });

    input.addEventListener("keydown", function (event) {
      var expanded = !listbox.hidden;
      if (event.key === "ArrowDown") {
        if (!options.length) return;
        event.preventDefault();
        if (!expanded) { open(); highlight(0); return; }
        highlight(active + 1 < options.length ? active + 1 : 0);
      } else if (event.key === "ArrowUp") {
        if (!options.length) return;
        event.preventDefault();
        if (!expanded) { open(); highlight(options.length - 1); return; }
        highlight(active > 0 ? active - 1 : options.length - 1);
      } else if (event.key === "Enter") {
        if (expanded && active >= 0) {
          event.preventDefault();
          choose(active);
        } else {
          close();
        }
      } else if (event.key === "Escape") {
        if (expanded) {
          event.preventDefault();
          close();
        } else if (input.value) {
          // Emptied as by hand: the old suggestions go, and the map shows what the text had hidden.
          event.preventDefault();
          input.value = "";
          clearSuggestions();
          input.dispatchEvent(new Event("input", {bubbles: true}));
        }
      } else if (event.key === "Tab") {
        close();
      }
    });

    input.addEventListener("blur", function () { close(); });
    // Once the text is searched, an answer still to come must not reopen the list over the results
    // (on the map the form is submitted in the page, and the box keeps the focus).
    form.addEventListener("submit", function () {
      window.clearTimeout(timer);
      clearSuggestions();
    });
  }

  function start() {
    document.querySelectorAll("input[data-suggestions]").forEach(setUp);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
