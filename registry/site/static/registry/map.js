/* The public map: loads the initiatives that match the filters as compact GeoJSON from the API,
 * clusters them with Supercluster (only the clusters in view become markers, so 100,000 points
 * stay smooth), and keeps the filters (query string) and the view (#zoom/lat/lon) in the address
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
    var markers = layers.markers;
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
    var index = null;  // Supercluster over the loaded features
    var view = readView();

    if (view) map.setView(view.center, view.zoom);
    else map.fitBounds(options.bounds, {animate: false});  // the whole country, on any screen

    // A popup opened with the keyboard takes the focus; Escape closes it and gives the focus back.
    map.on("popupopen", function (event) {
      var element = event.popup.getElement();
      var close = element.querySelector(".leaflet-popup-close-button");
      if (close) close.setAttribute("aria-label", text.closePopup);
      var link = element.querySelector(".popup a");
      if (link && event.popup._source && event.popup._source.getElement() === document.activeElement) link.focus();
    });
    map.getContainer().addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || !map._popup || !map._popup.isOpen()) return;
      var source = map._popup._source;
      map.closePopup();
      if (source && source.getElement()) source.getElement().focus();
    });

    function say(message) { status.textContent = message; }

    function countText(n) {
      return format(plural.select(n) === "one" ? text.countOne : text.countOther, {count: number.format(n)});
    }

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
      var address = window.location.pathname + (query ? "?" + query : "") + hash;
      window.history.replaceState(null, "", address);
      if (listLink) listLink.href = options.listUrl + (query ? "?" + query : "");
      // The language switch comes back to this view, not to the address the page was loaded with.
      document.querySelectorAll("input[name=next]").forEach(function (input) { input.value = address; });
    }

    function detailLink(p) {
      var link = element("a", {href: options.detailUrl + encodeURIComponent(p.slug)},
                         [format(text.details, {name: p.name})]);
      if (options.embedded) link.setAttribute("target", "_top");
      return link;
    }

    function popup(p) {
      var services = (p.services || []).map(function (code) { return options.services[code] || code; });
      return element("div", {"class": "popup", lang: language}, [
        element("h2", {}, [p.name]),
        element("p", {}, [(options.kinds[p.kind] || p.kind) + (p.place ? " · " + p.place : "")]),
        services.length ? element("p", {}, [text.services + ": " + services.join(", ")]) : "",
        element("p", {}, [detailLink(p)]),
      ]);
    }

    // Initiatives at one address cannot be split by zooming in: their popup lists them all.
    function listPopup(leaves) {
      return element("div", {"class": "popup", lang: language}, [
        element("h2", {}, [countText(leaves.length)]),
        element("ul", {}, leaves.map(function (leaf) {
          var p = leaf.properties;
          return element("li", {}, [detailLink(p), " (" + (options.kinds[p.kind] || p.kind) + ")"]);
        })),
      ]);
    }

    function clusterMarker(cluster) {
      var c = cluster.geometry.coordinates;
      var n = cluster.properties.point_count;
      var size = n < 10 ? "small" : n < 100 ? "medium" : "large";
      var marker = L.marker([c[1], c[0]], {
        title: countText(n),
        autoPanOnFocus: false,
        icon: L.divIcon({html: "<span>" + (n < 10000 ? number.format(n) : Math.round(n / 1000) + "k") + "</span>",
                         className: "marker-cluster marker-cluster-" + size, iconSize: [40, 40]}),
      });
      marker.on("add", function () { marker.getElement().dataset.count = String(n); });
      var id = cluster.properties.cluster_id;
      var zoom = index.getClusterExpansionZoom(id);
      marker.key = "cluster:" + id;
      if (zoom > map.getMaxZoom()) {
        marker.bindPopup(function () { return listPopup(index.getLeaves(id, Infinity)); });
      } else {
        var zoomIn = function () { map.setView([c[1], c[0]], zoom); };
        marker.on("click", zoomIn);
        marker.on("keypress", function (event) {
          if (event.originalEvent.key !== "Enter") return;
          zoomIn();
          map.getContainer().focus();  // the cluster is gone: keep the keyboard on the map
        });
      }
      return marker;
    }

    function pointMarker(feature) {
      var c = feature.geometry.coordinates;
      var p = feature.properties;
      // No panning when a marker gets the focus: every marker is in view, and a pan would redraw them
      // and send the Tab key round the same markers again.
      var marker = L.marker([c[1], c[0]], {title: p.name, alt: p.name, autoPanOnFocus: false})
        .bindPopup(function () { return popup(p); });
      marker.key = "point:" + feature.id;
      return marker;
    }

    // Only the clusters and points in the view are on the map: a few hundred markers, however
    // many initiatives match. (None outside it: focusing a hidden marker would pan the map.)
    function render() {
      if (!index) return;
      var bounds = map.getBounds();
      var west = Math.max(-180, bounds.getWest());
      var east = Math.min(180, bounds.getEast());
      var items = index.getClusters([west, bounds.getSouth(), east, bounds.getNorth()], Math.round(map.getZoom()));
      // A marker whose popup is open, or that has the keyboard focus, stays (and is not added
      // twice): the popup stays open and the focus stays where it was.
      var kept = {};
      markers.eachLayer(function (layer) {
        var element = layer.getElement && layer.getElement();
        var focused = element && element === document.activeElement;
        if ((layer.isPopupOpen && layer.isPopupOpen()) || focused) kept[layer.key] = true;
        else markers.removeLayer(layer);
      });
      items.forEach(function (item) {
        var marker = item.properties.cluster ? clusterMarker(item) : pointMarker(item);
        if (!kept[marker.key]) markers.addLayer(marker);
      });
    }

    function show(collection, fit) {
      markers.clearLayers();
      index = new Supercluster({radius: 60, maxZoom: map.getMaxZoom() - 1, minPoints: 2});
      index.load(collection.features);
      var n = collection.features.length;
      count.textContent = countText(n);
      count.dataset.count = String(n);
      if (fit && n) {
        var box = collection.features.reduce(function (b, f) {
          var c = f.geometry.coordinates;
          return [Math.min(b[0], c[0]), Math.min(b[1], c[1]), Math.max(b[2], c[0]), Math.max(b[3], c[1])];
        }, [180, 90, -180, -90]);
        // Room at the top for the 41-pixel marker pins.
        map.fitBounds([[box[1], box[0]], [box[3], box[2]]],
                      {maxZoom: 13, paddingTopLeft: [20, 48], paddingBottomRight: [20, 12], animate: false});
      }
      render();
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

    // Only the municipalities of the chosen province are offered (a choice from another province
    // would match nothing).
    function narrowMunicipalities() {
      var province = form && form.querySelector("select[name=province]");
      var municipality = form && form.querySelector("select[name=municipality]");
      if (!province || !municipality) return;
      Array.prototype.forEach.call(municipality.options, function (option) {
        var other = option.value !== "" && province.value !== "" && option.dataset.province !== province.value;
        option.hidden = other;
        option.disabled = other;
      });
      if (municipality.selectedOptions.length && municipality.selectedOptions[0].disabled) municipality.value = "";
    }

    if (form) {
      var timer = null;
      narrowMunicipalities();
      form.querySelector("select[name=province]").addEventListener("change", narrowMunicipalities);
      form.addEventListener("submit", function (event) { event.preventDefault(); load(true); });
      form.addEventListener("change", function () { load(true); });
      form.addEventListener("input", function (event) {
        if (event.target.type !== "search") return;
        window.clearTimeout(timer);
        timer = window.setTimeout(function () { load(true); }, 400);
      });
    }
    map.on("moveend", function () { writeAddress(filterQuery()); render(); });
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
      if (query.length < 2) { say(text.tooShort); return; }
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
