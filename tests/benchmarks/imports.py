"""Benchmark of the import (registry.importing): N generated rows checked and committed.

    DEBUG=true python -m tests.benchmarks.imports
    BENCH_IMPORT_ROWS=2000 BENCH_REPEAT=1 DEBUG=true python -m tests.benchmarks.imports   # a quick check

The rows are realistic: the demo generator's initiatives (real places, their postcodes, points
near them, kinds, services, funding, legal forms, stopped ones), written as a semicolon-separated
CSV with the template's Dutch headers; two thirds of the rows have coordinates (with a decimal
comma), the others only a postcode. The register holds BENCH_IMPORT_REGISTER demo initiatives
(by default the 100,000 of the other benchmarks, reused), so matching and the search for similar
records have something to search.

Measured, REPEAT times each (median, min, max; per row; database statements per row):

a. reading the file alone (decode, separator, cells, header matching): the floor of any import;
b. check(): the dry run of N new rows;
c. commit() of N new rows (all created; removed again, untimed, before the next run);
d. commit() of the same file again: every row unchanged, nothing written;
e. commit() of the file with every row changed (phone and volunteers): all updated;
f. the baseline for c: a plain bulk insert of the same records (no validation, no history, no
   duplicate search), areas by InitiativeQuerySet.assign_areas;
g. for comparison, the design the import does not use: the first 1,000 new records saved one at
   a time through actions.save_edit, as the admin and the API save (writing only; rolled back).

Its database is ``<name>_bench`` as for the other benchmarks; with REGISTRY_DB_NAME set (and no
DATABASE_URL) it is ``<REGISTRY_DB_NAME>_bench``, so that parallel work trees do not share one.
The report goes to stdout and to .bench/import-report.md.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from config.env import envint
from tests.benchmarks.common import (
    BENCH_DIR,
    DEFAULT_COUNT,
    BenchmarkError,
    Series,
    check,
    ensure_register,
    execute,
    own_database,
    prepare_schema_and_areas,
    publish_report,
    use_bench_database,
)

REPORT_FILE = BENCH_DIR / "import-report.md"
DEFAULT_ROWS = 10_000
DEFAULT_REGISTER = DEFAULT_COUNT  # the same register as the other benchmarks: reused, not reseeded
DEFAULT_REPEAT = 3
ONE_BY_ONE_ROWS = 1000
ROW_SEED = 7  # not the register's seed: other initiatives than those already in it
SOURCE = "Benchmark-import"
HEADER = ["extern_id", "naam", "soort", "voorzieningen", "korte_omschrijving", "rechtsvorm", "kvk", "opgericht",
          "status", "gestopt_op", "reden_stoppen", "straat", "huisnummer", "postcode", "plaats", "breedtegraad",
          "lengtegraad", "website", "email", "financiering", "vrijwilligers", "betaalde_krachten",
          "bereik_per_week", "laatst_gecontroleerd"]


# -- the file -----------------------------------------------------------------------------------


def generate_rows(count: int) -> list[list[str]]:
    """`count` rows from the demo generator, each placed inside the Netherlands, none the same
    initiative as another row or as a record of the register (name and postcode)."""
    from registry.importing.lookups import RecordIndex, areas_for_points, name_key
    from registry.operations.demo import DemoGenerator

    records = DemoGenerator(ROW_SEED).records(count + count // 5 + 10)
    inside = areas_for_points((r.initiative.location.x, r.initiative.location.y) for r in records)
    existing = RecordIndex.load(SOURCE)
    seen: set[tuple[str, str]] = set()
    rows: list[list[str]] = []
    for record in records:
        initiative = record.initiative
        key = (name_key(initiative.name), initiative.postcode)
        if key in seen or existing.find(key[0], ("postcode", key[1])):
            continue
        seen.add(key)
        point = initiative.location
        if inside.get((point.x, point.y)) is None:  # a jittered point in the sea: back on its place
            point = record.place_point
        with_point = len(rows) % 3 != 0 or not initiative.postcode
        rows.append([
            f"B-{len(rows)}", initiative.name, initiative.kind.code, "|".join(record.services),
            initiative.short_description, initiative.legal_form, initiative.kvk_number,
            str(initiative.founded_year or ""), initiative.status,
            initiative.stopped_on.isoformat() if initiative.stopped_on else "", initiative.stop_reason,
            initiative.street, initiative.house_number, initiative.postcode, initiative.place,
            f"{point.y:.6f}".replace(".", ",") if with_point else "",
            f"{point.x:.6f}".replace(".", ",") if with_point else "",
            initiative.website, initiative.email, "|".join(record.funding), str(initiative.volunteers),
            str(initiative.paid_staff), str(initiative.reach_per_week),
            initiative.last_verified_on.isoformat() if initiative.last_verified_on else "",
        ])
        if len(rows) == count:
            return rows
    raise BenchmarkError(f"the generator gave only {len(rows):,} distinct rows")


def to_csv(rows: list[list[str]]) -> bytes:
    stream = io.StringIO()
    writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return stream.getvalue().encode("utf-8")


def changed(rows: list[list[str]]) -> list[list[str]]:
    """The same rows, each with one more volunteer and one more person reached a week."""
    volunteers, reach = HEADER.index("vrijwilligers"), HEADER.index("bereik_per_week")
    result = []
    for row in rows:
        row = list(row)
        row[volunteers], row[reach] = str(int(row[volunteers]) + 1), str(int(row[reach]) + 1)
        result.append(row)
    return result


# -- measuring ----------------------------------------------------------------------------------


@contextmanager
def counting_statements(counter: list[int]) -> Iterator[None]:
    from django.db import connection

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        counter[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield


@dataclass
class Measurement:
    series: Series
    statements: int = 0  # of the last run
    note: str = ""
    rows: int = 0  # when not all N


def remove_imported() -> int:
    """Delete what the import created (and its history), straight in SQL: the ORM's cascade is slow."""
    ids = [row[0] for row in execute("SELECT id FROM registry_initiative WHERE source = %s", [SOURCE])]
    if not ids:
        return 0
    for statement in [
        "DELETE FROM registry_duplicatecandidate WHERE first_id = ANY(%s) OR second_id = ANY(%s)",
        "DELETE FROM registry_initiative_services WHERE initiative_id = ANY(%s)",
        "DELETE FROM registry_initiative_funding_sources WHERE initiative_id = ANY(%s)",
        "DELETE FROM registry_slugalias WHERE initiative_id = ANY(%s)",
        "DELETE FROM registry_initiativedocument WHERE initiative_id = ANY(%s)",
        "DELETE FROM registry_initiativesearch WHERE initiative_id = ANY(%s)",
        "DELETE FROM registry_historicalinitiative_services WHERE initiative_id = ANY(%s)",
        "DELETE FROM registry_historicalinitiative_funding_sources WHERE initiative_id = ANY(%s)",
        "DELETE FROM registry_historicalinitiative WHERE id = ANY(%s)",
        "DELETE FROM registry_initiative WHERE id = ANY(%s)",
    ]:
        execute(statement, [ids] * statement.count("%s"))
    return len(ids)


