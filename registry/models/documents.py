"""The read model: each initiative's public documents, prepared when it (or anything it shows)
changes, so that every read is assembled from ready text by PostgreSQL (registry.documents)."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Func, Transform
from django.utils.translation import gettext_lazy as _

from registry.models.initiatives import Initiative


class InitiativeDocument(models.Model):
    """The prepared parts of one initiative's public documents, as JSON or CSV text.

    What depends on the request or the day is not stored but spliced in when a document is read:
    the record's absolute `url` (the request's scheme and host) and `stale` (today's date, from the
    copies of the record's status and last verification kept here, so that a read of 1,000
    documents does not also read their 1,000 records).
    Written only by registry.documents.prepare, never by hand.
    """

    initiative = models.OneToOneField(Initiative, on_delete=models.CASCADE, primary_key=True,
                                      related_name="document", verbose_name=_("initiative"))
    # The API's record and GeoJSON Feature: {"id":…,"url":…,"location":GEOMETRY,BODY,"stale":…,TAIL
    geometry = models.TextField(_("geometry (GeoJSON)"))
    body = models.TextField(_("fields from slug to verificationMethod"))
    tail = models.TextField(_("createdAt and updatedAt, closing the record"))
    # The map's compact Feature (slug, name, kind, services, place; coordinates to 5 decimals).
    marker = models.TextField(_("map feature"))
    # The open-data files: a line of initiatives.csv, the lines of partnerships.csv (possibly none),
    # and a Feature of initiatives.geojson.
    csv_row = models.TextField(_("line of initiatives.csv"))
    partnership_rows = models.TextField(_("lines of partnerships.csv"))
    export_feature = models.TextField(_("feature of initiatives.geojson"))
    # Copies of the record's, for `stale` and the map's status (registry.querysets.stale_cutoff).
    status = models.CharField(_("status"), max_length=20)
    last_verified_on = models.DateField(_("last verified on"), null=True)
    # When a part of it last changed, its detail members (FiguresDocument) included.
    prepared_at = models.DateTimeField(_("prepared at"))

    class Meta:
        # Rows are kept whole, uncompressed, up to 8,160 bytes (migration 0017): read 1,000 at a time.
        # The register's version reads the latest (registry.history.last_change).
        indexes = [models.Index(fields=["prepared_at"], name="document_prepared_at")]
        verbose_name = _("prepared document")
        verbose_name_plural = _("prepared documents")

    def __str__(self) -> str:
        return f"#{self.initiative_id}"


class FiguresDocument(models.Model):
    """The members only the API's detail record has, `"yearlyFigures":[…],"socialValueEvidence":[…]`, for
    an initiative with public figures or evidence (none: no row). Kept apart from InitiativeDocument
    because they can be several kB: in its rows they would halve how many documents a page of the
    table holds, and a box of 1,000 Features would read twice the pages for text it never shows.
    Written only by registry.documents.prepare."""

    initiative = models.OneToOneField(Initiative, on_delete=models.CASCADE, primary_key=True,
                                      related_name="figures_document", verbose_name=_("initiative"))
    members = models.TextField(_("yearlyFigures and socialValueEvidence, as JSON members"))

    class Meta:
        verbose_name = _("prepared figures")
        verbose_name_plural = _("prepared figures")

    def __str__(self) -> str:
        return f"#{self.initiative_id}"


class Words(Transform):
    """`names__words`: the words of a text as the search stores it (single spaces between words and at
    both ends), as an array, by the function registry_words (migration search_words: strict, so that a
    condition on it lets PostgreSQL join the search's table as an inner join, and costly to the
    planner, so that it reads the index rather than splitting every record's text)."""

    lookup_name = "words"
    function = "registry_words"
    output_field = ArrayField(models.TextField())


class InitiativeSearch(models.Model):
    """What the search reads of one initiative (registry.search), prepared with its documents by the
    same builder (registry.documents). A table of its own, narrow, so that a search that matches
    many records reads few pages (in the documents' wide rows it read 30 times as many).

    `vector`: the words of everything a visitor would search by, weighted (A name, B place and areas
    with their everyday names, C kind, services and partners in both languages, D descriptions), in
    the search's own text configuration (Dutch stems, accents removed). `name` and `names` (the name;
    the short fields: name, places, Dutch labels, partners): unaccented, lower case, each word
    between single spaces, for parts of compound words and beginnings of words.

    The words of `names` (the function registry_words, migration search_words) are under a GIN index: a part
    of a word is looked up among the words of every record (NameWord, a few thousand), and the
    records are those whose words overlap the words found (`names__words__overlap`), an exact index
    lookup instead of a substring scan of every record's `names`. An index on the expression rather
    than a stored column keeps the rows as narrow as they were: a word that matches a third of the
    register reads every page of the table that holds a match (measured: registry/search.py).
    """

    initiative = models.OneToOneField(Initiative, on_delete=models.CASCADE, primary_key=True,
                                      related_name="searched", verbose_name=_("initiative"))
    vector = SearchVectorField(_("search words"))
    name = models.TextField(_("name as searched"))
    names = models.TextField(_("short fields as searched"))
    # The name as written: what orders records that rank the same (InitiativeQuerySet.best_first), so
    # that the order needs nothing of the initiatives' table.
    sort_name = models.TextField(_("name, for the order"))

    class Meta:
        indexes = [GinIndex(fields=["vector"], name="search_vector"),
                   GinIndex(Func(F("names"), function="registry_words", output_field=ArrayField(models.TextField())),
                            name="search_words"),
                   # The best tier of registry.search (every word in the name), read alone by this index.
                   GinIndex(Func(F("name"), function="registry_words", output_field=ArrayField(models.TextField())),
                            name="search_name_words"),
                   # The places' stems alone (the vector's weight B): which records have a word in their
                   # places, answered by the index without reading each row's vector for its weights
                   # (registry.search.Search.above_labelled).
                   GinIndex(Func(F("vector"), function="registry_places", output_field=SearchVectorField()),
                            name="search_places")]
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")

    def __str__(self) -> str:
        return f"#{self.initiative_id}"


InitiativeSearch._meta.get_field("names").register_lookup(Words)
InitiativeSearch._meta.get_field("name").register_lookup(Words)


class SearchWord(models.Model):
    """A word the search knows (from the short fields of any document, and the vocabularies' English
    labels): what a misspelt word is compared with (pg_trgm), for "did you mean" and for typos.
    Added to by registry.documents.prepare; a word whose records went away stays, harmlessly (a
    correction is only offered when it finds something)."""

    word = models.TextField(_("word"), primary_key=True)

    class Meta:
        indexes = [GinIndex(OpClass("word", name="gin_trgm_ops"), name="search_word_trigrams")]
        verbose_name = _("search word")
        verbose_name_plural = _("search words")

    def __str__(self) -> str:
        return self.word


class NameWord(models.Model):
    """A word of the short fields (InitiativeSearch.names) of any record, drafts too, of three letters
    or more: where a part of a word is looked up ("winkel": dorpswinkel, buurtwinkel, winkels …)
    before the records that have those words are (the index search_words). Added to by
    registry.documents.prepare with every record it prepares; a word whose records went away stays,
    harmlessly (it finds nothing). Never shown: the words offered to visitors are SearchWord's."""

    word = models.TextField(_("word"), primary_key=True)

    class Meta:
        indexes = [GinIndex(OpClass("word", name="gin_trgm_ops"), name="name_word_trigrams")]
        verbose_name = _("word of a record")
        verbose_name_plural = _("words of records")

    def __str__(self) -> str:
        return self.word
