"""The DCAT-AP (DCAT-AP-NL 3.0) catalogue record of the open data, for harvesting by the national
open-data portal: the catalogue, the dataset, one distribution per file of the latest snapshot
(byte size and SHA-256 checksum from its manifest) and one for the OGC API with its standards.
Served as JSON-LD and Turtle."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from opendata.formats import monitor_file
from opendata.snapshots import BY_FILE, DISTRIBUTIONS
from registry.models import Initiative
from registry.monitor import TABLE_DESCRIPTIONS

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
NETHERLANDS = URIRef(EU + "country/NLD")
DUTCH, ENGLISH = URIRef(EU + "language/NLD"), URIRef(EU + "language/ENG")
THEMES = {"SOCI": "Population and society", "REGI": "Regions and cities"}
KEYWORDS = [("bewonersinitiatief", "nl"), ("bewonersbedrijf", "nl"), ("dorpscoöperatie", "nl"),
            ("leefbaarheid", "nl"), ("residents' initiative", "en"), ("community enterprise", "en")]
DESCRIPTIONS = {
    "initiatives.csv": ("Eén rij per initiatief (UTF-8, RFC 4180); diensten en financiering als codes.",
                        "One row per initiative (UTF-8, RFC 4180); services and funding as codes."),
    "partnerships.csv": ("Eén rij per initiatief, partner en rol.", "One row per initiative, partner and role."),
    "initiatives.geojson": ("Alle initiatieven als RFC 7946 FeatureCollection (WGS84).",
                            "All initiatives as an RFC 7946 FeatureCollection (WGS84)."),
    "initiatives.gpkg": ("GeoPackage met één puntlaag (EPSG:4326).", "GeoPackage with one point layer (EPSG:4326)."),
    "initiatives.jsonld": ("schema.org Organizations als JSON-LD.", "schema.org Organizations as JSON-LD."),
    "initiatives.xlsx": ("Werkmap met de initiatieven en de partnerschappen als de CSV-bestanden, getallen en data als "
                         "getallen en data, en een tabblad met de betekenis van elke kolom.",
                         "Workbook of the initiatives and the partnerships as in the CSV files, numbers and dates as "
                         "numbers and dates, with a sheet that says what each column means."),
    "datapackage.json": ("Frictionless Data Package: Table Schemas van de CSV-bestanden.",
                         "Frictionless Data Package: Table Schemas of the CSV files."),
    # The national annual monitor: aggregates, one row per figure, every year with yearly figures.
    **{monitor_file(table): (f"Jaarmonitor van Nederland, elk jaar met jaarcijfers (kolom year): {nl} Alleen "
                             "totalen; bedragen alleen over ingestemde cijfers van 5 of meer initiatieven.",
                             f"The annual monitor of the Netherlands, every year with yearly figures (column "
                             f"year): {en} Aggregates only; amounts only over consented figures of 5 or more "
                             "initiatives.")
       for table, (en, nl) in TABLE_DESCRIPTIONS.items()},
}


def catalog_graph(site: str, snapshot: dict[str, Any] | None) -> Graph:
    graph = Graph(bind_namespaces="core")
    for prefix, namespace in [("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", VCARD),
                              ("spdx", SPDX), ("skos", SKOS), ("adms", ADMS)]:
        graph.bind(prefix, namespace)
    add = graph.add
    catalog, dataset = URIRef(f"{site}/opendata/catalog"), URIRef(f"{site}/opendata#dataset")
    publisher, contact = URIRef(f"{site}/#publisher"), URIRef(f"{site}/opendata#contact")
    licence, page = URIRef(settings.OPENDATA_LICENSE_URL), URIRef(f"{site}/opendata")
    first = Initiative.objects.published().order_by("created_at").values_list("created_at", flat=True).first()
    issued = (first or datetime.datetime.now(datetime.UTC)).date()
    modified = Literal(snapshot["created"] if snapshot else datetime.datetime.now(datetime.UTC).replace(
        microsecond=0).isoformat(), datatype=XSD.dateTime)

    def texts(subject: URIRef, predicate: URIRef, nl: str, en: str) -> None:
        add((subject, predicate, Literal(nl, lang="nl")))
        add((subject, predicate, Literal(en, lang="en")))

    add((catalog, RDF.type, DCAT.Catalog))
    texts(catalog, DCTERMS.title, "Register van bewonersinitiatieven", "Register of residents' initiatives")
    texts(catalog, DCTERMS.description,
          "Open data van het landelijk register van bewonersinitiatieven en bewonersbedrijven.",
          "Open data of the national register of residents' initiatives and resident enterprises.")
    for subject in (catalog, dataset):
        add((subject, DCTERMS.publisher, publisher))
        add((subject, DCTERMS.license, licence))
        add((subject, DCTERMS.spatial, NETHERLANDS))
        add((subject, DCTERMS.issued, Literal(issued, datatype=XSD.date)))
        add((subject, DCTERMS.modified, modified))
    add((catalog, FOAF.homepage, URIRef(site + "/")))
    add((catalog, DCAT.contactPoint, contact))
    add((catalog, DCTERMS.language, DUTCH))
    add((catalog, DCTERMS.language, ENGLISH))
    add((catalog, DCAT.themeTaxonomy, URIRef(EU + "data-theme")))
    add((catalog, DCAT.dataset, dataset))

    add((dataset, RDF.type, DCAT.Dataset))
    add((dataset, DCTERMS.identifier, Literal(str(dataset))))
    texts(dataset, DCTERMS.title, "Bewonersinitiatieven en bewonersbedrijven in Nederland",
          "Residents' initiatives and resident enterprises in the Netherlands")
    texts(dataset, DCTERMS.description,
          "Alle gepubliceerde initiatieven met soort, voorzieningen, financiering, partners, status en locatie "
          "(gemeente, provincie, coördinaten), en de tabellen van de landelijke jaarmonitor (totalen). Dagelijks "
          "ververst; eerdere versies blijven beschikbaar.",
          "Every published initiative with its kind, services, funding, partners, status and location "
          "(municipality, province, coordinates), and the tables of the national annual monitor (aggregates). "
          "Refreshed daily; earlier versions stay available.")
    add((dataset, DCTERMS.creator, publisher))
    add((dataset, DCAT.contactPoint, contact))
    add((dataset, DCTERMS.accessRights, URIRef(EU + "access-right/PUBLIC")))
    add((dataset, DCTERMS.accrualPeriodicity, URIRef(EU + "frequency/DAILY")))
    add((dataset, DCTERMS.language, DUTCH))
    add((dataset, DCAT.landingPage, page))
    for code in THEMES:
        add((dataset, DCAT.theme, URIRef(EU + "data-theme/" + code)))
    for word, language in KEYWORDS:
        add((dataset, DCAT.keyword, Literal(word, lang=language)))
    founded = Initiative.objects.published().exclude(founded_year=None).order_by("founded_year") \
        .values_list("founded_year", flat=True).first()
    if founded:
        period = BNode()
        add((dataset, DCTERMS.temporal, period))
        add((period, RDF.type, DCTERMS.PeriodOfTime))
        add((period, DCAT.startDate, Literal(datetime.date(founded, 1, 1), datatype=XSD.date)))
        add((period, DCAT.endDate, Literal(datetime.datetime.now(datetime.UTC).date(), datatype=XSD.date)))

    files = {entry["name"]: entry for entry in (snapshot or {}).get("files", [])}
    for distribution_info in DISTRIBUTIONS:
        name = distribution_info.file
        distribution = URIRef(f"{site}/opendata#{name}")
        add((dataset, DCAT.distribution, distribution))
        add((distribution, RDF.type, DCAT.Distribution))
        texts(distribution, DCTERMS.title, distribution_info.title_nl, distribution_info.title_en)
        texts(distribution, DCTERMS.description, *DESCRIPTIONS[name])
        add((distribution, DCAT.accessURL, page))
        add((distribution, DCTERMS.license, licence))
        add((distribution, DCTERMS.format, URIRef(EU + "file-type/" + distribution_info.dcat_format)))
        add((distribution, DCAT.mediaType, URIRef(IANA + BY_FILE[name].media_type)))
        add((distribution, DCTERMS.language, DUTCH))
        add((distribution, DCTERMS.modified, modified))
        add((distribution, DCTERMS.issued, Literal(issued, datatype=XSD.date)))
        if name in files and snapshot:
            add((distribution, DCAT.downloadURL, URIRef(f"{site}/opendata/snapshots/{snapshot['date']}/{name}")))
            add((distribution, DCAT.byteSize, Literal(files[name]["bytes"], datatype=XSD.nonNegativeInteger)))
            checksum = BNode()
            add((distribution, SPDX.checksum, checksum))
            add((checksum, RDF.type, SPDX.Checksum))
            add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
            add((checksum, SPDX.checksumValue, Literal(files[name]["sha256"], datatype=XSD.hexBinary)))
        else:
            add((distribution, DCAT.downloadURL, URIRef(f"{site}/opendata/{name}")))

    describe_ogc_api(graph, site, dataset, licence, texts)

    add((publisher, RDF.type, FOAF.Agent))
    add((publisher, RDF.type, FOAF.Organization))
    add((publisher, FOAF.name, Literal(settings.OPENDATA_PUBLISHER_NAME, lang="nl")))
    add((publisher, DCTERMS.type, URIRef("http://purl.org/adms/publishertype/NonProfitOrganisation")))
    add((contact, RDF.type, VCARD.Organization))
    add((contact, RDF.type, VCARD.Kind))
    add((contact, VCARD.fn, Literal(settings.CONTACT_NAME, lang="nl")))
    add((contact, VCARD.hasEmail, URIRef(f"mailto:{settings.CONTACT_EMAIL}")))
    add((contact, VCARD.hasURL, page))
    describe_vocabulary_terms(graph, licence, site)
    return graph


# What the OGC API at /ogc/v1 implements (its /conformance lists the classes).
OGC_STANDARDS = [f"http://www.opengis.net/doc/IS/{part}/1.0" for part in (
    "ogcapi-features-1", "ogcapi-features-2", "ogcapi-features-3", "ogcapi-tiles-1")]


def describe_ogc_api(graph: Graph, site: str, dataset: URIRef, licence: URIRef, texts: Any) -> None:
    """The OGC API (ogc/; only its address, no import of it) as a distribution of the dataset with
    the standards it conforms to, so that portals list it for GIS users. As a distribution, not a
    dcat:DataService: the DCAT-AP 3.0.1 shapes' DataService shape does not load in pyshacl."""
    add = graph.add
    endpoint = URIRef(f"{site}/ogc/v1")
    distribution = URIRef(f"{site}/opendata#ogc-api-features")
    add((dataset, DCAT.distribution, distribution))
    add((distribution, RDF.type, DCAT.Distribution))
    texts(distribution, DCTERMS.title, "OGC API Features (GIS)", "OGC API Features (GIS)")
    texts(distribution, DCTERMS.description,
          "De gepubliceerde initiatieven, partners, gemeenten en provincies voor GIS-software (QGIS, ArcGIS, FME), "
          "in CRS84, RD New (EPSG:28992), ETRS89 en Web Mercator, met CQL2-filters en vectortegels; "
          "de API-definitie staat op /ogc/v1/api.",
          "The published initiatives, partners, municipalities and provinces for GIS software (QGIS, ArcGIS, FME), "
          "in CRS84, RD New (EPSG:28992), ETRS89 and Web Mercator, with CQL2 filters and vector tiles; "
          "the API definition is at /ogc/v1/api.")
    add((distribution, DCAT.accessURL, endpoint))
    add((distribution, DCTERMS.license, licence))
    add((distribution, DCTERMS.format, URIRef(EU + "file-type/GEOJSON")))
    add((distribution, DCAT.mediaType, URIRef(IANA + "application/geo+json")))
    add((distribution, DCTERMS.language, DUTCH))
    add((endpoint, RDF.type, RDFS.Resource))
    for standard in OGC_STANDARDS:
        add((distribution, DCTERMS.conformsTo, URIRef(standard)))
        add((URIRef(standard), RDF.type, DCTERMS.Standard))
    add((URIRef(EU + "file-type/GEOJSON"), RDF.type, DCTERMS.MediaTypeOrExtent))
    add((URIRef(IANA + "application/geo+json"), RDF.type, DCTERMS.MediaType))