def bulk_insert(rows: list[list[str]]) -> int:
    """The baseline: the same records inserted with bulk_create, areas assigned set-based, no checks."""
    from django.contrib.gis.geos import Point

    from geo.models import Postcode
    from registry.models import Initiative, Kind

    kinds = {kind.code: kind.pk for kind in Kind.objects.all()}
    postcodes = dict(Postcode.objects.values_list("pc4", "location"))
    column = {name: index for index, name in enumerate(HEADER)}
    records = []
    for row in rows:
        lat, lon = row[column["breedtegraad"]], row[column["lengtegraad"]]
        point = (Point(float(lon.replace(",", ".")), float(lat.replace(",", ".")), srid=4326) if lat
                 else postcodes[row[column["postcode"]][:4]])
        records.append(Initiative(
            name=row[column["naam"]], slug=f"bench-{row[0].lower()}", kind_id=kinds[row[column["soort"]]],
            postcode=row[column["postcode"]], place=row[column["plaats"]], location=point.clone(), source=SOURCE,
            external_id=row[0], status=row[column["status"]],
            stopped_on=row[column["gestopt_op"]] or None, stop_reason=row[column["reden_stoppen"]]))
    created = Initiative.objects.bulk_create(records, batch_size=5000)
    Initiative.objects.filter(source=SOURCE).assign_areas(record_history=False)
    return len(created)


