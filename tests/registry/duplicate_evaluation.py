"""A labelled evaluation set for the duplicate search (registry/duplicates.py), made with a fixed seed.

Realistic Dutch records of residents' initiatives in 40 places, each record labelled with the
initiative it describes. Some initiatives were entered twice or three times, the way registers fill
with doubles: in capitals, with or without a legal form ("Stichting", "St.", "Coöperatie ... U.A."),
with a remark in brackets, without accents, with the place added, with a typo, with 't for Het, at
another address or only at the centre of the postcode area (kilometres off), with the website, e-mail
address or phone number written differently, or renamed but with the same KvK number. Beside them
stand hard look-alikes that are *other* initiatives: neighbours of one name ("... Noord", "... II"),
another kind of place of one name ("Dorpshuis" / "Dorpswinkel Het Klokhuis", at times of one
cooperative with one KvK number), another initiative of the same kind next door, a name shared with
an initiative in another town, umbrella organisations' e-mail addresses, phone numbers and websites
shared by several initiatives.

Two records are a true pair when they describe the same initiative; `evaluate` runs the whole search
(duplicates.find_all) on a register holding only this set and counts the pairs it proposes. Used by
tests/registry/test_duplicate_evaluation.py (a floor) and tests/benchmarks/duplicates.py (the report).
"""

from __future__ import annotations

import math
import random
import unicodedata
from dataclasses import dataclass, field

SEED = 16

# (place, longitude, latitude, phone area code)
PLACES = [
    ("Amsterdam", 4.900, 52.373, "020"), ("Rotterdam", 4.479, 51.922, "010"), ("Utrecht", 5.121, 52.091, "030"),
    ("Leiden", 4.497, 52.160, "071"), ("Zwolle", 6.094, 52.516, "038"), ("Groningen", 6.567, 53.219, "050"),
    ("Eindhoven", 5.478, 51.441, "040"), ("Nijmegen", 5.853, 51.842, "024"), ("Arnhem", 5.911, 51.985, "026"),
    ("Maastricht", 5.690, 50.851, "043"), ("Tilburg", 5.087, 51.560, "013"), ("Breda", 4.776, 51.589, "076"),
    ("Den Haag", 4.300, 52.078, "070"), ("Haarlem", 4.636, 52.381, "023"), ("Leeuwarden", 5.799, 53.201, "058"),
    ("Assen", 6.563, 52.993, "0592"), ("Deventer", 6.163, 52.255, "0570"), ("Enschede", 6.893, 52.221, "053"),
    ("Apeldoorn", 5.969, 52.211, "055"), ("Amersfoort", 5.387, 52.156, "033"), ("Delft", 4.357, 52.011, "015"),
    ("Gouda", 4.708, 52.012, "0182"), ("Middelburg", 3.614, 51.499, "0118"), ("Den Bosch", 5.304, 51.690, "073"),
    ("Venlo", 6.172, 51.370, "077"), ("Heerlen", 5.981, 50.888, "045"), ("Alkmaar", 4.749, 52.632, "072"),
    ("Hoorn", 5.059, 52.643, "0229"), ("Lelystad", 5.471, 52.518, "0320"), ("Emmen", 6.906, 52.785, "0591"),
    ("Winterswijk", 6.720, 51.972, "0543"), ("Sneek", 5.659, 53.032, "0515"), ("Dokkum", 5.998, 53.326, "0519"),
    ("Harderwijk", 5.620, 52.342, "0341"), ("Roermond", 5.988, 51.194, "0475"), ("Terneuzen", 3.828, 51.336, "0115"),
    ("Hoogeveen", 6.476, 52.723, "0528"), ("Meppel", 6.194, 52.696, "0522"), ("Veendam", 6.879, 53.107, "0598"),
    ("Oosterwolde", 6.291, 52.990, "0516"),
]

# What the initiative is, as the first word of its name.
KIND_WORDS = [
    "Dorpshuis", "Buurthuis", "Wijkcentrum", "Dorpswinkel", "Buurtwinkel", "Buurtkamer", "Huiskamer",
    "Wijkrestaurant", "Buurtmoestuin", "Pluktuin", "Repair Café", "Energiecoöperatie", "Zorgcoöperatie",
    "Buurtbus", "Dorpsbelang", "Wijkatelier", "Voedselbank", "Speeltuin", "Zorgboerderij", "Bewonersbedrijf",
    "Buurtcoöperatie", "Ontmoetingsplek", "Stadsboerderij", "Kookcafé",
]
# Kind words that name the same kind of place, for renamed doubles.
SYNONYMS = {"Dorpshuis": "Multifunctioneel Centrum", "Buurthuis": "Wijkcentrum", "Wijkcentrum": "Buurthuis",
            "Dorpswinkel": "Dorpssuper", "Buurtwinkel": "Buurtsuper", "Huiskamer": "Buurtkamer",
            "Buurtkamer": "Huiskamer"}
