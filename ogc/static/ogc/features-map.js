/* The map of an HTML page of the OGC API: draws the page's own features (the GeoJSON the page
 * holds in a <script type="application/json">, never run) on the folium-made map, names each in
 * a tooltip written as text, opens a feature's page on a click, and lets the reader take the
 * map's view as the box of the filter form. */
(function () {
  "use strict";

  function start(map, layers, options) {
    var source = document.getElementById(options.source);
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var links = {};
    data.links.forEach(function (link) { links[String(link.id)] = link.href; });
    var drawn = L.geoJSON(data.collection, {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, {radius: 6, weight: 2, color: "#fff", fillColor: "#01689b", fillOpacity: 1});
      },
      style: function () { return {color: "#01689b", weight: 2, fillOpacity: 0.15}; },
      onEachFeature: function (feature, layer) {
        var label = document.createElement("span");
        label.textContent = (feature.properties && feature.properties.name) || String(feature.id);
        layer.bindTooltip(label);
        var href = links[String(feature.id)];
        if (href) layer.on("click", function () { window.location.assign(href); });
      },
    }).addTo(map);
    var bounds = drawn.getBounds();
    // Clear of the zoom buttons (top left) and the scale and attribution (bottom): a point under
    // them could not be clicked.
    if (bounds.isValid()) map.fitBounds(bounds, {paddingTopLeft: [60, 20], paddingBottomRight: [20, 40], maxZoom: 15});

    var field = options.boxField && document.getElementById(options.boxField);
    var button = options.boxButton && document.getElementById(options.boxButton);
    if (field && button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var view = map.getBounds();
        field.value = [view.getWest(), view.getSouth(), view.getEast(), view.getNorth()]
          .map(function (value) { return value.toFixed(5); }).join(",");
        field.form.requestSubmit();
      });
    }
  }

  window.ogcFeatures = {start: start};
})();