def describe_vocabulary_terms(graph: Graph, licence: URIRef, site: str) -> None:
    """The classes of the EU authority terms and other IRIs the record points to, so that a
    validator without those vocabularies loaded can check the ranges."""
    add = graph.add
    add((licence, RDF.type, DCTERMS.LicenseDocument))
    add((SPDX.checksumAlgorithm_sha256, RDF.type, SPDX.ChecksumAlgorithm))
    add((DUTCH, RDF.type, DCTERMS.LinguisticSystem))
    add((ENGLISH, RDF.type, DCTERMS.LinguisticSystem))
    add((NETHERLANDS, RDF.type, DCTERMS.Location))
    add((URIRef(EU + "frequency/DAILY"), RDF.type, DCTERMS.Frequency))
    add((URIRef(EU + "access-right/PUBLIC"), RDF.type, DCTERMS.RightsStatement))
    add((URIRef(EU + "data-theme"), RDF.type, SKOS.ConceptScheme))
    add((URIRef(EU + "data-theme"), DCTERMS.title, Literal("Data theme", lang="en")))
    for code, label in THEMES.items():
        add((URIRef(EU + "data-theme/" + code), RDF.type, SKOS.Concept))
        add((URIRef(EU + "data-theme/" + code), SKOS.prefLabel, Literal(label, lang="en")))
    for info in DISTRIBUTIONS:
        add((URIRef(EU + "file-type/" + info.dcat_format), RDF.type, DCTERMS.MediaTypeOrExtent))
        add((URIRef(IANA + info.media_type), RDF.type, DCTERMS.MediaType))
    add((URIRef(site + "/"), RDF.type, FOAF.Document))
    add((URIRef(f"{site}/opendata"), RDF.type, FOAF.Document))
    publisher_type = URIRef("http://purl.org/adms/publishertype/NonProfitOrganisation")
    add((publisher_type, RDF.type, SKOS.Concept))
    add((publisher_type, SKOS.prefLabel, Literal("Non-Profit Organisation", lang="en")))