# Kind words of another kind of place, for look-alikes of one name.
OTHER_KIND = {"Dorpshuis": "Dorpswinkel", "Dorpswinkel": "Dorpshuis", "Buurthuis": "Buurtwinkel",
              "Buurtwinkel": "Buurthuis", "Buurtkamer": "Buurtmoestuin", "Wijkcentrum": "Wijkrestaurant",
              "Wijkrestaurant": "Wijkcentrum", "Buurtmoestuin": "Buurtkamer", "Huiskamer": "Kookcafé",
              "Kookcafé": "Huiskamer", "Speeltuin": "Buurtmoestuin", "Zorgboerderij": "Zorgcoöperatie",
              "Zorgcoöperatie": "Zorgboerderij", "Pluktuin": "Dorpswinkel"}
PROPER_NAMES = [
    "De Kapstok", "De Zwaluw", "De Horst", "Het Klokhuis", "'t Anker", "De Linde", "De Eik", "De Brink",
    "De Schakel", "Het Trefpunt", "De Ontmoeting", "De Kern", "Het Baken", "De Wieken", "De Meerpaal",
    "De Boomgaard", "Het Hofje", "De Vonk", "De Bron", "De Molen", "De Vlinder", "De Es", "De Hoeksteen",
    "Het Podium", "De Regenboog", "De Pelikaan", "De Kastanje", "Het Veld", "De Zonnebloem", "De Toekomst",
    "Het Spoor", "De Werf", "De Haven", "Het Kompas", "De Lantaarn", "'t Gasthuis", "De Klimop", "Het Wapen",
    "De Hoorn", "De Hazelaar", "De Populier", "Het Kruispunt", "De Dorpsput", "De Notenboom", "'t Hoekje",
    "De Witte Raaf", "De Groene Long", "Samen Sterk", "Smakelijk Eten", "Ons Dorp", "Het Gilde", "De Wilg",
]
QUARTERS = ["Noord", "Zuid", "Oost", "West", "Centrum", "II", "2", "Noordoost", "Zuidwest"]
LEGAL_PREFIXES = ["Stichting ", "St. ", "Stg. ", "Vereniging ", "Coöperatie "]
LEGAL_SUFFIXES = [" U.A.", " i.o.", " B.V.", " (in oprichting)"]
REMARKS = [" (vrijwilligers)", " (locatie {place})", " [oud]", " (voorheen buurtvereniging)", " (hoofdlocatie)",
           " (geen post)", " - vrijwilligersorganisatie"]


@dataclass
class EvalRecord:
    entity: int          # the initiative it describes: two records of one entity are a true pair
    role: str            # how it came about (base, double:<how>, lookalike:<how>), for reading failures
    name: str
    lon: float
    lat: float
    place: str
    postcode_only: bool = False
    kvk: str = ""
    website: str = ""
    email: str = ""
    phone: str = ""


@dataclass
class Result:
    precision: float
    recall: float
    records: int
    true_pairs: int
    proposed: int
    found: int
    missed: list[tuple[EvalRecord, EvalRecord]] = field(default_factory=list)
    wrong: list[tuple[EvalRecord, EvalRecord, float, str]] = field(default_factory=list)


def moved(lon: float, lat: float, rng: random.Random, low_m: float, high_m: float) -> tuple[float, float]:
    """A point low_m–high_m from (lon, lat) in a random direction."""
    distance, angle = rng.uniform(low_m, high_m), rng.uniform(0, 2 * math.pi)
    return (lon + distance * math.sin(angle) / (111_320 * math.cos(math.radians(lat))),
            lat + distance * math.cos(angle) / 110_540)


def plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def domain_of(name: str, place: str) -> str:
    words = plain(f"{name} {place}").lower().replace("'t", "t").replace("'", "")
    return "".join(c for c in words if c.isalnum())[:40] + ".nl"


