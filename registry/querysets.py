"""Queries on initiatives: published, in an area or box, near a point, stale, visible to a user,
with what their public documents show; set-based area assignment."""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.geos import Point
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from geo.expressions import WithinMetres, as_geography
from registry.models.choices import PublicationState, Status

if TYPE_CHECKING:
    from registry.models import Initiative  # noqa: F401  (named in the annotations)
    from registry.roles import Access
    from registry.search import Search

# The order of a search's results (InitiativeQuerySet.best_first): the rank, then the name as the
# search's table keeps it, then the id.
BEST_FIRST = ("-search_rank", "searched__sort_name", "pk")
# How deep a slice of that order is read tier by tier (the API's largest page is 1,000 records).
FIRST_PAGES = 1000
# For a slice of N words together in a label (_labelled_first): the labelled records read, so many
# for each record of the slice that the filters beside the search leave enough;
LABELLED_PER_RECORD = 2
# for a service's label, the register's names walked to find them, so many for each (at least the
# second number);
NAMES_PER_LABELLED, NAMES_WALKED_LEAST = 10, 1000
# and at most so many records that may rank above them, looked up and ranked with them.
LABELLED_ABOVE = 200


class InitiativeQuerySet(models.QuerySet["Initiative"]):
    def published(self) -> InitiativeQuerySet:
        return self.filter(publication_state=PublicationState.PUBLISHED)

    def visible_to(self, access: Access) -> InitiativeQuerySet:
        """The published initiatives, and for a maintainer also every record of their region."""
        if not access.is_maintainer:
            return self.published()
        return self.filter(Q(publication_state=PublicationState.PUBLISHED) | access.region())

    def with_related(self) -> InitiativeQuerySet:
        """With everything an initiative's public document shows, in a fixed number of queries."""
        from registry.models import Partnership  # not at the top: registry.models imports this module

        return self.select_related("kind", "municipality", "province").defer(
            "municipality__geometry", "province__geometry").prefetch_related(
            "services", "funding_sources",
            Prefetch("partnerships", queryset=Partnership.objects.select_related("partner__kind", "role")
                     .order_by("partner__name", "role__order", "start")))

    # The query a search() understood, kept on the queryset (and its clones) so that a slice of its
    # best_first() order can be read tier by tier (__getitem__); None for any other queryset.
    _search: Search | None = None

    def _clone(self) -> Any:
        clone = super()._clone()  # type: ignore[misc]  # django-stubs does not declare it
        clone._search = self._search
        return clone

    def search(self, text: str, *, prefix: bool = False, identifiers: bool = False) -> InitiativeQuerySet:
        """The initiatives a visitor or maintainer means by `text`, with their `search_rank` (higher
        is better; the caller orders by it). Every word must match: in any field by its Dutch stem,
        as part of a compound in the name, places and labels, or by its closest known word when
        the register does not know it (registry.search says how). A text without words matches
        nothing. `prefix`: the last word may be unfinished (suggestions as you type);
        `identifiers`: a slug, KvK number, postcode or external id typed whole matches too (the
        admin)."""
        from registry import search  # not at the top: it reads the models, which import this module

        area = search.postcode_area(text) if identifiers else None
        if area is not None:
            # "1021" is a postcode area to a maintainer, not a number to look for in the texts (nor a
            # KvK number that holds it).
            return self.filter(area).annotate(search_rank=models.Value(0.0, output_field=models.FloatField()))
        understood = search.understand(text, prefix=prefix, using=self.db)
        return self.searched(understood, identifiers=text if identifiers else None)

    def searched(self, understood: Search, *, identifiers: str | None = None) -> InitiativeQuerySet:
        """search() for a query already understood (registry.search.understand)."""
        from registry import search

        nothing = models.Value(0.0, output_field=models.FloatField())
        # WHERE false rather than none(): an SQL text to count or assemble from, as for any other search.
        condition = understood.condition() if not understood.empty else Q(search.NOTHING)
        if identifiers is not None:
            condition |= search.identifier_matches(identifiers)
        found = self.filter(condition).annotate(search_rank=nothing if understood.empty else understood.rank())
        if not understood.empty and identifiers is None:
            found._search = understood
        return found

    def correction(self) -> str | None:
        """"Did you mean": this search's text with its typos corrected, when that finds published
        records (registry.search.correction), from the query the search understood already; None
        for a queryset that is no search."""
        from registry import search

        if self._search is None:
            return None
        return search.correction(self._search, self.model._default_manager.using(self.db).published())

    def best_first(self) -> InitiativeQuerySet:
        """The records a search() found, best match first; records that rank the same by name, then
        by id (the name as the search's table keeps it, so that PostgreSQL can read a tier of the
        rank in that order from an index). A slice of it up to FIRST_PAGES deep is read tier by tier
        (__getitem__)."""
        return self.order_by(*BEST_FIRST)

    def __getitem__(self, k: Any) -> Any:
        """A slice of a search's best_first() order, up to FIRST_PAGES deep: first the records of
        the highest rank the query can give alone (registry.search.Search.best: every word in the
        name, …; read by the index on the name's words and sorted by name), and when they fill the
        slice, that is the slice; then, for words together in a label, the labelled records by name
        and those that may rank above them (_labelled_first); otherwise every match ranked, as for
        any other slice. A word that matches a third of the register sorts only the records with it
        in their name. The same records, in the same order, as ranking every match."""
        understood = self._search
        if (understood is None or not isinstance(k, slice) or k.step is not None or k.stop is None
                or not 0 < k.stop <= FIRST_PAGES or (k.start or 0) < 0 or self._result_cache is not None
                or tuple(self.query.order_by) != BEST_FIRST or not self.query.standard_ordering
                or self.query.is_sliced or self.query.distinct
                or self.query.combinator or self.query.group_by is not None):
            return super().__getitem__(k)
        base = self.all().prefetch_related(None)  # ids only: nothing to prefetch for them
        base._search = None
        found = list(base.filter(understood.best()).order_by(*BEST_FIRST[1:])
                     .values_list("pk", flat=True)[:k.stop])
        page = self.all()
        page._search = None
        if len(found) == k.stop:
            return page.filter(pk__in=found)[k]
        labelled = base._labelled_first(understood, k.stop)
        if labelled is not None:
            return page.filter(pk__in=labelled)[k]
        # Ranking the other matches apart costs more than ranking them all with these (measured:
        # "den haag" 56 ms against 12 ms, the exclusion's test on every row).
        return page[k]

    def _labelled_first(self, understood: Search, stop: int) -> set[int] | None:
        """The records among which are the first `stop` of a search's best_first() order, when the
        query's words are together in a label ("village shop": the 13,593 records with the service
        Village or neighbourhood shop, all of one rank): the first `stop` labelled records by name
        (_labelled_by_name), and those that may rank above them (Search.above_labelled). None when
        these do not decide the slice. Every other record ranks below them: it is neither labelled
        nor has the words written together (rank 3 at most, no place being named), or it is
        labelled, ranks LABELLED_LEAST at most and comes after `stop` labelled records ranked
        LABELLED_LEAST at least."""
        from registry import search

        above = understood.above_labelled()
        if above is None:
            return None
        first = self._labelled_by_name(*understood.labelled_together, LABELLED_PER_RECORD * stop)
        # The name as the search table's sort_name copies it: the order within a tier.
        walked = list(self.filter(pk__in=first).order_by("name", "pk").values_list("pk", flat=True)[:stop])
        if len(walked) < stop:
            return None  # this queryset's first `stop` labelled records may lie beyond those read
        if self.filter(Q(search_rank__lt=search.LABELLED_LEAST), pk__in=walked).exists():
            return None  # a labelled record ranks lower than the labels hold: not one tier
        found = set(walked)
        for condition in above:
            others = list(self.filter(condition).order_by().values_list("pk", flat=True)[:LABELLED_ABOVE + 1])
            if len(others) > LABELLED_ABOVE:
                # Words common in the names ("dorps- of buurtwinkel": thousands with "dorps"): ranking
                # every match costs no more than ranking these.
                return None
            found.update(others)
        return found

    def _labelled_by_name(self, kinds: Sequence[int], services: Sequence[int], count: int) -> list[int]:
        """The first `count` initiatives of the whole register by name, then id, of these kinds or with
        one of these services (the records Search.labelled() selects, in SQL of its own for a plan
        that cannot go astray); fewer when those of services are not all among the register's first
        NAMES_PER_LABELLED * count names. Whatever the queryset's filters, its first labelled records are
        the first of these it holds, if it holds enough of them. A kind's records are read from the
        (kind, name) index; a service's are looked for in a bounded stretch of the name index,
        because a label whose records are named alike sits far into the alphabet (day activities:
        68,562 names before the 20th), and tested by a probe each, so the plan cannot go astray
        (unbounded and joined to the search's condition: 44 s)."""
        initiatives = self.model._meta.db_table
        if not services:
            return list(self.model._base_manager.using(self.db).filter(kind__in=kinds).order_by("name", "pk")
                        .values_list("pk", flat=True)[:count])
        links = self.model.services.through._meta.db_table
        labelled = f"EXISTS (SELECT FROM {links} l WHERE l.initiative_id = w.id AND l.service_id = ANY(%(services)s))"
        # Without kinds, the stretch is read from the name index alone (no row fetched for kind_id).
        columns = "id, name, kind_id" if kinds else "id, name"
        if kinds:
            labelled = f"w.kind_id = ANY(%(kinds)s) OR {labelled}"
        with connections[self.db].cursor() as cursor:
            cursor.execute(f"""
                SELECT w.id
                  FROM (SELECT {columns} FROM {initiatives} ORDER BY name, id LIMIT %(stretch)s) w
                 WHERE {labelled}
                 ORDER BY w.name, w.id
                 LIMIT %(count)s""", {"stretch": max(NAMES_PER_LABELLED * count, NAMES_WALKED_LEAST),
                                      "kinds": list(kinds), "services": list(services), "count": count})
            return [pk for (pk,) in cursor.fetchall()]

    def fingerprint(self) -> tuple[int, datetime.datetime | None]:
        """What an answer made of these initiatives' prepared documents (a page, a tile, a file)
        depends on: how many there are, and when the last of their documents was prepared. Every
        edit of one of them, and every change of anything its documents show, prepares its document
        anew (registry.documents), so the second changes with it; an initiative that joins or leaves
        them changes the first or the second. One indexed aggregate."""
        found = self.order_by().aggregate(count=models.Count("pk"), latest=models.Max("document__prepared_at"))
        return found["count"], found["latest"]

    def in_area(self, code: str) -> InitiativeQuerySet:
        """In a province (PV..) or municipality (GM..), by CBS code."""
        if code.upper().startswith("PV"):
            return self.filter(province__code=code.upper())
        return self.filter(municipality__code=code.upper())

    def in_bbox(self, min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> InitiativeQuerySet:
        from django.contrib.gis.geos import Polygon

        # The boxes overlap (`&&`): for a point, exactly "inside or on the edge", as intersects would
        # say, without intersects' exact test of each row, and the plan reads only the published
        # initiatives' GiST index (a box of 1,000: 5.0 → 1.7 ms for the ids).
        return self.filter(location__bboverlaps=Polygon.from_bbox((min_lon, min_lat, max_lon, max_lat)))

    def near(self, point: Point, metres: float) -> InitiativeQuerySet:
        """Within `metres` of the point, measured on the spheroid (uses the geography index)."""
        return self.filter(WithinMetres(as_geography(models.F("location")), as_geography(point), metres))

    def stale(self, today: datetime.date | None = None) -> InitiativeQuerySet:
        """Running initiatives (not stopped) not verified within STALE_AFTER_MONTHS, or never."""
        cutoff = stale_cutoff(today)
        return self.exclude(status=Status.STOPPED).filter(
            Q(last_verified_on__isnull=True) | Q(last_verified_on__lt=cutoff))

    def fresh(self, today: datetime.date | None = None) -> InitiativeQuerySet:
        """The opposite of stale(): stopped, or verified within STALE_AFTER_MONTHS."""
        return self.filter(Q(status=Status.STOPPED) | Q(last_verified_on__gte=stale_cutoff(today)))

    def counts_by(self, *fields: str) -> list[dict[str, Any]]:
        """How many initiatives per value of `fields` (each row: the fields and `count`)."""
        return list(self.order_by().values(*fields).annotate(count=models.Count("pk", distinct=True))
                    .order_by(*fields))

    def assign_areas(self, *, record_history: bool = True) -> int:
        """Place every initiative in this queryset in its municipality and province, set-based
        (registry.saving.derive_areas), and apply the effects of saving to the records whose areas
        changed (a history entry, waiting suggestions that follow them into their new region).
        Returns the number of records that changed. record_history=False is for a caller that
        writes the records' history itself (bulk creation of demo data)."""
        from registry import saving  # not at the top: registry.models imports this module
        from registry.history import Reasons

        changed = saving.derive_areas(self)
        if record_history:
            reason = Reasons.AREAS_DERIVED.text()
            saving.after_saving([saving.Saved(pk, reason, renamed_or_moved=False) for pk in changed],
                                acting_user=None)
        return len(changed)


def statement(queryset: QuerySet[Any]) -> tuple[str, Sequence[Any]] | None:
    """The SQL (and its parameters) of a queryset, for a statement that builds on it; None when its
    filter can match nothing (such as pk__in=[]), which Django will not compile."""
    try:
        return queryset.query.sql_with_params()
    except EmptyResultSet:
        return None


def among(queryset: QuerySet[Any], ids: Sequence[int]) -> QuerySet[Any]:
    """The queryset's rows whose primary key is one of `ids`, which PostgreSQL gets as one array: as an
    IN list, a page of 1,000 ids is 1,000 parameters, which psycopg and the planner took longer over
    (7 ms) than a box's Features took to write."""
    return queryset.filter(pk__in=RawSQL("SELECT unnest(%s::bigint[])", [list(ids)]))


def stale_cutoff(today: datetime.date | None = None) -> datetime.date:
    """The earliest verification date that still counts as fresh."""
    today = today or timezone.localdate()
    return _months_later(today, -settings.STALE_AFTER_MONTHS)


def stale_since(verified_on: datetime.date) -> datetime.date:
    """The first day on which a record last verified on `verified_on` counts as stale (the first day
    whose stale_cutoff lies after it)."""
    day = _months_later(verified_on, settings.STALE_AFTER_MONTHS)  # its cutoff is at most verified_on
    while stale_cutoff(day) <= verified_on:
        day += datetime.timedelta(days=1)
    return day


def _months_later(day: datetime.date, months: int) -> datetime.date:
    """The same day of the month `months` later (or earlier), or that month's last day."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return datetime.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))
