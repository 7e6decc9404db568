"""Benchmark of the open-data exports: time and peak memory of each format at 10,000 and 100,000
initiatives, and the CSV against PostgreSQL's COPY of the same columns.

    make bench                                        # all benchmarks
    DEBUG=true python -m tests.benchmarks.opendata    # this one alone

On the benchmark's own database (``registry_bench``, BENCH_COUNT demo initiatives, 100,000 by
default, shared with the other benchmarks), every measurement runs in a fresh child process, so
that its peak memory (the child's maximum resident set size, from the kernel) belongs to that
export alone: each format written to a file, and the live CSV and GeoJSON downloads read to the
end through Django's request handling (the streamed answer a visitor gets). The sizes are the
first N published initiatives (by id) of the register, selected with the same kind of filter a
download takes. Medians of BENCH_OPENDATA_REPEAT runs (default 3). Report: .bench/opendata-report.md.
"""

from __future__ import annotations

import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from config.env import envint
from tests.benchmarks.api import code_version, machine_facts
from tests.benchmarks.common import (
    BENCH_DIR,
    DEFAULT_COUNT,
    PROJECT_DIR,
    BenchmarkError,
    check,
    ensure_register,
    prepare_schema_and_areas,
    publish_report,
    use_bench_database,
)

REPORT_FILE = BENCH_DIR / "opendata-report.md"
SIZES = (10_000, 100_000)
FILE_FORMATS = ["initiatives.csv", "partnerships.csv", "initiatives.geojson", "initiatives.jsonld",
                "initiatives.gpkg", "initiatives.xlsx", "copy.csv"]
DOWNLOADS = ["initiatives.csv", "initiatives.geojson"]
MEMORY_TARGET_MB = 200


def own_peak_mb() -> float:
    """This process's peak resident memory: the high-water mark of its own address space (VmHWM).
    Not wait4's ru_maxrss in the parent: a child that subprocess starts by vfork and exec carries
    the parent's peak there (a 300 MB parent made a 14 MB child report 313 MB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise BenchmarkError("/proc/self/status has no VmHWM line")


def worker(task: str, name: str, selection: str, target: str) -> None:
    """In the child: one export; prints its time and size as JSON. A file export takes the published
    initiatives with id <= `selection`; a download takes `selection` as its query string."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from opendata import formats
    from registry.columns import INITIATIVE_COLUMNS, values_query
    from registry.models import Initiative

    # Apart, so that the report tells what the export adds from what any process of the app holds.
    loaded_mb = own_peak_mb()
    started = time.perf_counter()
    size = 0
    if task == "download":  # the live, streamed answer, read to the end and dropped
        response = Client(HTTP_HOST="127.0.0.1").get(f"/opendata/{name}?{selection}")
        check(response.status_code == 200, f"/opendata/{name} answered {response.status_code}")
        for chunk in response.streaming_content:
            size += len(chunk)
        print(json.dumps({"seconds": time.perf_counter() - started, "bytes": size, "peak_mb": own_peak_mb(),
                          "loaded_mb": loaded_mb}))
        return
    initiatives = Initiative.objects.published().filter(pk__lte=int(selection))
    if name == "copy.csv":  # the baseline: PostgreSQL writes the same columns as CSV itself
        sql, params = values_query(initiatives, INITIATIVE_COLUMNS, ["pk"]).query.sql_with_params()
        with connection.cursor() as cursor, Path(target).open("wb") as stream:
            statement = cursor.mogrify(sql, params)
            with cursor.cursor.copy(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
                for block in copy:
                    stream.write(block)
        size = Path(target).stat().st_size
    else:
        path = Path(target)
        if name == "initiatives.gpkg":
            formats.write_geopackage(initiatives, path)
        elif name == "initiatives.xlsx":
            formats.write_xlsx(initiatives, path, "https://example.org", "2026-01-01T00:00:00Z")
        else:
            with path.open("w", encoding="utf-8", newline="") as stream:
                stream.writelines(formats.text_streams(initiatives, "https://example.org")[name]())
        size = path.stat().st_size
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "bytes": size, "peak_mb": own_peak_mb(), "loaded_mb": loaded_mb}))


def peak_rss_mb(task: str, name: str, selection: str, folder: Path) -> tuple[dict[str, Any], float]:
    """One export in a child process; its result and its own peak memory (own_peak_mb)."""
    target = folder / f"{task}-{name}"
    process = subprocess.Popen([sys.executable, "-m", "tests.benchmarks.opendata", "--worker", task, name,
                                selection, str(target)], cwd=PROJECT_DIR, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=os.environ.copy())
    out, err = process.communicate()  # both pipes read while it runs: a full one would block it
    stdout, stderr = out.decode(), err.decode()
    check(process.returncode == 0, f"{task} {name} failed:\n{stderr[-3000:]}")
    target.unlink(missing_ok=True)
    result = json.loads(stdout.strip().splitlines()[-1])
    return result, float(result.pop("peak_mb"))


