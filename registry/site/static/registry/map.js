/* The public map: loads what the view needs as tiles (z/x/y, the filters in the query string) of
 * clusters that the server counted exactly (registry/tiles.py), so a view costs the same however
 * large the register is; shows the clusters and initiatives in view as markers that the keyboard
 * reaches; keeps the filters (query string) and the view (#zoom/lat/lon) in the address so that a
 * link reproduces what the visitor sees; and, on a wide screen, lists what is in view beside the
 * map. Without JavaScript the filter form still submits, and the list at /initiatieven shows the
 * same results. */
(function () {
  "use strict";

  // This script is in the page's head, so this runs before the page is first shown: with it the
  // style sheet folds the filters on a narrow screen from the first paint. Folded only by the
  // page's last script, they were shown first and then taken away, moving the map up by the
  // panel's height (a cold load's cumulative layout shift of 0.42, docs/lighthouse.md).
  document.documentElement.classList.add("map-script");
  // The panel's button works as soon as the page is read, whatever becomes of the map.
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("map-filters");
    if (form) setUpPanel(form);
  });

  var TILE = 256;
  var KEPT_TILES = 400;  // tiles kept in memory for the current filters (the browser caches more)

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

  // What kind of place it is and where ("postcode, Utrecht"), in the words of the list and the
  // suggestions (site.filtering.place_detail); `first` starts it with a capital, as a result on its own.
  function placeDetail(place, kinds, first) {
    var kind = kinds[place.type];
    return (first ? kind.charAt(0).toUpperCase() + kind.slice(1) : kind) + (place.context ? ", " + place.context : "");
  }

  // "Bergen (place, Bergen (NH.))": a place by its name and its detail.
  function placeName(place, kinds, first) {
    return place.name + " (" + placeDetail(place, kinds, first) + ")";
  }

  function readView() {
    var parts = window.location.hash.replace(/^#/, "").split("/").map(Number);
    if (parts.length !== 3 || parts.some(function (n) { return !isFinite(n); })) return null;
    return {zoom: parts[0], center: [parts[1], parts[2]]};
  }

  function getJSON(url, signal) {
    return fetch(url, {signal: signal, headers: {Accept: "application/json"}}).then(function (response) {
      if (response.ok) return response.json();
      // An error answer: the register's problem document says why; a proxy's page says nothing.
      return response.json().catch(function () { return {}; }).then(function (body) {
        var failure = new Error(body.detail || "");
        failure.status = response.status;
        throw failure;
      });
    }, function (error) {
      if (error.name !== "AbortError") error.unreached = true;
      throw error;
    });
  }

  // Why a request failed, for a visitor, in the page's language (never the browser's English): the
  // register's own problem detail, or that it was not reached, or that it answered with an error.
  function reason(error, text) {
    if (error.unreached) return text.unreachable;
    if (error.status && error.message) return error.message;
    return format(text.answeredWithError, {status: error.status || "?"});
  }

  // A popup is panned clear of the zoom buttons (top left: 10 px from the edge, 34 wide) and of the
  // map's edges, so that its title is never under them on a phone.
  var POPUP_OPTIONS = {autoPanPaddingTopLeft: [56, 16], autoPanPaddingBottomRight: [16, 16]};

  function start(map, layers, options) {
    var markers = layers.markers;
    var text = options.text;
    var language = document.documentElement.lang || "nl";
    var plural = new Intl.PluralRules(language);
    var number = new Intl.NumberFormat(language);
    var compact = new Intl.NumberFormat(language, {notation: "compact", maximumFractionDigits: 0});
    // As the pages write a date ("17 juni 2025", "17 June 2025"); a bare date is UTC midnight.
    var longDate = new Intl.DateTimeFormat(language === "en" ? "en-GB" : language,
                                           {day: "numeric", month: "long", year: "numeric", timeZone: "UTC"});
    var form = document.getElementById("map-filters");
    var count = document.getElementById("map-count");
    var status = document.getElementById("map-status");
    var listLink = document.getElementById("list-link");
    var empty = document.getElementById("map-empty");
    var list = document.getElementById("map-list");
    var query = null;  // the data query of what is on the map
    var tiles = {};  // "z/x/y" -> features, for `query`
    var pending = {};  // "z/x/y" -> true while it loads
    var summary = null;  // the request for the count (and the list in view)
    var busy = 0;
    var view = readView();

    // The whole country, on any screen, with room at its edges for a cluster drawn inside its cell
    // (geo.tiles: up to the icon's margin beyond the initiatives it counts).
    function wholeCountry() {
      map.fitBounds(options.bounds, {animate: false, padding: [options.edgePadding, options.edgePadding]});
    }

    if (view) map.setView(view.center, view.zoom);
    else wholeCountry();

    // On a touch screen one finger scrolls the page and two move and zoom the map: the map must not
    // catch a swipe meant for the page (Leaflet then lets the browser pan the page: touch-action).
    if (window.matchMedia && window.matchMedia("(pointer: coarse)").matches && !options.embedded) {
      map.dragging.disable();
      map.getContainer().classList.add("two-finger-map");
    }

    // A popup opened with the keyboard takes the focus; Escape closes it and gives the focus back.
    map.on("popupopen", function (event) {
      var node = event.popup.getElement();
      var close = node.querySelector(".leaflet-popup-close-button");
      if (close) close.setAttribute("aria-label", text.closePopup);
      var link = node.querySelector(".popup a");
      if (link && event.popup._source && event.popup._source.getElement() === document.activeElement) link.focus();
    });
    map.getContainer().addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || !map._popup || !map._popup.isOpen()) return;
      var source = map._popup._source;
      map.closePopup();
      if (source && source.getElement()) source.getElement().focus();
    });

    // A failure stays until the next answer that worked; other messages until the next message.
    function say(message, failure) {
      status.textContent = message;
      status.dataset.failure = failure ? "true" : "";
    }
    function recovered() { if (status.dataset.failure) say(""); }
    // A message over the map (the place gone to: "Bergen (NH.)") goes once the map moves on, a popup
    // opens under it or the filters change what it shows (load); one said with the move (map.setView,
    // then say) stays.
    function moveOn() { if (!status.dataset.failure) say(""); }
    map.on("movestart popupopen", moveOn);

    function working(delta) {
      busy += delta;
      if (busy > 0) map.getContainer().setAttribute("aria-busy", "true");
      else map.getContainer().removeAttribute("aria-busy");
    }

    function countText(n) {
      return format(plural.select(n) === "one" ? text.countOne : text.countOther, {count: number.format(n)});
    }

    function statusText(code) { return text.status[code] || code; }

    // The filters as the form holds them. The status always goes along (the map's default is
    // running initiatives only); the address leaves the default out.
    function filterQuery() {
      var values = new URLSearchParams();
      if (form) {
        new FormData(form).forEach(function (value, name) { if (value !== "") values.append(name, value); });
      }
      return values;
    }

    function addressQuery(filters) {
      var values = new URLSearchParams(filters);
      if (values.getAll("status").join(",") === options.defaultStatus.join(",")) values.delete("status");
      return values;
    }

    // The map filters as someone types, so once they type in its search box its last word is read
    // as the beginning of a word (q ends in "*", as the suggestions read the text): "village sh"
    // shows the village shops, not nothing (no record has the word "sh"). Also on Enter, on leaving
    // the box and with other filters, so that the map does not change under them for that alone. An
    // address opened as it is reads whole words, as the page's count and the list do. A single
    // letter is no beginning yet.
    var typed = false;

    function asAsked(filters) {
      var asked = new URLSearchParams(filters);
      var text = asked.get("q");
      if (typed && text && /[\p{L}\p{N}]{2}$/u.test(text)) asked.set("q", text + "*");
      return asked;
    }

    function dataQuery(filters) {
      var values = new URLSearchParams(filters);
      new URLSearchParams(options.lockedQuery).forEach(function (value, name) { values.append(name, value); });
      values.sort();  // one address per set of filters, for the caches
      return values.toString();
    }

    function writeAddress(filters) {
      // The list shows what the map shows: with the last word typed read as a beginning too.
      var listed = asAsked(filters).toString();
      if (listLink) listLink.href = options.listUrl + (listed ? "?" + listed : "");
      if (!options.writesAddress) return;
      var centre = map.getCenter();
      var shown = addressQuery(filters).toString();
      var hash = "#" + map.getZoom() + "/" + centre.lat.toFixed(5) + "/" + centre.lng.toFixed(5);
      var address = window.location.pathname + (shown ? "?" + shown : "") + hash;
      window.history.replaceState(null, "", address);
      // The language switch comes back to this view, not to the address the page was loaded with.
      document.querySelectorAll("input[name=next]").forEach(function (input) { input.value = address; });
    }

    function detailLink(p, label) {
      var link = element("a", {href: options.detailUrl + encodeURIComponent(p.slug)}, [label]);
      if (options.embedded) link.setAttribute("target", "_top");
      return link;
    }

    function describe(p) {
      return (options.kinds[p.kind] || p.kind) + (p.place ? " · " + p.place : "");
    }

    function statusBadge(p) {
      return element("span", {"class": "status-badge status-" + p.status}, [statusText(p.status)]);
    }

    function popup(p) {
      var services = (p.services || []).map(function (code) { return options.services[code] || code; });
      return element("div", {"class": "popup", lang: language}, [
        element("h2", {}, [p.name]),
        element("p", {}, [statusBadge(p)]),
        element("p", {}, [describe(p)]),
        services.length ? element("p", {}, [text.services + ": " + services.join(", ")]) : "",
        p.stale ? element("p", {"class": "stale-mark"}, [p.lastVerifiedOn
          ? format(text.notVerifiedSince, {date: longDate.format(new Date(p.lastVerifiedOn))})
          : text.neverVerified]) : "",
        element("p", {}, [detailLink(p, format(text.details, {name: p.name}))]),
      ]);
    }

    // Initiatives at one address cannot be split by zooming in: their popup lists them.
    function listPopup(n, features) {
      return element("div", {"class": "popup", lang: language}, [
        element("h2", {}, [countText(n)]),
        element("ul", {}, features.map(function (feature) {
          var p = feature.properties;
          return element("li", {}, [detailLink(p, p.name), " (" + describe(p) + ") ", statusBadge(p)]);
        })),
      ]);
    }

    function clusterTitle(p) {
      var others = [];
      if (p.paused) others.push(number.format(p.paused) + " " + statusText("gepauzeerd").toLowerCase());
      if (p.stopped) others.push(number.format(p.stopped) + " " + statusText("gestopt").toLowerCase());
      return countText(p.count) + (others.length ? " (" + format(text.including, {list: others.join(", ")}) + ")" : "");
    }

    function clusterMarker(feature) {
      var c = feature.geometry.coordinates;
      var p = feature.properties;
      var n = p.count;
      var size = n < 10 ? "small" : n < 100 ? "medium" : "large";  // as the legend says (_map_legend.html)
      var mixed = p.paused || p.stopped ? " marker-cluster-mixed" : "";
      var marker = L.marker([c[1], c[0]], {
        title: clusterTitle(p),
        autoPanOnFocus: false,
        zIndexOffset: 1000,  // a number is never under a single marker
        icon: L.divIcon({html: "<span>" + (n < 10000 ? number.format(n) : compact.format(n)) + "</span>",
                         className: "marker-cluster marker-cluster-" + size + mixed, iconSize: [44, 44]}),
      });
      marker.on("add", function () { marker.getElement().dataset.count = String(n); });
      marker.key = "cluster:" + feature.id;
      var box = p.bbox;  // west, south, east, north of its initiatives
      var together = box[0] === box[2] && box[1] === box[3];
      if (together || map.getZoom() >= map.getMaxZoom()) {
        marker.bindPopup(element("div", {"class": "popup"}, [text.loading]), POPUP_OPTIONS);
        marker.on("popupopen", function () {
          var query = new URLSearchParams(dataQuery(filterQuery()));
          query.set("bbox", [box[0] - 1e-5, box[1] - 1e-5, box[2] + 1e-5, box[3] + 1e-5].join(","));
          getJSON(options.overviewUrl + "?" + query.toString()).then(function (body) {
            marker.setPopupContent(listPopup(n, body.inView.items));
            var link = marker.getPopup().getElement().querySelector(".popup a");
            if (link && marker.getElement() === document.activeElement) link.focus();
          }).catch(function (error) { say(format(text.failed, {reason: reason(error, text)})); });
        });
      } else {
        var zoomIn = function () {
          var bounds = L.latLngBounds([box[1], box[0]], [box[3], box[2]]);
          var zoom = Math.min(map.getMaxZoom(), Math.max(map.getZoom() + 1, map.getBoundsZoom(bounds.pad(0.1))));
          map.setView(bounds.getCenter(), zoom);
        };
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
      var title = p.status === "actief" ? p.name : p.name + " (" + statusText(p.status) + ")";
      // No panning when a marker gets the focus: every marker is in view, and a pan would redraw them
      // and send the Tab key round the same markers again.
      // A record its initiative has not confirmed for a while is faded (site.css, as in the legend),
      // never left out.
      var marker = L.marker([c[1], c[0]], {
        title: title, autoPanOnFocus: false,
        icon: L.divIcon({html: "<span></span>", iconSize: [44, 44],
                         className: "marker-point marker-" + p.status + (p.stale ? " marker-faded" : "")}),
      }).bindPopup(function () { return popup(p); }, POPUP_OPTIONS);
      marker.key = "point:" + feature.id;
      return marker;
    }

    function neededTiles() {
      var z = map.getZoom();
      var bounds = map.getPixelBounds();
      var last = Math.pow(2, z) - 1;
      var found = [];
      var x0 = Math.max(0, Math.floor(bounds.min.x / TILE)), x1 = Math.min(last, Math.floor(bounds.max.x / TILE));
      var y0 = Math.max(0, Math.floor(bounds.min.y / TILE)), y1 = Math.min(last, Math.floor(bounds.max.y / TILE));
      for (var y = y0; y <= y1; y++) for (var x = x0; x <= x1; x++) found.push(z + "/" + x + "/" + y);
      return found;
    }

    // Only the clusters and initiatives in the view are on the map. (None outside it: focusing a
    // hidden marker would pan the map.)
    function render() {
      var bounds = map.getBounds();
      var features = [];
      neededTiles().forEach(function (key) {
        (tiles[key] || []).forEach(function (feature) {
          var c = feature.geometry.coordinates;
          if (bounds.contains([c[1], c[0]])) features.push(feature);
        });
      });
      // A marker whose popup is open, or that has the keyboard focus, stays (and is not added
      // twice): the popup stays open and the focus stays where it was.
      var kept = {};
      markers.eachLayer(function (layer) {
        var node = layer.getElement && layer.getElement();
        var focused = node && node === document.activeElement;
        if ((layer.isPopupOpen && layer.isPopupOpen()) || focused) kept[layer.key] = true;
        else markers.removeLayer(layer);
      });
      features.forEach(function (feature) {
        var marker = feature.properties.cluster ? clusterMarker(feature) : pointMarker(feature);
        if (!kept[marker.key]) markers.addLayer(marker);
      });
    }

    function loadTiles() {
      var wanted = neededTiles();
      if (Object.keys(tiles).length > KEPT_TILES) {
        var keep = {};
        wanted.forEach(function (key) { if (tiles[key]) keep[key] = tiles[key]; });
        tiles = keep;
      }
      var forQuery = query;
      wanted.forEach(function (key) {
        if (tiles[key] || pending[key]) return;
        pending[key] = true;
        working(1);
        getJSON(options.tileUrl.replace("{z}/{x}/{y}", key) + (forQuery ? "?" + forQuery : ""))
          .then(function (collection) {
            if (forQuery !== query) return;  // the filters changed meanwhile
            tiles[key] = collection.features;
            render();
          })
          .catch(function (error) { say(format(text.failed, {reason: reason(error, text)}), true); })
          .finally(function () { delete pending[key]; working(-1); });
      });
      render();
    }

    // The count of what matches, the empty message, and (on a wide screen) the list of what is in view.
    function summarise(fit) {
      var withList = list && list.offsetParent !== null;
      var values = new URLSearchParams(query);
      if (withList) {
        var b = map.getBounds();
        values.set("bbox", [Math.max(-180, b.getWest()), Math.max(-90, b.getSouth()), Math.min(180, b.getEast()),
                            Math.min(90, b.getNorth())].map(function (v) { return v.toFixed(5); }).join(","));
      }
      if (summary) summary.abort();
      summary = new AbortController();
      working(1);
      getJSON(options.overviewUrl + "?" + values.toString(), summary.signal)
        .then(function (body) {
          if (count) {
            count.textContent = countText(body.count);
            count.dataset.count = String(body.count);
          }
          if (empty) empty.hidden = body.count !== 0;
          offerCorrection(body.didYouMean);
          offerPlaces(body.places);
          if (fit && body.extent) {
            var e = body.extent;
            map.fitBounds([[e[1], e[0]], [e[3], e[2]]],
                          {maxZoom: 13, padding: [24, 24], animate: false});
          }
          if (withList && body.inView) showList(body.inView);
          recovered();
        })
        .catch(function (error) {
          if (error.name !== "AbortError") say(format(text.failed, {reason: reason(error, text)}), true);
        })
        .finally(function () { working(-1); });
    }

    // "Did you mean …?" for the text in the box now, not the one the page was opened with.
    function offerCorrection(corrected) {
      var hint = document.getElementById("map-did-you-mean");
      if (!hint) return;
      hint.hidden = !corrected;
      if (!corrected) return;
      var values = filterQuery();
      values.set("q", corrected);
      var link = hint.querySelector("a");
      link.textContent = corrected;
      link.href = "?" + addressQuery(values).toString();
    }

    // The places the text in the box names ("3511", "Zwolle"): the map goes there, without the text,
    // which finds only the initiatives that mention it.
    function offerPlaces(places) {
      places = places || [];
      document.querySelectorAll("[data-places-offer]").forEach(function (hint) {
        hint.hidden = places.length === 0;
        var list = hint.querySelector("span");
        list.replaceChildren.apply(list, placeLinks(places));
      });
    }

    function placeLinks(places) {
      var values = filterQuery();
      values.delete("q");
      var without = addressQuery(values).toString();
      var parts = [];
      places.forEach(function (place, index) {
        var link = element("a", {"class": "utrecht-link utrecht-link--html-a",
                                 href: "?" + without + "#" + place.zoom + "/" + place.lat + "/" + place.lon}, [place.name]);
        link.addEventListener("click", function (event) {
          event.preventDefault();
          form.querySelectorAll("input[name=q]").forEach(function (box) { box.value = ""; });
          document.dispatchEvent(new CustomEvent("registry:go", {cancelable: true, detail: {
            lat: place.lat, lon: place.lon, zoom: place.zoom, label: place.name,
            detail: placeDetail(place, options.placeKinds, false)}}));
          // The link is gone with the text: the keyboard goes on from the map that moved.
          map.getContainer().focus({preventScroll: true});
        });
        parts.push(index ? " · " : "", link, " (" + placeDetail(place, options.placeKinds, false) + ")");
      });
      return parts;
    }

    function showList(inView) {
      var heading = document.getElementById("map-list-count");
      heading.textContent = format(text.inView, {count: countText(inView.count)});
      var items = document.getElementById("map-list-items");
      items.replaceChildren.apply(items, inView.items.map(function (feature) {
        var p = feature.properties;
        return element("li", {}, [
          detailLink(p, p.name),
          element("span", {"class": "meta"}, [describe(p) + " "]),
          p.status === "actief" ? "" : statusBadge(p),
        ]);
      }));
      var more = document.getElementById("map-list-more");
      more.hidden = inView.count <= inView.items.length;
      more.textContent = format(text.firstOnly, {shown: number.format(inView.items.length)});
    }

    var listTimer = null;
    function onMove() {
      writeAddress(filterQuery());
      loadTiles();
      if (list && list.offsetParent !== null) {
        window.clearTimeout(listTimer);
        listTimer = window.setTimeout(function () { summarise(false); }, 250);
      }
    }

    function load(fit) {
      var filters = filterQuery();
      writeAddress(filters);
      var next = dataQuery(asAsked(filters));
      // A search box fires "change" again when it loses focus, say on a click on a marker:
      // reloading the same data then would close the popup that click opens.
      if (next === query) return;
      query = next;
      moveOn();
      tiles = {};
      pending = {};
      markers.clearLayers();
      summarise(fit);
      loadTiles();
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

    // No status at all would show nothing: the default comes back instead.
    function keepAStatus() {
      var boxes = form.querySelectorAll("input[name=status]");
      if (!boxes.length || Array.prototype.some.call(boxes, function (box) { return box.checked; })) return;
      boxes.forEach(function (box) { box.checked = options.defaultStatus.indexOf(box.value) !== -1; });
    }

    function reset() {
      form.querySelectorAll("input[type=checkbox]").forEach(function (box) {
        box.checked = box.name === "status" && options.defaultStatus.indexOf(box.value) !== -1;
      });
      form.querySelectorAll("input[type=search], input[type=text]").forEach(function (input) { input.value = ""; });
      form.querySelectorAll("select").forEach(function (select) { select.value = ""; });
      narrowMunicipalities();
      load(false);
      wholeCountry();
      say(text.filtersReset);
    }

    if (form) {
      var timer = null;
      narrowMunicipalities();
      form.querySelector("select[name=province]").addEventListener("change", narrowMunicipalities);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        window.clearTimeout(timer);
        load(true);
      });
      // A new place, search or partner shows where its results are; a box ticked keeps the view.
      form.addEventListener("change", function (event) {
        if (event.target.name === "status") keepAStatus();
        load(event.target.type !== "checkbox");
      });
      form.addEventListener("input", function (event) {
        if (event.target.type !== "search") return;
        typed = true;
        window.clearTimeout(timer);
        timer = window.setTimeout(function () { load(true); }, 400);
      });
      document.querySelectorAll("[data-reset-filters]").forEach(function (button) {
        button.addEventListener("click", function (event) { event.preventDefault(); reset(); });
      });
    }
    map.on("moveend", onMove);
    setUpNearMe(map, text, say);
    setUpPlaceSearch(map, options, say);
    // A place chosen among the search box's suggestions (registry/suggest.js): the map goes there.
    // The box was emptied before (a place is where to look, not what to look for): the map shows
    // everything there at once, without waiting for the typing's reload, which would fit the view
    // to the results all over the country.
    document.addEventListener("registry:go", function (event) {
      var place = event.detail;
      event.preventDefault();
      map.setView([place.lat, place.lon], place.zoom, {animate: false});
      if (form) {
        window.clearTimeout(timer);
        load(false);
      }
      say(place.detail ? place.label + " (" + place.detail + ")" : place.label);
    });
    load(!view && (addressQuery(filterQuery()).toString() !== "" || options.lockedQuery !== ""));
  }

  // The filters fold away on a narrow screen (site.css, from the first paint): a button opens and
  // closes them.
  function setUpPanel(form) {
    var toggle = document.getElementById("filters-toggle");
    if (!toggle) return;
    var narrow = window.matchMedia("(max-width: 62rem)");
    function set(open) {
      toggle.setAttribute("aria-expanded", String(open));
      form.classList.toggle("is-open", open);
    }
    // Folded on a phone, the panel leaves the page shorter: where someone had scrolled down to its
    // last filters there is only the footer. The map comes into view instead.
    function foldAndShowTheMap() {
      set(false);
      var frame = document.querySelector(".map-frame");
      if (!frame) return;
      var box = frame.getBoundingClientRect();
      if (box.top < 0 || box.bottom > window.innerHeight) frame.scrollIntoView({block: "start"});
    }
    set(!narrow.matches);
    toggle.addEventListener("click", function () {
      if (toggle.getAttribute("aria-expanded") !== "true") set(true);
      else if (narrow.matches) foldAndShowTheMap();
      else set(false);
    });
    narrow.addEventListener("change", function () { set(!narrow.matches); });
    // A place chosen in the box, or the filters shown with their button, on a phone: the open panel
    // would hide the map that shows them. Enter in the search box keeps it open, where the places
    // the text names are offered under the box: the browser names the Show button the submitter of
    // that Enter too, but the focus is still in the box (a tapped button has it, or in Safari nothing).
    document.addEventListener("registry:go", function () {
      if (narrow.matches) foldAndShowTheMap();
    });
    form.addEventListener("submit", function (event) {
      var typing = document.activeElement && document.activeElement.matches("input[type=search], input[type=text]");
      if (narrow.matches && !typing && event.submitter && event.submitter.closest(".filter-buttons")) {
        foldAndShowTheMap();
      }
    });
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
        if (!map.getPane("here")) map.createPane("here").style.zIndex = 625;  // above the markers (600), below tooltips (650)
        here = L.circleMarker(point, {radius: 8, color: "#b00020", weight: 3, pane: "here"})
          .bindTooltip(text.youAreHere).addTo(map);
        map.setView(point, 13, {animate: false});
        say(text.youAreHere);
      }, function (error) {
        // The browser's own message is English whatever the page's language: say it by its code.
        var why = {1: text.locationRefused, 2: text.locationUnknown, 3: text.locationTimedOut}[error.code];
        say(format(text.geolocationFailed, {reason: why || text.locationUnknown}));
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
      say(placeName(location, options.placeKinds, false));
    }

    // The list drops down over the page: Escape, or the focus leaving the search, folds it away.
    function fold(event) {
      if (!results.children.length) return;
      if (event.type === "keydown" && event.key !== "Escape") return;
      if (event.type === "focusout" && form.contains(event.relatedTarget)) return;
      results.replaceChildren();
      if (event.type === "keydown") input.focus();
    }
    form.addEventListener("keydown", fold);
    form.addEventListener("focusout", fold);
    // Safari and Firefox on a Mac do not focus a clicked button: the focus would leave the search
    // (and fold the list) before the click arrives. As suggest.js does for its options.
    results.addEventListener("mousedown", function (event) { event.preventDefault(); });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var query = input.value.trim();
      results.replaceChildren();
      if (query.length < 2) { say(text.tooShort); return; }
      say(text.searching);
      getJSON(options.locationsUrl + "?" + new URLSearchParams({q: query}))
        .then(function (locations) {
          if (!locations.length) { say(format(text.noLocations, {query: query})); return; }
          if (locations.length === 1) { go(locations[0]); return; }
          say(text.locationsFound);
          locations.forEach(function (location) {
            var button = element("button", {type: "button"},
                                 [placeName(location, options.placeKinds, true)]);
            button.addEventListener("click", function () {
              results.replaceChildren();
              go(location);
              // The button is gone with the list: the keyboard goes on from the map that moved.
              map.getContainer().focus({preventScroll: true});
            });
            results.appendChild(element("li", {}, [button]));
          });
          results.querySelector("button").focus();
        })
        .catch(function (error) { say(format(text.searchFailed, {reason: reason(error, text)})); });
    });
  }

  window.registryMap = {start: start};
})();