def one_by_one(rows: list[list[str]], user: Any) -> float:
    """Seconds to save these rows as new records one at a time through actions.save_edit (and their
    links through the related managers), as the admin and the API save a record; rolled back."""
    from django.db import transaction

    from registry import actions, importing
    from registry.importing.core import _Import

    options = importing.ImportOptions(source=SOURCE, file_name="benchmark.csv")
    with transaction.atomic():
        report, plans = _Import(to_csv(rows), options, user, None).run()
        check(not report.has_errors and len(plans) == len(rows), "the rows for saving one by one")
        started = time.perf_counter()
        for plan in plans:
            actions.save_edit(plan.instance, None, acting_user=user, reason=plan.reason)
            for name, ids in plan.links.items():
                getattr(plan.instance, name).set(ids)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds


def measure(rows: list[list[str]], repeat: int, user: Any) -> dict[str, Measurement]:
    from django.db import transaction

    from registry import importing
    from registry.importing.columns import layout
    from registry.importing.reading import read

    content, content_changed = to_csv(rows), to_csv(changed(rows))
    options = importing.ImportOptions(source=SOURCE, file_name="benchmark.csv")
    count = len(rows)
    m = {key: Measurement(Series(label)) for key, label in [
        ("read", "a. reading the file (no database)"), ("check", "b. check(): dry run, all new"),
        ("commit", "c. commit(): all created"), ("again", "d. commit() again: all unchanged"),
        ("update", "e. commit() with every row changed: all updated"),
        ("bulk", "f. baseline: bulk_create + assign_areas, no validation"),
    ]}
    sample = rows[:ONE_BY_ONE_ROWS]
    m["one_by_one"] = Measurement(Series(f"g. for comparison: {len(sample):,} new records saved one by one through "
                                         "actions.save_edit, writing only"), rows=len(sample))
    remove_imported()
    execute("VACUUM ANALYZE registry_initiative")
    for run in range(1, repeat + 1):
        table = m["read"].series.time(lambda: read(content, "benchmark.csv"))
        check(len(table.rows) == count and not layout(table.headers, {}).errors, "the file did not read back")

        counter = [0]
        with counting_statements(counter):
            report = m["check"].series.time(lambda: importing.check(content, options, acting_user=user))
        m["check"].statements = counter[0]
        check(report.counts["created"] == count, f"the dry run: {report.counts}, {report.file_errors}, "
              f"{[(r.line, [str(e) for e in r.errors]) for r in report.rows if r.errors][:3]}")
        m["check"].note = f"{sum(1 for r in report.rows if r.warnings):,} rows warned of a similar record"

        counter = [0]
        with counting_statements(counter):
            report = m["commit"].series.time(lambda: importing.commit(content, options, acting_user=user))
        m["commit"].statements = counter[0]
        check(report.committed and report.counts["created"] == count, f"the commit: {report.summary()}")

        counter = [0]
        with counting_statements(counter):
            report = m["again"].series.time(lambda: importing.commit(content, options, acting_user=user))
        m["again"].statements = counter[0]
        check(report.committed and report.counts["unchanged"] == count, f"the re-import: {report.summary()}")

        counter = [0]
        with counting_statements(counter):
            report = m["update"].series.time(lambda: importing.commit(content_changed, options, acting_user=user))
        m["update"].statements = counter[0]
        check(report.committed and report.counts["updated"] == count, f"the update: {report.summary()}")

        check(remove_imported() == count, "not every imported record was removed")
        with transaction.atomic():
            inserted = m["bulk"].series.time(lambda: bulk_insert(rows))
        check(inserted == count, "the bulk insert")
        remove_imported()
        m["one_by_one"].series.seconds.append(one_by_one(sample, user))
        execute("VACUUM ANALYZE registry_initiative")
        print(f"run {run}/{repeat}: " + ", ".join(f"{key} {m[key].series.seconds[-1]:.1f} s" for key in m
                                                  if m[key].series.seconds))
    return m


