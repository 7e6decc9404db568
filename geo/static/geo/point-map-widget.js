/* The admin's point widget (geo/widgets.py): click the map to place or move the point, drag the
   point, type its coordinates, or clear it. The form field holds GeoJSON in WGS84; the map shows
   Web Mercator. Started from this file rather than an inline script, so the page's
   Content-Security-Policy allows it. */
/* global ol */
(function () {
  "use strict";

  const PRECISION = 7; // decimals of a degree: about a centimetre

  function round(value) {
    return Number(value.toFixed(PRECISION));
  }

  function start(root) {
    const field = document.getElementById(root.dataset.field);
    const coordinates = root.querySelector(".point-map__coordinates");
    const status = root.querySelector(".point-map__status");
    const clear = root.querySelector(".point-map__clear");
    const disabled = root.dataset.disabled === "true";

    const feature = new ol.Feature();
    feature.setStyle(new ol.style.Style({
      image: new ol.style.Circle({
        radius: 8,
        fill: new ol.style.Fill({color: "#d4351c"}),
        stroke: new ol.style.Stroke({color: "#ffffff", width: 2}),
      }),
    }));
    const points = new ol.source.Vector();
    const view = new ol.View({
      center: ol.proj.fromLonLat([Number(root.dataset.defaultLon), Number(root.dataset.defaultLat)]),
      zoom: Number(root.dataset.defaultZoom),
      maxZoom: 19,
    });
    const map = new ol.Map({
      target: root.querySelector(".point-map__map"),
      layers: [
        new ol.layer.Tile({source: new ol.source.XYZ({
          url: root.dataset.tileUrl, attributions: root.dataset.tileAttribution, maxZoom: 19})}),
        new ol.layer.Vector({source: points}),
      ],
      view: view,
    });

    function say(message, isError) {
      status.textContent = message;
      status.classList.toggle("is-error", Boolean(isError));
      coordinates.setCustomValidity(isError ? message : "");
    }

    function show(lonLat) {
      feature.setGeometry(new ol.geom.Point(ol.proj.fromLonLat(lonLat)));
      if (!points.hasFeature(feature)) {
        points.addFeature(feature);
      }
      coordinates.value = lonLat[1].toFixed(6) + ", " + lonLat[0].toFixed(6);
    }

    function place(lonLat) {
      const rounded = [round(lonLat[0]), round(lonLat[1])];
      show(rounded);
      field.value = JSON.stringify({type: "Point", coordinates: rounded});
      say(root.dataset.placed || "", false);
    }

    // The stored point, shown as it is; the field keeps its exact text until someone moves it.
    if (field.value.trim()) {
      try {
        const geometry = JSON.parse(field.value);
        if (geometry.type !== "Point") {
          return; // areas are shown read-only, as text
        }
        show(geometry.coordinates);
        view.setCenter(feature.getGeometry().getCoordinates());
        view.setZoom(16);
      } catch (error) {
        say(String(error), true);
      }
    }
    if (disabled) {
      return;
    }

    map.on("singleclick", function (event) {
      place(ol.proj.toLonLat(event.coordinate));
    });
    const drag = new ol.interaction.Translate({features: new ol.Collection([feature])});
    drag.on("translateend", function () {
      place(ol.proj.toLonLat(feature.getGeometry().getCoordinates()));
    });
    map.addInteraction(drag);

    coordinates.addEventListener("change", function () {
      const text = coordinates.value.trim();
      if (!text) {
        return;
      }
      const parts = text.split(/[\s,;]+/).map(Number);
      const [lat, lon] = parts;
      if (parts.length !== 2 || !Number.isFinite(lat) || !Number.isFinite(lon)
          || Math.abs(lat) > 90 || Math.abs(lon) > 180) {
        say(root.dataset.badCoordinates, true);
        return;
      }
      place([lon, lat]);
      view.setCenter(feature.getGeometry().getCoordinates());
    });

    clear.addEventListener("click", function () {
      points.clear();
      field.value = "";
      coordinates.value = "";
      say(root.dataset.cleared, false);
    });
  }

  function startAll() {
    document.querySelectorAll("[data-point-map]").forEach(start);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", startAll);
  } else {
    startAll();
  }
})();