class Generator:
    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.records: list[EvalRecord] = []
        self.entities = 0
        self.kvk_used: set[str] = set()
        self.names_used: set[tuple[str, str]] = set()

    # -- pieces ----------------------------------------------------------------------------------------

    def kvk(self) -> str:
        while True:
            number = f"{self.rng.randint(10_000_000, 99_999_999)}"
            if number not in self.kvk_used:
                self.kvk_used.add(number)
                return number

    def phone(self, area: str) -> str:
        if self.rng.random() < 0.3:
            return f"06-{self.rng.randint(10_000_000, 99_999_999)}"
        rest = f"{self.rng.randint(0, 10 ** (10 - len(area)) - 1):0{10 - len(area)}d}"
        return f"{area} {rest[:3]} {rest[3:]}" if len(rest) > 6 else f"{area} {rest}"

    def new_entity(self) -> int:
        self.entities += 1
        return self.entities

    def base(self, role: str = "base", *, name: str | None = None, place: tuple[str, float, float, str] | None = None,
             near: tuple[float, float] | None = None) -> EvalRecord:
        """A new initiative with a name not yet used in its place."""
        rng = self.rng
        where = place or rng.choice(PLACES)
        while name is None or (name, where[0]) in self.names_used:
            style = rng.random()
            kind = rng.choice(KIND_WORDS)
            if style < 0.65:
                name = f"{kind} {rng.choice(PROPER_NAMES)}"
            elif style < 0.85:
                name = f"{kind} {where[0]}"
            else:
                name = f"{kind} {rng.choice(PROPER_NAMES)} {where[0]}"
            if (name, where[0]) in self.names_used:
                name = None
        self.names_used.add((name, where[0]))
        lon, lat = near if near is not None else moved(where[1], where[2], rng, 0, 3500)
        domain = domain_of(name, where[0])
        record = EvalRecord(
            self.new_entity(), role, name, lon, lat, where[0],
            kvk=self.kvk() if rng.random() < 0.7 else "",
            website=f"https://www.{domain}" if rng.random() < 0.55 else "",
            phone=self.phone(where[3]) if rng.random() < 0.45 else "",
        )
        if rng.random() < 0.5:
            record.email = f"info@{domain}" if record.website else f"{domain.removesuffix('.nl')[:20]}@gmail.com"
        self.records.append(record)
        return record

    # -- doubles ---------------------------------------------------------------------------------------

    def renamed(self, name: str, place: str) -> tuple[str, str]:
        """The name as someone else typed it, and how."""
        rng = self.rng
        how = rng.choice(["caps", "legal", "legal", "remark", "remark", "accents", "quotes", "place", "typo",
                          "article", "legal+remark", "lower", "suffix", "caps+place"])
        result = name
        if "caps" in how:
            result = result.upper()
        if how == "lower":
            result = result.lower()
        if "legal" in how:
            result = rng.choice(LEGAL_PREFIXES) + result
        if "remark" in how:
            result += rng.choice(REMARKS).format(place=place)
        if how == "suffix":
            result += rng.choice(LEGAL_SUFFIXES)
        if how == "accents":
            result = plain(result) if plain(result) != result else result.replace("Cafe", "Café")
            if result == name:
                result = f"{result} "  # typed with a space too many
        if how == "quotes":
            if "'t " in result:
                result = result.replace("'t ", "Het ")
            elif " De " in result:
                result = result.replace(" De ", " De '", 1) + "'"
            else:
                result = f"“{result}”"
        if "place" in how and place.lower() not in result.lower():
            result += rng.choice([" ", " - ", " te "]) + (place.upper() if "caps" in how else place)
        if how == "typo":
            words = result.split()
            index = max(range(len(words)), key=lambda i: len(words[i]))
            word = words[index]
            position = rng.randrange(1, len(word) - 2)
            words[index] = rng.choice([word[:position] + word[position + 1] + word[position] + word[position + 2:],
                                       word[:position] + word[position + 1:],
                                       word[:position] + word[position] + word[position:]])
            result = " ".join(words)
        if how == "article":
            stripped = result.replace(" De ", " ", 1).replace(" Het ", " ", 1)
            result = stripped if stripped != result else result.replace(" ", " De ", 1)
        return result, how

    def double(self, of: EvalRecord) -> EvalRecord:
        rng = self.rng
        place = next(p for p in PLACES if p[0] == of.place)
        name, how = self.renamed(of.name, of.place)
        where = rng.random()
        postcode_only = False
        if where < 0.5:
            lon, lat = moved(of.lon, of.lat, rng, 0, 250)            # another geocoding of one address
        elif where < 0.7:
            lon, lat = moved(of.lon, of.lat, rng, 250, 1800)         # the secretary's address
        else:
            lon, lat = moved(of.lon, of.lat, rng, 300, 4000)         # only the postcode area's centre
            postcode_only = True
        record = EvalRecord(of.entity, f"double:{how}", name, lon, lat, of.place, postcode_only)
        if of.kvk and rng.random() < 0.6:
            record.kvk = of.kvk
        if of.website and rng.random() < 0.6:
            record.website = rng.choice([of.website, of.website.replace("https://www.", "http://"),
                                         of.website + "/contact", of.website.replace("https://www.", "https://")])
        if of.email and rng.random() < 0.6:
            record.email = rng.choice([of.email, of.email.upper(), of.email.capitalize()])
        if of.phone and rng.random() < 0.6:
            digits = of.phone.replace(" ", "").replace("-", "")
            record.phone = rng.choice([of.phone, digits, f"+31 {digits[1:]}", f"0031 (0){digits[1:]}"])
        elif rng.random() < 0.3:
            record.phone = self.phone(place[3])  # someone's own number
        self.records.append(record)
        return record

    def renamed_with_kvk(self, of: EvalRecord) -> EvalRecord | None:
        """Renamed (a new kind word or a new name), recognisable by its KvK number or website."""
        first = next((word for word in SYNONYMS if of.name.startswith(word)), None)
        if first is None or not (of.kvk or of.website):
            return None
        record = EvalRecord(of.entity, "double:renamed", of.name.replace(first, SYNONYMS[first], 1),
                            *moved(of.lon, of.lat, self.rng, 0, 400), of.place, kvk=of.kvk, website=of.website)
        self.records.append(record)
        return record

    def far_with_kvk(self, of: EvalRecord) -> EvalRecord | None:
        """Entered with the address of a board member in another town, the same KvK number."""
        if not of.kvk:
            return None
        record = EvalRecord(of.entity, "double:far", self.renamed(of.name, of.place)[0],
                            *moved(of.lon, of.lat, self.rng, 6000, 25_000), of.place, kvk=of.kvk)
        self.records.append(record)
        return record

    # -- look-alikes -----------------------------------------------------------------------------------

    def neighbour(self, of: EvalRecord) -> EvalRecord:
        """Another initiative of the same name in the next quarter; at times under one umbrella's website."""
        rng = self.rng
        quarter = rng.choice(QUARTERS)
        name = f"{of.name} {quarter}" if rng.random() < 0.7 else f"{of.name}-{quarter}"
        place = next(p for p in PLACES if p[0] == of.place)
        record = self.base("lookalike:neighbour", name=name, place=place,
                           near=moved(of.lon, of.lat, rng, 150, 1500))
        if of.website and rng.random() < 0.4:
            record.website = of.website
        return record

    def other_kind(self, of: EvalRecord) -> EvalRecord | None:
        """A place of another kind with the same proper name in the same village; at times run by one
        cooperative with one KvK number and e-mail address."""
        first = next((word for word in OTHER_KIND if of.name.startswith(word + " ")), None)
        if first is None:
            return None
        place = next(p for p in PLACES if p[0] == of.place)
        record = self.base("lookalike:other-kind", name=of.name.replace(first, OTHER_KIND[first], 1), place=place,
                           near=moved(of.lon, of.lat, self.rng, 0, 300))
        if of.kvk and self.rng.random() < 0.3:
            record.kvk = of.kvk
        if of.email and self.rng.random() < 0.3:
            record.email = of.email
        return record

    def next_door(self, of: EvalRecord) -> EvalRecord:
        """Another initiative of the same kind close by, with another (at times a similar) proper name."""
        kind = next((word for word in KIND_WORDS if of.name.startswith(word + " ")), of.name.split()[0])
        place = next(p for p in PLACES if p[0] == of.place)
        return self.base("lookalike:next-door", name=f"{kind} {self.rng.choice(PROPER_NAMES)}", place=place,
                         near=moved(of.lon, of.lat, self.rng, 20, 900))

    def namesake(self, of: EvalRecord) -> EvalRecord:
        """The same name in another town (a Repair Café of one name, a chain's website)."""
        rng = self.rng
        place = rng.choice([p for p in PLACES if p[0] != of.place])
        name = of.name.replace(of.place, place[0])
        record = self.base("lookalike:namesake", name=name, place=place)
        if of.website and rng.random() < 0.3:
            record.website = of.website + f"/{plain(place[0]).lower()}"
        return record

    def umbrella(self, place: tuple[str, float, float, str]) -> list[EvalRecord]:
        """Several initiatives of one town reached through one welfare organisation: the same phone and
        e-mail address, other names, close together."""
        rng = self.rng
        phone, email = self.phone(place[3]), f"info@welzijn{plain(place[0]).lower().replace(' ', '')}.nl"
        centre = moved(place[1], place[2], rng, 0, 1500)
        group = [self.base("lookalike:umbrella", place=place, near=moved(*centre, rng, 0, 600))
                 for _index in range(rng.randint(2, 4))]
        for record in group:
            record.kvk = ""
            record.phone, record.email = (phone, email) if rng.random() < 0.8 else (phone, record.email)
        return group