def main() -> None:
    count = envint("BENCH_COUNT", DEFAULT_COUNT)
    repeat = envint("BENCH_OPENDATA_REPEAT", 3)
    use_bench_database()
    database = prepare_schema_and_areas()
    ensure_register(count)
    from registry.models import Initiative

    published = Initiative.objects.published()
    published_ids = list(published.order_by("pk").values_list("pk", flat=True))
    # The files: the first 10,000 published initiatives, and all of them (the register of 100,000
    # holds about 90% published ones). The downloads: the province nearest 10,000, and everything.
    sizes = sorted({min(size, len(published_ids)) for size in SIZES})
    by_province = {row["province__code"]: row["count"] for row in published.counts_by("province__code")}
    province = min(by_province, key=lambda code: abs(by_province[code] - SIZES[0]))
    downloads = {by_province[province]: f"province={province}", len(published_ids): ""}
    results: dict[tuple[str, str, int], dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        jobs = [("file", name, size, str(published_ids[size - 1])) for size in sizes for name in FILE_FORMATS]
        jobs += [("download", name, size, query) for size, query in downloads.items() for name in DOWNLOADS]
        for task, name, size, selection in jobs:
            runs = [peak_rss_mb(task, name, selection, folder) for _ in range(repeat)]
            results[(task, name, size)] = {"seconds": statistics.median(run["seconds"] for run, _peak in runs),
                                           "peak_mb": max(peak for _run, peak in runs), "bytes": runs[0][0]["bytes"],
                                           "loaded_mb": max(run["loaded_mb"] for run, _peak in runs),
                                           "selection": selection}
            print(f"{size:>7,} {task:8} {name:20} {results[(task, name, size)]}")
    write_report(database, count, sizes, sorted(downloads), results, repeat)


def write_report(database: str, count: int, sizes: list[int], download_sizes: list[int],
                 results: dict[tuple[str, str, int], dict[str, Any]], repeat: int) -> None:
    def row(label: str, task: str, name: str, columns: list[int]) -> str:
        cells = []
        for size in columns:
            result = results[(task, name, size)]
            cells.append(f"{result['seconds']:.2f} s | {result['peak_mb']:.0f} MB | {result['bytes'] / 1e6:.1f} MB")
        return f"| {label} | " + " | ".join(cells) + " |"

    def header(columns: list[int]) -> list[str]:
        return ["| | " + " | ".join(f"{size:,}: time | peak memory | size" for size in columns) + " |",
                "|---|" + "---:|---:|---:|" * len(columns)]

    lines = [
        "# Open-data export benchmark", "",
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC · {code_version()} · database `{database}` "
        f"with {count:,} initiatives · medians of {repeat} runs, each in a fresh process", "",
        *machine_facts(), "",
        "Peak memory: the child process's own peak resident set size (VmHWM), including Python, Django "
        f"and the libraries it loads ({min(r['loaded_mb'] for r in results.values()):.0f}–"
        f"{max(r['loaded_mb'] for r in results.values()):.0f} MB before the first record). GDAL's ogr2ogr, "
        "which writes the GeoPackage, runs as a process of its own and is not included.", "",
        "## Files (what export_opendata writes), first N published initiatives", "",
        *header(sizes),
    ]
    for name in FILE_FORMATS:
        label = "COPY (SELECT the same columns) TO STDOUT, CSV: baseline" if name == "copy.csv" else name
        lines.append(row(label, "file", name, sizes))
    province = results[("download", "initiatives.csv", download_sizes[0])]["selection"]
    lines += ["", "## Live downloads, streamed through Django and read to the end", "",
              f"The smaller selection is one province (`{province}`), the larger everything published.", "",
              *header(download_sizes)]
    for name in DOWNLOADS:
        lines.append(row(name, "download", name, download_sizes))
    lines.append("")
    for size in sizes:
        ours, copy = results[("file", "initiatives.csv", size)], results[("file", "copy.csv", size)]
        lines.append(f"- CSV at {size:,}: {ours['seconds']:.2f} s against COPY's {copy['seconds']:.2f} s: "
                     f"**{ours['seconds'] / copy['seconds']:.1f}×**.")
    small, large = (results[("download", "initiatives.csv", size)]["peak_mb"] for size in download_sizes)
    lines.append(f"- Streamed CSV download, peak memory: {small:.0f} MB at {download_sizes[0]:,} records, "
                 f"{large:.0f} MB at {download_sizes[-1]:,} (target: not growing with the records, well under "
                 f"{MEMORY_TARGET_MB} MB: {'met' if large < MEMORY_TARGET_MB and large - small < 20 else 'NOT met'}).")
    text = "\n".join(lines) + "\n"
    publish_report(REPORT_FILE, text)


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--worker":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        worker(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
    else:
        main()
