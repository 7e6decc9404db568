/* The public map: loads the initiatives that match the filters as compact GeoJSON from the API,
 * clusters them, and keeps the filters (query string) and the view (#zoom/lat/lon) in the address
 * so that a link reproduces what the visitor sees. Without JavaScript the filter form still
 * submits, and the list at /initiatieven shows the same results. */
(function () {
  "use strict";

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  function element(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function readView() {
    var parts = window.location.hash.replace(/^#/, "").split("/").map(Number);
    if (parts.length !== 3 || parts.some(function (n) { return !isFinite(n); })) return null;
    return {zoom: parts[0], center: [parts[1], parts[2]]};
  }

  function start(map, layers, options) {
    var cluster = layers.cluster;
    var text = options.text;
    var language = document.documentElement.lang || "nl";
    var plural = new Intl.PluralRules(language);
    var number = new Intl.NumberFormat(language);
    var form = document.getElementById("map-filters");
    var count = document.getElementById("map-count");
    var status = document.getElementById("map-status");
    var listLink = document.getElementById("list-link");
    var request = null;
    var loaded = null;  // the query of the data on the map
    var view = readView();

    if (view) map.setView(view.center, view.zoom);

    function say(message) { status.textContent = message; }

    function filterQuery() {
      var query = new URLSearchParams();
      if (form) {
        new FormData(form).forEach(function (value, name) { if (value !== "") query.append(name, value); });
      }
      return query;
    }

    function dataQuery(filters) {
      var query = new URLSearchParams(filters);
      new URLSearchParams(options.lockedQuery).forEach(function (value, name) { query.append(name, value); });
      return query.toString();
    }

    function writeAddress(filters) {
      if (options.embedded) return;
      var centre = map.getCenter();
      var query = filters.toString();
      var hash = "#" + map.getZoom() + "/" + centre.lat.toFixed(5) + "/" + centre.lng.toFixed(5);
      window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : "") + hash);
      if (listLink) listLink.href = options.listUrl + (query ? "?" + query : "");
    }

    function popup(feature) {
      var p = feature.properties;
      var services = (p.services || []).map(function (code) { return options.services[code] || code; });
      var link = element("a", {href: options.detailUrl + encodeURIComponent(p.slug)},
                         [format(text.details, {name: p.name})]);
      if (options.embedded) link.setAttribute("target", "_top");
      return element("div", {"class": "popup", lang: language}, [
        element("h2", {}, [p.name]),
        element("p", {}, [(options.kinds[p.kind] || p.kind) + (p.place ? " · " + p.place : "")]),
        services.length ? element("p", {}, [text.services + ": " + services.join(", ")]) : "",
        element("p", {}, [link]),
      ]);
    }

    function show(collection, fit) {
      var markers = collection.features.map(function (feature) {
        var c = feature.geometry.coordinates;
        var marker = L.marker([c[1], c[0]], {title: feature.properties.name, alt: feature.properties.name});
        marker.bindPopup(function () { return popup(feature); });
        return marker;
      });
      cluster.clearLayers();
      cluster.addLayers(markers);
      var n = collection.features.length;
      count.textContent = format(plural.select(n) === "one" ? text.countOne : text.countOther,
                                 {count: number.format(n)});
      count.dataset.count = String(n);
      if (fit && markers.length) map.fitBounds(cluster.getBounds(), {maxZoom: 13, padding: [20, 20]});
    }

    function load(fit) {
      var filters = filterQuery();
      writeAddress(filters);
      // A search box fires "change" again when it loses focus, say on a click on a marker:
      // reloading the same data then would close the popup that click opens.
      if (filters.toString() === loaded) return;
      loaded = filters.toString();
      if (request) request.abort();
      request = new AbortController();
      say(text.loading);
      map.getContainer().setAttribute("aria-busy", "true");
      fetch(options.dataUrl + "?" + dataQuery(filters), {signal: request.signal,
                                                          headers: {Accept: "application/geo+json"}})
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok) throw new Error(body.detail || response.statusText);
            return body;
          });
        })
        .then(function (collection) { show(collection, fit); say(""); })
        .catch(function (error) {
          if (error.name === "AbortError") return;
          loaded = null;
          say(format(text.failed, {reason: error.message}));
        })
        .finally(function () { map.getContainer().removeAttribute("aria-busy"); });
    }

    if (form) {
      var timer = null;
      form.addEventListener("submit", function (event) { event.preventDefault(); load(true); });
      form.addEventListener("change", function () { load(true); });
      form.addEventListener("input", function (event) {
        if (event.target.type !== "search") return;
        window.clearTimeout(timer);
        timer = window.setTimeout(function () { load(true); }, 400);
      });
    }
    map.on("moveend", function () { writeAddress(filterQuery()); });
    setUpNearMe(map, text, say);
    setUpPlaceSearch(map, options, say);
    load(!view && (filterQuery().toString() !== "" || options.lockedQuery !== ""));
  }

  function setUpNearMe(map, text, say) {
    var button = document.getElementById("near-me");
    if (!button) return;
    var here = null;
    button.addEventListener("click", function () {
      if (!navigator.geolocation) { say(text.noGeolocation); return; }
      say(text.locating);
      navigator.geolocation.getCurrentPosition(function (position) {
        var point = [position.coords.latitude, position.coords.longitude];
        if (here) here.remove();
        here = L.circleMarker(point, {radius: 8, color: "#b00020", weight: 3}).bindTooltip(text.youAreHere)
          .addTo(map);
        map.setView(point, 13, {animate: false});
        say(text.youAreHere);
      }, function (error) {
        say(format(text.geolocationFailed, {reason: error.message}));
      }, {enableHighAccuracy: false, timeout: 10000, maximumAge: 600000});
    });
  }

  function setUpPlaceSearch(map, options, say) {
    var form = document.getElementById("place-search");
    if (!form) return;
    var text = options.text;
    var input = form.querySelector("input");
    var results = document.getElementById("place-results");

    function go(location) {
      map.setView([location.lat, location.lon], location.zoom, {animate: false});
      say(location.name);
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var query = input.value.trim();
      results.replaceChildren();
      if (query.length < 2) return;
      say(text.searching);
      fetch(options.locationsUrl + "?" + new URLSearchParams({q: query}), {headers: {Accept: "application/json"}})
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok) throw new Error(body.detail || response.statusText);
            return body;
          });
        })
        .then(function (locations) {
          if (!locations.length) { say(format(text.noLocations, {query: query})); return; }
          if (locations.length === 1) { go(locations[0]); return; }
          say(text.locationsFound);
          locations.forEach(function (location) {
            var button = element("button", {type: "button"},
                                 [location.name + " (" + text[location.type] + ", " + location.context + ")"]);
            button.addEventListener("click", function () { results.replaceChildren(); go(location); });
            results.appendChild(element("li", {}, [button]));
          });
          results.querySelector("button").focus();
        })
        .catch(function (error) { say(format(text.searchFailed, {reason: error.message})); });
    });
  }

  window.registryMap = {start: start};
})();