def build(seed: int = SEED) -> list[EvalRecord]:
    """The evaluation set: about 400 records."""
    generator = Generator(seed)
    rng = generator.rng
    bases = [generator.base() for _index in range(170)]
    for record in rng.sample(bases, 80):
        generator.double(record)
        if rng.random() < 0.15:
            generator.double(record)  # and a third time
    for record in rng.sample(bases, 30):
        generator.renamed_with_kvk(record)
    for record in rng.sample(bases, 8):
        generator.far_with_kvk(record)
    for record in rng.sample(bases, 30):
        generator.neighbour(record)
    for record in rng.sample(bases, 40):
        generator.other_kind(record)
    for record in rng.sample(bases, 25):
        generator.next_door(record)
    for record in rng.sample(bases, 15):
        generator.namesake(record)
    for place in rng.sample(PLACES, 6):
        generator.umbrella(place)
    return generator.records


def true_pairs(records: list[EvalRecord]) -> set[tuple[int, int]]:
    """Index pairs (i < j) of records that describe one initiative."""
    by_entity: dict[int, list[int]] = {}
    for index, record in enumerate(records):
        by_entity.setdefault(record.entity, []).append(index)
    return {(a, b) for members in by_entity.values() for i, a in enumerate(members) for b in members[i + 1:]}


