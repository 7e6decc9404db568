"""Loading the shipped reference data (geo/data/) into the database, in one transaction."""

from __future__ import annotations

import csv
import datetime
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point, Polygon
from django.db import transaction

from geo.models import Municipality, Place, Postcode, Province, ReferenceDataset
from geo.signals import areas_reloaded

DATA_DIR = Path(__file__).resolve().parent / "data"
MUNICIPALITIES_FILE = DATA_DIR / "gemeenten_2024_cbs_pdok.geojson"
PROVINCE_TABLE_FILE = DATA_DIR / "gemeenten_provincies_cbs_2023.csv"
POSTCODES_FILE = DATA_DIR / "pc4_centroids_geonames.csv"
PLACES_FILE = DATA_DIR / "plaatsen_geonames_met_gemeente2024.csv"
DATASET_NAME = "areas"
# Part of the checksum: a change in how the files are read reloads them too.
LOADER_VERSION = "3"


class ReferenceDataError(Exception):
    """A shipped data file is not what the loader expects; the message names file and record."""


@dataclass
class LoadResult:
    skipped: bool
    provinces: int = 0
    municipalities: int = 0
    ended_municipalities: int = 0
    postcodes: int = 0
    places: int = 0

    def summary(self) -> str:
        if self.skipped:
            return "Reference areas are already loaded and unchanged (use --force to reload)."
        return (f"Loaded {self.provinces} provinces, {self.municipalities} municipalities "
                f"({self.ended_municipalities} ended), {self.postcodes} postcode areas, {self.places} places.")


def files_checksum(paths: list[Path]) -> str:
    digest = hashlib.sha256(LOADER_VERSION.encode())
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def as_multipolygon(geometry: GEOSGeometry) -> MultiPolygon:
    if isinstance(geometry, Polygon):
        return MultiPolygon(geometry, srid=geometry.srid)
    if isinstance(geometry, MultiPolygon):
        return geometry
    raise ReferenceDataError(f"expected a (multi)polygon, got {geometry.geom_type}")


