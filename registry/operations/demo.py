"""Deterministic, realistic demo initiatives for development, demos and benchmarks.

Places, postcodes and municipalities come from the shipped reference tables; more initiatives
land in populous places. The same seed gives the same records, and record i does not depend
on the count, so seeding 100 and later 2,000 extends the first 100 rather than replacing them.
Records are keyed by slug: seeding again creates only what is missing.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate

from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from geo.models import Municipality, Place, Province
from registry import documents
from registry.history import Reasons, write_entries
from registry.models import (
    ConsentOrigin,
    FundingSource,
    Initiative,
    Kind,
    LegalForm,
    LocationPrecision,
    Partner,
    PartnerKind,
    Partnership,
    PartnershipRole,
    Premises,
    PublicationState,
    Service,
    SlugAlias,
    Status,
    StopReason,
    VerificationMethod,
    YearlyFigures,
    first_free_slug,
)

DEMO_SOURCE = "Demogegevens (seed_demo)"

_NOUNS = ["Linde", "Eik", "Kastanje", "Boomgaard", "Brink", "Schakel", "Verbinding", "Huiskamer",
          "Werkplaats", "Moestuin", "Kiem", "Wieken", "Molen", "Haven", "Zonnebloem", "Kring", "Bron",
          "Horizon", "Vlinder", "Wilg", "Es", "Meander", "Akker", "Stek"]
_QUARTERS = ["Noord", "Zuid", "Oost", "West", "Centrum", "Binnenstad", "Oude Dorp"]
_STREETS = ["Dorpsstraat", "Kerkstraat", "Schoolstraat", "Molenweg", "Hoofdstraat", "Raadhuisplein",
            "Marktplein", "Stationsweg", "Julianastraat", "Wilhelminastraat", "Beatrixlaan", "Kerkplein",
            "Brink", "Nieuwstraat", "Sportlaan", "Lindelaan", "Parkweg", "Burgemeester de Vriesstraat",
            "Emmastraat", "Oranjestraat", "Voorstraat", "Achterweg", "Veldweg", "Havenstraat"]

# kind code: (weight, name templates, likely services, legal forms)
_KINDS: dict[str, tuple[int, list[str], list[str], list[str]]] = {
    "bewonersinitiatief": (34, ["Buurtkamer {place}", "Repair Café {place}", "Buurtmoestuin De {noun}",
                                "Bewonersinitiatief {quarter}", "Ontmoetingsplek De {noun}",
                                "Speeltuinvereniging {place}"],
                           ["ontmoetingsplek", "gemeenschapstuin", "wijkatelier", "overig", "energie"],
                           ["informeel", "stichting", "vereniging"]),
    "bewonersbedrijf": (20, ["Bewonersbedrijf {quarter}", "Dorpswinkel {place}", "Buurthuis De {noun}",
                             "Dorpshuis {place}", "Buurtbedrijf De {noun}"],
                        ["winkel", "dorpshuis-buurthuis", "ontmoetingsplek", "leerwerkplekken",
                         "wijkrestaurant"],
                        ["stichting", "cooperatie", "bv"]),
    "dorpscooperatie": (12, ["Dorpscoöperatie {place}", "Coöperatie {place} Vitaal", "Dorpsbelang {place}"],
                        ["winkel", "dorpshuis-buurthuis", "vervoer", "zorg-welzijn", "energie", "wonen"],
                        ["cooperatie", "vereniging"]),
    "zorgcooperatie": (10, ["Zorgcoöperatie {place}", "Zorg om {place}", "Thuis in {place}"],
                       ["zorg-welzijn", "dagbesteding", "mantelzorgondersteuning", "ontmoetingsplek", "vervoer"],
                       ["cooperatie", "vereniging"]),
    "buurtcooperatie": (10, ["Buurtcoöperatie {quarter}", "Energiecoöperatie {place}",
                             "Buurtcoöperatie De {noun}"],
                        ["energie", "sociaal-loket", "ontmoetingsplek", "wonen"],
                        ["cooperatie"]),
    "wijkonderneming": (14, ["Wijkonderneming {quarter}", "Wijkbedrijf {quarter}", "Wijkrestaurant De {noun}"],
                        ["wijkrestaurant", "leerwerkplekken", "sociaal-loket", "stadslandbouw", "wijkatelier",
                         "dagbesteding"],
                        ["stichting", "bv"]),
}

_NATIONAL_PARTNERS = [
    ("KNHM Foundation", "vermogensfonds"), ("VSBfonds", "vermogensfonds"), ("Oranje Fonds", "vermogensfonds"),
    ("Fonds 1818", "vermogensfonds"), ("Stichting DOEN", "vermogensfonds"),
    ("LSA bewoners", "landelijk-netwerk"), ("Kern met Pit", "landelijk-netwerk"),
]


@dataclass
class DemoRecord:
    initiative: Initiative
    services: list[str]
    funding: list[str]
    partners: list[tuple[str, str, str]] = field(default_factory=list)  # (partner key, role, start)
    place_point: Point | None = None


class DemoGenerator:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        places = list(Place.objects.select_related("municipality__province").order_by("geonameid"))
        if not places:
            raise RuntimeError("No places loaded: run `manage.py load_areas` first.")
        self.places = places
        # Bigger places get more initiatives, but villages are not drowned out (shrinking regions).
        self.cumulative = list(accumulate(max(p.population, 150) ** 0.7 for p in places))
        self.nearest_pc4 = nearest_postcodes()
        self.kinds = {k.code: k for k in Kind.objects.all()}
        kind_codes = [code for code in _KINDS if code in self.kinds]
        self.kind_codes, self.kind_weights = kind_codes, [_KINDS[c][0] for c in kind_codes]
        self.today = timezone.localdate()

    def records(self, count: int) -> list[DemoRecord]:
        rng = random.Random(self.seed)
        used_names: set[str] = set()
        used_slugs: set[str] = set()
        return [self._record(rng, used_names, used_slugs) for _ in range(count)]

    def _record(self, rng: random.Random, used_names: set[str], used_slugs: set[str]) -> DemoRecord:
        place = rng.choices(self.places, cum_weights=self.cumulative)[0]
        kind_code = rng.choices(self.kind_codes, weights=self.kind_weights)[0]
        _weight, templates, service_pool, legal_forms = _KINDS[kind_code]
        for _attempt in range(4):
            name = rng.choice(templates).format(place=place.name, noun=rng.choice(_NOUNS),
                                                quarter=f"{place.name}-{rng.choice(_QUARTERS)}")
            if name not in used_names:
                break
        used_names.add(name)
        slug = first_free_slug(slugify(name)[:200] or "initiatief", used_slugs)
        used_slugs.add(slug)

        founded = min(self.today.year, 1975 + int(rng.betavariate(3, 1.3) * 51))
        status, stopped_on, stop_reason = Status.ACTIVE, None, ""
        roll = rng.random()
        if roll < 0.10:
            status = Status.STOPPED
            founded_on = datetime.date(founded, 1, 1).toordinal()
            stopped_on = datetime.date.fromordinal(rng.randint(founded_on, self.today.toordinal()))
            stop_reason = rng.choices(list(StopReason), weights=[40, 35, 10, 15])[0]
        elif roll < 0.15:
            status = Status.PAUSED
        verify_roll = rng.random()
        if verify_roll < 0.70:
            verified = self.today - datetime.timedelta(days=rng.randint(0, 364))
        elif verify_roll < 0.85:
            verified = self.today - datetime.timedelta(days=rng.randint(366, 3 * 365))
        else:
            verified = None
        legal_form = rng.choice(legal_forms)
        pc4 = self.nearest_pc4.get(place.pk, "")
        letters = rng.choice("ABCEGHJKLMNPRTVWXZ") + rng.choice("ABCEGHJKLMNPRTVWXZ")
        jitter = Point(place.location.x + rng.uniform(-0.006, 0.006),
                       place.location.y + rng.uniform(-0.004, 0.004), srid=4326)
        has_site = rng.random() < 0.65
        initiative = Initiative(
            name=name, slug=slug, kind=self.kinds[kind_code],
            short_description=f"{self.kinds[kind_code].label_nl} in {place.name}, door en voor bewoners.",
            description=(f"{name} is in {founded} opgericht door bewoners van {place.name}. "
                         "Vrijwilligers en buurtbewoners werken samen aan een levendige, zorgzame buurt."),
            legal_form=legal_form,
            kvk_number="" if legal_form == LegalForm.INFORMEEL else f"{rng.randint(10_000_000, 99_999_999)}",
            founded_year=founded, status=status, stopped_on=stopped_on, stop_reason=stop_reason,
            street=rng.choice(_STREETS), house_number=str(rng.randint(1, 180)),
            postcode=f"{pc4} {letters}" if pc4 else "", place=place.name,
            location=jitter, location_precision=LocationPrecision.EXACT,
            website=f"https://www.{slug}.example" if has_site else "",
            email=f"info@{slug}.example" if has_site and rng.random() < 0.8 else "",
            volunteers=rng.randint(3, 120), paid_staff=rng.choice([0, 0, 0, 1, 2, 3, 5, 8, 12]),
            reach_per_week=rng.randint(10, 500),
            publication_state=rng.choices(list(PublicationState), weights=[7, 90, 3])[0],
            source=DEMO_SOURCE,
            last_verified_on=verified,
            verification_method=rng.choice(list(VerificationMethod)) if verified else "",
        )
        services = rng.sample(service_pool, k=rng.randint(1, min(4, len(service_pool))))
        funding = rng.sample(["subsidie", "opdrachten", "vermogensfondsen", "crowdfunding", "lening",
                              "eigen-inkomsten", "contributie", "donaties", "partnerschap"], k=rng.randint(1, 3))
        record = DemoRecord(initiative, services, funding, place_point=place.location)
        start = str(rng.randint(founded, self.today.year))
        municipality = place.municipality
        if rng.random() < 0.7:
            record.partners.append((f"gemeente:{municipality.code}", rng.choice(["financier", "opdrachtgever"]),
                                    start))
        if rng.random() < 0.4:
            fund = rng.choice([n for n, k in _NATIONAL_PARTNERS if k == "vermogensfonds"])
            record.partners.append((f"national:{fund}", rng.choice(["financier", "lening"]), start))
        if rng.random() < 0.3:
            record.partners.append((f"welzijn:{municipality.code}", rng.choice(["samenwerking", "begeleiding"]),
                                    start))
        if rng.random() < 0.2:
            record.partners.append((f"wonen:{municipality.province.code}", "accommodatie", start))
        if rng.random() < 0.15:
            network = rng.choice([n for n, k in _NATIONAL_PARTNERS if k == "landelijk-netwerk"])
            record.partners.append((f"national:{network}", "begeleiding", start))
        return record


def nearest_postcodes() -> dict[int, str]:
    """Place id -> the PC4 whose point is nearest (PostGIS KNN), for realistic addresses."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT place.id, nearest.pc4
              FROM geo_place AS place
             CROSS JOIN LATERAL (SELECT pc4 FROM geo_postcode
                                 ORDER BY location <-> place.location LIMIT 1) AS nearest
        """)
        return dict(cursor.fetchall())


class DemoPartners:
    """The partners demo records refer to, created on first use and found again by slug."""

    def __init__(self) -> None:
        self.kinds = {k.code: k for k in PartnerKind.objects.all()}
        self.by_key: dict[str, Partner] = {}

    def get(self, key: str) -> Partner:
        if key not in self.by_key:
            self.by_key[key] = self._make(key)
        return self.by_key[key]

    def _make(self, key: str) -> Partner:
        family, _sep, value = key.partition(":")
        municipality = None
        if family == "gemeente":
            municipality = Municipality.objects.current().get(code=value)
            name, kind = f"Gemeente {municipality.name}", "gemeente"
        elif family == "welzijn":
            name, kind = f"Welzijn {Municipality.objects.current().get(code=value).name}", "welzijnsorganisatie"
        elif family == "wonen":
            name, kind = f"Woonstichting {Province.objects.get(code=value)}", "woningcorporatie"
        else:
            name, kind = value, dict(_NATIONAL_PARTNERS)[value]
        partner, _created = Partner.objects.get_or_create(
            slug=slugify(name), defaults={"name": name, "kind": self.kinds[kind], "municipality": municipality})
        return partner


class RegisterNotEmpty(RuntimeError):
    pass


@dataclass
class SeedResult:
    created: int
    present: int
    skipped: int = 0
    figures: int = 0  # yearly figures made for the new records

    def summary(self) -> str:
        text = f"Created {self.created} demo initiatives ({self.present} were already present)."
        if self.skipped:
            text += f" Skipped {self.skipped} whose address (slug) a real record uses."
        return text


@transaction.atomic
def seed_demo(count: int, seed: int = 1, *, force: bool = False) -> SeedResult:
    """Create the first `count` demo records of `seed` that are missing.

    Refuses a register that holds real records (demo data would be published beside them)
    unless `force`; a demo record whose slug a real record or an old slug already uses is left out.
    """
    if not force and Initiative.objects.exclude(source=DEMO_SOURCE).exists():
        raise RegisterNotEmpty("The register holds records that are not demo data; "
                               "use --force to add demo records anyway.")
    records = DemoGenerator(seed).records(count)
    slugs = [r.initiative.slug for r in records]
    present = set(Initiative.objects.filter(slug__in=slugs, source=DEMO_SOURCE).values_list("slug", flat=True))
    taken = (set(Initiative.objects.filter(slug__in=slugs).values_list("slug", flat=True))
             | set(SlugAlias.objects.filter(slug__in=slugs).values_list("slug", flat=True))) - present
    new = [r for r in records if r.initiative.slug not in present | taken]
    if not new:
        return SeedResult(created=0, present=len(present), skipped=len(taken))

    created = Initiative.objects.bulk_create([r.initiative for r in new], batch_size=5000)
    ids = [i.pk for i in created]
    Initiative.objects.filter(pk__in=ids).assign_areas(record_history=False)
    # A jittered point near the coast may fall in the sea: put it back on its place.
    outside = set(Initiative.objects.filter(pk__in=ids, municipality__isnull=True).values_list("pk", flat=True))
    for record in new:
        if record.initiative.pk in outside:
            Initiative.objects.filter(pk=record.initiative.pk).update(location=record.place_point)
    if outside:
        Initiative.objects.filter(pk__in=outside).assign_areas(record_history=False)

    services = {s.code: s.pk for s in Service.objects.all()}
    funding = {f.code: f.pk for f in FundingSource.objects.all()}
    roles = {r.code: r.pk for r in PartnershipRole.objects.all()}
    Initiative.services.through.objects.bulk_create(
        [Initiative.services.through(initiative_id=r.initiative.pk, service_id=services[code])
         for r in new for code in r.services], batch_size=10000)
    Initiative.funding_sources.through.objects.bulk_create(
        [Initiative.funding_sources.through(initiative_id=r.initiative.pk, fundingsource_id=funding[code])
         for r in new for code in r.funding], batch_size=10000)
    partners = DemoPartners()
    partnerships = Partnership.objects.bulk_create(
        [Partnership(initiative_id=r.initiative.pk, partner=partners.get(key), role_id=roles[role], start=start)
         for r in new for key, role, start in r.partners], batch_size=10000)

    # The first history entry of each record, with its links, written after the areas were derived (the
    # effects of saving but the search for duplicates, which a demo register of 100,000 does not need).
    demo = Reasons.DEMO.text()
    figures = demo_figures([r.initiative for r in new], seed)
    documents.prepare(ids)  # after the figures: the API's detail shows those made public
    write_entries(ids, [demo] * len(ids), ["+"] * len(ids), user_id=None, when=timezone.now())
    Partnership.history.bulk_history_create(partnerships, batch_size=5000, default_change_reason=demo)
    return SeedResult(created=len(created), present=len(present), skipped=len(taken), figures=figures)


# -- yearly figures --------------------------------------------------------------------------------------

FIGURES_SHARE = 0.45  # of the demo initiatives that report yearly figures
FIGURES_FROM = 2021
CONSENT_SHARE = 0.85  # of the years whose amounts may be published
# How an initiative pays its way: weights of the income sources (registry.models.INCOME_FIELDS' fields).
_PROFILES: dict[str, dict[str, float]] = {
    "mostly-subsidy": {"income_subsidy": 0.7, "income_funds": 0.15, "income_donations": 0.1, "income_own": 0.05},
    "mixed": {"income_subsidy": 0.3, "income_funds": 0.2, "income_own": 0.25, "income_crowdfunding": 0.05,
              "income_donations": 0.1, "income_membership": 0.1},
    "own-income": {"income_own": 0.65, "income_membership": 0.15, "income_subsidy": 0.1, "income_donations": 0.1},
    "commissions": {"income_commissions": 0.55, "income_subsidy": 0.2, "income_own": 0.15,
                    "income_partnerships": 0.1},
    "loan-financed": {"income_loans": 0.35, "income_own": 0.35, "income_funds": 0.15, "income_crowdfunding": 0.15},
}


def demo_figures(initiatives: list[Initiative], seed: int) -> int:
    """Plausible yearly figures (FIGURES_FROM to this year, within each initiative's lifetime) for a share
    of these saved demo initiatives, with consent for most years: deterministic per record (its slug and
    the seed), marked as demo data in their source, their consent and their history."""
    this_year = timezone.localdate().year
    kinds = dict(Kind.objects.values_list("pk", "code"))
    records: list[YearlyFigures] = []
    for initiative in initiatives:
        rng = random.Random(f"{seed}:{initiative.slug}:figures")
        if rng.random() >= FIGURES_SHARE:
            continue
        first = max(FIGURES_FROM, initiative.founded_year or FIGURES_FROM)
        last = initiative.stopped_on.year if initiative.stopped_on else this_year
        profile = _PROFILES[rng.choice(sorted(_PROFILES))]
        income = rng.lognormvariate(10.5, 1.0)  # median about € 36,000
        cooperative = "cooperatie" in kinds.get(initiative.kind_id, "")
        volunteers = rng.randint(3, 60)
        for year in range(first, last + 1):
            income *= rng.uniform(0.85, 1.2)
            amounts = {name: round(income * weight * rng.uniform(0.7, 1.3)) for name, weight in profile.items()}
            members = rng.randint(50, 900) if cooperative else None
            records.append(YearlyFigures(
                initiative_id=initiative.pk, year=year, **amounts,
                expenses=round(sum(amounts.values()) * rng.uniform(0.85, 1.1)),
                volunteers=max(0, volunteers + rng.randint(-4, 5)),
                paid_staff_fte=Decimal(str(round(rng.choice([0, 0, 0.4, 0.8, 1.6, 3.2]) * income / 40000, 1))),
                people_reached=rng.randint(40, 4000),
                work_places=rng.choice([0, 0, 0, 1, 2, 4, 8]),
                members=members, household_share=(Decimal(str(round(rng.uniform(4, 55), 1))) if members else None),
                premises=rng.choice(Premises.values), public=rng.random() < CONSENT_SHARE,
                consent_origin=ConsentOrigin.DEMO, consent_recorded_at=timezone.now(), source=DEMO_SOURCE))
    YearlyFigures.objects.bulk_create(records, batch_size=5000)
    YearlyFigures.history.bulk_history_create(
        records, batch_size=5000, default_change_reason=Reasons.DEMO.text())
    return len(records)