def load(records: list[EvalRecord]) -> list[int]:
    """Write the records to the register (as an import would, without the effects of saving); returns
    their ids in order."""
    from django.contrib.gis.geos import Point
    from django.utils.text import slugify

    from registry.models import Initiative, Kind
    from registry.models.choices import LocationPrecision

    kind = Kind.objects.get(code="bewonersinitiatief")
    created = Initiative.objects.bulk_create([
        Initiative(name=record.name.strip(), slug=f"{slugify(record.name)[:180]}-eval-{index}", kind=kind,
                   place=record.place, location=Point(record.lon, record.lat, srid=4326),
                   location_precision=LocationPrecision.POSTCODE if record.postcode_only else LocationPrecision.EXACT,
                   kvk_number=record.kvk, website=record.website, email=record.email, phone=record.phone)
        for index, record in enumerate(records)])
    return [initiative.pk for initiative in created]


def evaluate(records: list[EvalRecord] | None = None) -> Result:
    """Run the whole search on a register holding only `records` (the caller provides an empty one)
    and compare its proposals with the labels."""
    from registry import duplicates
    from registry.models import DuplicateCandidate

    records = records if records is not None else build()
    ids = load(records)
    index_of = {pk: index for index, pk in enumerate(ids)}
    duplicates.find_all()
    proposed = {(index_of[first], index_of[second]): (score, duplicates.explain(reasons))
                for first, second, score, reasons in DuplicateCandidate.objects.values_list(
                    "first_id", "second_id", "score", "reasons")}
    truth = true_pairs(records)
    hits = {pair for pair in proposed if tuple(sorted(pair)) in truth}
    found = {tuple(sorted(pair)) for pair in hits}
    return Result(
        precision=len(hits) / len(proposed) if proposed else 1.0,
        recall=len(found) / len(truth) if truth else 1.0, records=len(records),
        true_pairs=len(truth), proposed=len(proposed), found=len(found),
        missed=[(records[a], records[b]) for a, b in sorted(truth - found)],
        wrong=[(records[a], records[b], score, why) for (a, b), (score, why) in sorted(proposed.items())
               if tuple(sorted((a, b))) not in truth],
    )