# -- the report ---------------------------------------------------------------------------------


def report(database: str, count: int, register: int, repeat: int, seeding: float | None,
           m: dict[str, Measurement]) -> str:
    version = execute("SELECT version()")[0][0]

    def row(key: str) -> str:
        series, statements, rows = m[key].series, m[key].statements, m[key].rows or count
        per_row = f"{series.median / rows * 1000:.2f}"
        queries = f"{statements / rows:.3f}" if statements else "—"
        return (f"| {series.label} | {series.median:.2f} | {min(series.seconds):.2f} | {max(series.seconds):.2f} "
                f"| {per_row} | {rows / series.median:,.0f} | {queries} |")

    seeded = f"seeded in {seeding:.0f} s" if seeding is not None else "reused"
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    lines = [
        "# Benchmark: importing initiatives",
        "",
        f"- Date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- N = {count:,} rows (CSV, {len(HEADER)} columns, semicolon-separated; two thirds with coordinates, "
        f"one third with a postcode only); REPEAT = {repeat}",
        f"- Register: {register:,} demo initiatives ({seeded}); database `{database}`",
        f"- Machine: {len(os.sched_getaffinity(0))} CPU cores; load average at the end {load} (shared machine)",
        f"- PostgreSQL: {version}",
        "",
        "| measurement | median (s) | min | max | ms per row | rows/s | statements per row |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *(row(key) for key in m),
        "",
        f"- c/f (commit / plain bulk insert): **{m['commit'].series.median / m['bulk'].series.median:.1f}×**",
        f"- g/c per row (one by one through save_edit / the import's bulk writing, checking included): "
        f"**{(m['one_by_one'].series.median / m['one_by_one'].rows) / (m['commit'].series.median / count):.1f}×**",
        f"- b/a (dry run / reading the file): **{m['check'].series.median / m['read'].series.median:.1f}×**",
        f"- {m['check'].note}.",
        "",
        "b, d and e read the vocabularies, the postcode table, the existing records and the municipality of every "
        "point once for the whole file (one statement each); each row is then validated by the model "
        "(full_clean) in Python. c and e check the same way, then write in bulk what actions.save_edit writes for "
        "one record: the records (bulk_create / bulk_update), their links, one history entry each with user, "
        "reason and links (copied in SQL), and the possible duplicates (one statement). g shows why: the same "
        "records saved one at a time through save_edit (rolled back afterwards). Between runs the imported records "
        "are removed (untimed) and the table vacuumed.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    count = envint("BENCH_IMPORT_ROWS", DEFAULT_ROWS)
    register = envint("BENCH_IMPORT_REGISTER", DEFAULT_REGISTER)
    repeat = envint("BENCH_REPEAT", DEFAULT_REPEAT)
    check(count >= 1 and repeat >= 1 and register >= 0, "BENCH_IMPORT_ROWS and BENCH_REPEAT must be at least 1")
    own_database()
    use_bench_database()
    database = prepare_schema_and_areas()
    from django.contrib.auth import get_user_model

    remove_imported()
    seeding = ensure_register(register) if register else None
    user, _created = get_user_model().objects.get_or_create(
        username="benchmark-import", defaults={"is_superuser": True, "is_staff": True})
    print(f"Generating {count:,} rows ...")
    started = time.perf_counter()
    rows = generate_rows(count)
    print(f"... in {time.perf_counter() - started:.1f} s")
    measurements = measure(rows, repeat, user)
    text = report(database, count, register, repeat, seeding, measurements)
    publish_report(REPORT_FILE, text)


if __name__ == "__main__":
    try:
        main()
    except BenchmarkError as error:
        sys.exit(f"Benchmark stopped: {error}")
