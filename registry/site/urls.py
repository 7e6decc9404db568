from django.urls import path

from registry.site import contribute, mapdata, monitor, statistics, subscribing, views

app_name = "registry"

urlpatterns = [
    path("", views.home, name="home"),
    path("embed", views.embed, name="embed"),
    # The map's data per view (registry/site/mapdata.py).
    path("kaart/tegels/<int:z>/<int:x>/<int:y>.geojson", mapdata.tile, name="map-tile"),
    path("kaart/overzicht", mapdata.overview, name="map-overview"),
    path("statistieken", statistics.statistics, name="statistics"),
    # The annual monitor (registry/site/monitor.py): the country, or a province or municipality by its code.
    path("monitor", monitor.latest, name="monitor-latest"),
    path("monitor/<int:year>", monitor.monitor_page, name="monitor"),
    path("monitor/<int:year>.pdf", monitor.monitor_pdf, name="monitor-pdf"),
    path("monitor/<int:year>/<slug:area>.pdf", monitor.monitor_pdf, name="monitor-pdf-area"),
    path("monitor/<int:year>/<slug:area>", monitor.monitor_page, name="monitor-area"),
    path("insluiten", views.embed_builder, name="embed-builder"),
    path("initiatieven", views.initiative_list, name="initiatives"),
    path("zoeken/suggesties", views.suggestions, name="search-suggestions"),
    path("initiatieven/<slug:slug>", views.initiative_detail, name="initiative"),
    path("partners/<slug:slug>", views.partner_detail, name="partner"),
    path("gebieden/<str:code>", views.area_detail, name="area"),
    # What a public service owes its visitors, linked from every page's footer.
    path("over", views.info_page, {"page": "about"}, name="about"),
    path("contact", views.info_page, {"page": "contact"}, name="contact"),
    path("privacy", views.info_page, {"page": "privacy"}, name="privacy"),
    path("toegankelijkheid", views.info_page, {"page": "accessibility"}, name="accessibility"),
    path("licentie", views.info_page, {"page": "licence"}, name="licence"),
    # Suggestions from the public and verification links (registry/site/contribute.py).
    path("aanmelden", contribute.suggest_new, name="suggest-new"),
    path("aanmelden/bedankt", contribute.suggest_new_thanks, name="suggest-new-thanks"),
    path("initiatieven/<slug:slug>/correctie", contribute.suggest_correction, name="suggest-correction"),
    path("initiatieven/<slug:slug>/correctie/bedankt", contribute.suggest_correction_thanks,
         name="suggest-correction-thanks"),
    path("controle/<str:token>", contribute.verify, name="verify"),
    path("controle/<str:token>/bevestigd", contribute.verify_confirmed, name="verify-confirmed"),
    path("controle/<str:token>/wijziging", contribute.verify_change, name="verify-change"),
    path("controle/<str:token>/gestopt", contribute.verify_stop, name="verify-stop"),
    path("controle/<str:token>/cijfers", contribute.verify_figures, name="verify-figures"),
    path("controle/<str:token>/ontvangen", contribute.verify_received, name="verify-received"),
    # E-mail subscriptions (registry/site/subscribing.py), linked from the footer and the area pages.
    path("volgen", subscribing.subscribe, name="subscribe"),
    path("volgen/verstuurd", subscribing.subscribe_sent, name="subscribe-sent"),
    path("volgen/bevestigen/<str:token>", subscribing.confirm, name="subscription-confirm"),
    path("volgen/opzeggen/<str:token>", subscribing.unsubscribe, name="unsubscribe"),
]