def read_province_table(path: Path) -> dict[str, tuple[str, str]]:
    """Municipality code (GM…) -> (province code PV…, province name)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {row["GemeentecodeGM"]: (row["ProvinciecodePV"], row["Provincienaam"])
                for row in csv.DictReader(handle)}


def read_municipalities(path: Path) -> tuple[datetime.date, list[tuple[str, str, MultiPolygon]]]:
    collection = json.loads(path.read_text(encoding="utf-8"))
    municipalities = []
    years = set()
    for number, feature in enumerate(collection["features"], start=1):
        properties = feature.get("properties") or {}
        code, name = properties.get("statcode"), properties.get("statnaam")
        if not code or not name or not feature.get("geometry"):
            raise ReferenceDataError(f"{path.name}: feature {number} lacks statcode, statnaam or geometry")
        geometry = as_multipolygon(GEOSGeometry(json.dumps(feature["geometry"]), srid=4326))
        if not geometry.valid:
            raise ReferenceDataError(f"{path.name}: the boundary of {code} {name} is not valid: "
                                     f"{geometry.valid_reason}")
        years.add(str(properties.get("jrstatcode", ""))[:4])
        municipalities.append((code, name, geometry))
    if len(years) != 1 or not next(iter(years)).isdigit():
        raise ReferenceDataError(f"{path.name}: expected one year in jrstatcode, found {sorted(years)}")
    return datetime.date(int(years.pop()), 1, 1), municipalities


def read_postcodes(path: Path) -> list[Postcode]:
    """One point per PC4. GeoNames lists some PC4s under several places, sometimes in another
    province (2324 under both Leiden and Amersfoort); averaging them lands nowhere. Dutch
    postcodes run by region, so the candidate nearest to the PC4s with the same first three
    (or two) digits and only one place is taken."""
    candidates: dict[str, list[tuple[str, Point]]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            if row["pip_match"].startswith("rejected"):
                continue  # more than 1 km outside every municipality: a bad GeoNames coordinate
            candidates[row["pc4"]].append((row["plaats"], point_of(row, path, reader.line_num)))

    settled = {pc4: rows[0][1] for pc4, rows in candidates.items() if len(rows) == 1}

    def neighbourhood_centre(pc4: str) -> tuple[float, float] | None:
        for digits in (3, 2, 1):
            near = [point for other, point in settled.items() if other[:digits] == pc4[:digits]]
            if near:
                return fmean(p.x for p in near), fmean(p.y for p in near)
        return None

    postcodes = []
    for pc4, rows in sorted(candidates.items()):
        place, point = rows[0]
        centre = neighbourhood_centre(pc4) if len(rows) > 1 else None
        if centre is not None:
            place, point = min(rows, key=lambda row: (row[1].x - centre[0]) ** 2 + (row[1].y - centre[1]) ** 2)
        postcodes.append(Postcode(pc4=pc4, place=place, location=point))
    return postcodes


def read_places(path: Path, municipalities: dict[str, Municipality]) -> list[Place]:
    result = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            municipality = municipalities.get(row["gm_code_2024"])
            if municipality is None:
                continue  # rejected by the point-in-polygon check: outside the Netherlands
            result.append(Place(
                geonameid=whole_number(row, "geonameid", path, reader.line_num), name=row["name"],
                population=whole_number(row, "population", path, reader.line_num, default=0),
                location=point_of(row, path, reader.line_num), municipality=municipality,
            ))
    return result


def whole_number(row: dict[str, str], column: str, path: Path, line: int, default: int | None = None) -> int:
    value = row.get(column) or ""
    if value == "" and default is not None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ReferenceDataError(f"{path.name} line {line}: {column} {value!r} is not a whole number") from None


def point_of(row: dict[str, str], path: Path, line: int) -> Point:
    try:
        lon, lat = float(row["longitude"]), float(row["latitude"])
    except (KeyError, TypeError, ValueError):
        raise ReferenceDataError(f"{path.name} line {line}: longitude/latitude "
                                 f"{row.get('longitude')!r}, {row.get('latitude')!r} are not numbers") from None
    return Point(lon, lat, srid=4326)


def load_reference_data(force: bool = False) -> LoadResult:
    files = [MUNICIPALITIES_FILE, PROVINCE_TABLE_FILE, POSTCODES_FILE, PLACES_FILE]
    checksum = files_checksum(files)
    loaded = ReferenceDataset.objects.filter(name=DATASET_NAME).first()
    if loaded and loaded.sha256 == checksum and not force:
        return LoadResult(skipped=True)

    province_table = read_province_table(PROVINCE_TABLE_FILE)
    valid_from, municipalities = read_municipalities(MUNICIPALITIES_FILE)
    unknown = [code for code, _name, _geometry in municipalities if code not in province_table]
    if unknown:
        raise ReferenceDataError(f"{PROVINCE_TABLE_FILE.name} has no province for {', '.join(unknown)}")

    by_province: dict[str, list[MultiPolygon]] = defaultdict(list)
    for code, _name, geometry in municipalities:
        by_province[province_table[code][0]].append(geometry)
    province_names = dict(province_table.values())

    result = LoadResult(skipped=False)
    with transaction.atomic():
        provinces = {}
        for code, parts in sorted(by_province.items()):
            union = as_multipolygon(MultiPolygon([p for part in parts for p in part], srid=4326).unary_union)
            provinces[code], _created = Province.objects.update_or_create(
                code=code, defaults={"name": province_names[code], "geometry": union})
        result.provinces = len(provinces)

        current = {m.code: m for m in Municipality.objects.current()}
        loaded_codes = set()
        for code, name, geometry in municipalities:
            province = provinces[province_table[code][0]]
            municipality = current.get(code) or Municipality(code=code, valid_from=valid_from)
            municipality.name, municipality.province, municipality.geometry = name, province, geometry
            municipality.save()
            loaded_codes.add(code)
        ended = [m.pk for code, m in current.items() if code not in loaded_codes]
        result.ended_municipalities = Municipality.objects.filter(pk__in=ended).update(
            valid_to=valid_from - datetime.timedelta(days=1))
        result.municipalities = len(loaded_codes)

        Postcode.objects.all().delete()
        result.postcodes = len(Postcode.objects.bulk_create(read_postcodes(POSTCODES_FILE)))
        Place.objects.all().delete()
        by_code = {m.code: m for m in Municipality.objects.current()}
        result.places = len(Place.objects.bulk_create(read_places(PLACES_FILE, by_code), batch_size=2000))

        ReferenceDataset.objects.update_or_create(name=DATASET_NAME, defaults={"sha256": checksum})
        areas_reloaded.send(sender=Municipality)
    return result
