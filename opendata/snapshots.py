"""Dated snapshots of every format (`OPENDATA_ROOT/YYYY-MM-DD/`), with SHA-256 checksums and a
manifest. A snapshot is written in a hidden folder next to the others and renamed into place only
when every file is complete, so an interrupted export never leaves a broken snapshot and never
harms an earlier one. One export writes into a folder at a time (a lock on the folder), so the
next export knows that the hidden folders it finds were left by a killed one, and clears them."""

from __future__ import annotations

import datetime
import fcntl
import gzip
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet

from opendata import formats
from opendata.package import data_package
from registry.models import Initiative
from registry.monitor import NETHERLANDS, TABLE_COLUMNS, Monitor, compute, years_with_figures

SNAPSHOT_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A snapshot moved aside while its replacement (of the same day) is renamed into place.
REPLACED_NAME = re.compile(r"^\.(\d{4}-\d{2}-\d{2})-replaced-\d+$")


class ExportRunning(Exception):
    """Another export is writing into the same folder."""


@dataclass(frozen=True)
class Distribution:
    file: str
    media_type: str
    title_nl: str
    title_en: str
    dcat_format: str  # EU file-type authority code


MONITOR_TITLES = {"figures": ("kerncijfers", "key figures"), "survival": ("overleving", "survival"),
                  "stop-reasons": ("stopredenen", "stop reasons"),
                  "coverage": ("voorzieningen per gemeente", "services per municipality"),
                  "volunteers": ("vrijwilligers", "volunteers"), "income": ("inkomsten", "income")}
assert list(MONITOR_TITLES) == list(TABLE_COLUMNS), "a title for every table of the monitor"

DISTRIBUTIONS = [
    Distribution("initiatives.csv", "text/csv", "Initiatieven (CSV)", "Initiatives (CSV)", "CSV"),
    Distribution("partnerships.csv", "text/csv", "Partnerschappen (CSV)", "Partnerships (CSV)", "CSV"),
    Distribution("initiatives.geojson", "application/geo+json", "Initiatieven (GeoJSON)", "Initiatives (GeoJSON)",
                 "GEOJSON"),
    Distribution("initiatives.gpkg", "application/geopackage+sqlite3", "Initiatieven (GeoPackage)",
                 "Initiatives (GeoPackage)", "GPKG"),
    Distribution("initiatives.jsonld", "application/ld+json", "Initiatieven (JSON-LD, schema.org)",
                 "Initiatives (JSON-LD, schema.org)", "JSON_LD"),
    Distribution("initiatives.xlsx", formats.XLSX_MEDIA_TYPE, "Initiatieven en partnerschappen (Excel)",
                 "Initiatives and partnerships (Excel)", "XLSX"),
    # The national annual monitor's tables, every year with yearly figures (registry.monitor).
    *[Distribution(formats.monitor_file(table), "text/csv", f"Jaarmonitor: {nl} (CSV)", f"Annual monitor: {en} (CSV)",
                   "CSV") for table, (nl, en) in MONITOR_TITLES.items()],
    Distribution("datapackage.json", "application/json", "Data Package (Frictionless)",
                 "Data Package (Frictionless)", "JSON"),
]
BY_FILE = {distribution.file: distribution for distribution in DISTRIBUTIONS}


def write_text(path: Path, chunks: Iterable[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        stream.writelines(chunks)


def is_text(name: str) -> bool:
    """Text formats are kept compressed too, for clients that accept gzip (a sixth of the bytes)."""
    media_type = BY_FILE[name].media_type
    return media_type.startswith("text/") or media_type.endswith("json")


def write_compressed(path: Path) -> None:
    """`<file>.gz` beside the file: the same bytes, sent with Content-Encoding: gzip (so the
    checksums of the manifest hold for what the client ends up with)."""
    with path.open("rb") as source, gzip.GzipFile(path.with_name(path.name + ".gz"), "wb", mtime=0) as target:
        shutil.copyfileobj(source, target, 1 << 20)


def sha256(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def text_writer(stream: Callable[[], Iterable[str]]) -> Callable[[Path], object]:
    return lambda path: write_text(path, stream())


def national_monitors(version: str) -> list[Monitor]:
    """The country's monitor of every year with yearly figures, computed from the snapshot's view of
    the register (not the kept ones: those follow the site's version, this the snapshot's transaction)."""
    return [compute(year, NETHERLANDS, version) for year in years_with_figures()]


def writers(initiatives: QuerySet[Initiative], created: str) -> dict[str, Callable[[Path], object]]:
    site = settings.SITE_URL
    streams = formats.text_streams(initiatives, site)
    monitor = formats.monitor_streams(lambda: national_monitors(created))
    monitor_paths = {table: formats.monitor_file(table) for table in TABLE_COLUMNS}
    return {
        "initiatives.csv": lambda path: write_text(path, streams["initiatives.csv"]()),
        "partnerships.csv": lambda path: write_text(path, streams["partnerships.csv"]()),
        "initiatives.geojson": lambda path: write_text(path, streams["initiatives.geojson"]()),
        "initiatives.gpkg": lambda path: formats.write_geopackage(initiatives, path),
        "initiatives.jsonld": lambda path: write_text(path, streams["initiatives.jsonld"]()),
        "initiatives.xlsx": lambda path: formats.write_xlsx(initiatives, path, site, created),
        **{name: text_writer(stream) for name, stream in monitor.items()},
        "datapackage.json": lambda path: path.write_text(json.dumps(data_package(
            {"initiatives": "initiatives.csv", "partnerships": "partnerships.csv"}, site, created,
            monitor=monitor_paths), ensure_ascii=False, indent=2), encoding="utf-8"),
    }


def now_stamp() -> str:
    """This moment as the files say when they were made: UTC, to the second (2026-11-22T08:00:00Z)."""
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def export_snapshot(root: Path, day: datetime.date, *, fail_after: str | None = None) -> Path:
    """Write every format of the published register into `root/<day>` (replacing a snapshot of the
    same day) and return its folder. `fail_after` (tests) raises after writing that file."""
    root.mkdir(parents=True, exist_ok=True)
    with only_export(root):
        remove_leftovers(root)
        return _export(root, day, fail_after)


def _export(root: Path, day: datetime.date, fail_after: str | None) -> Path:
    work = Path(tempfile.mkdtemp(prefix=f".{day.isoformat()}-", dir=root))
    try:
        created = now_stamp()
        # One consistent view of the register for every file (the partnerships match the initiatives);
        # inside a caller's transaction (tests) that transaction's view is used.
        fresh_transaction = not connection.in_atomic_block
        with transaction.atomic():
            if fresh_transaction:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            initiatives = Initiative.objects.published()
            count = initiatives.count()
            files = []
            for name, write in writers(initiatives, created).items():
                write(work / name)
                files.append({"name": name, "mediaType": BY_FILE[name].media_type,
                              "bytes": (work / name).stat().st_size, "sha256": sha256(work / name)})
                if is_text(name):
                    write_compressed(work / name)
                if fail_after == name:
                    raise RuntimeError(f"stopped after {name}, as asked")
        manifest = {"date": day.isoformat(), "created": created, "initiatives": count,
                    "licence": settings.OPENDATA_LICENSE_URL, "files": files}
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        (work / "SHA256SUMS").write_text("".join(f"{f['sha256']}  {f['name']}\n" for f in files), encoding="utf-8")
        work.chmod(0o755)
        return move_into_place(work, root / day.isoformat())
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def move_into_place(work: Path, target: Path) -> Path:
    if target.exists():  # a second export on one day replaces the first, never half of it
        retired = target.with_name(f".{target.name}-replaced-{time.time_ns()}")
        target.rename(retired)
        work.rename(target)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        work.rename(target)
    return target


@contextmanager
def only_export(root: Path) -> Iterator[None]:
    """Be the only export that writes into `root`, or raise ExportRunning. The lock is flock() on
    the folder itself: it adds no file, and the kernel releases it when the process ends in any
    way, killed too, so a killed export never blocks the next one."""
    descriptor = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ExportRunning(f"{root}: another export is writing into this folder.") from None
        yield
    finally:
        os.close(descriptor)  # releases the lock


def remove_leftovers(root: Path) -> None:
    """Clear what killed exports left behind; called under `only_export`, so no hidden folder
    belongs to a running export. Work folders go. A snapshot that was moved aside for its
    replacement comes back when the replacement never arrived (killed between the two renames)."""
    for folder in sorted(root.glob(".*")):
        if not folder.is_dir():
            continue
        replaced = REPLACED_NAME.match(folder.name)
        if replaced and not (root / replaced.group(1)).exists():
            folder.rename(root / replaced.group(1))
        else:
            shutil.rmtree(folder, ignore_errors=True)


def snapshots(root: Path) -> list[dict[str, Any]]:
    """The manifests of the complete snapshots, newest first."""
    found = []
    if root.is_dir():
        for folder in sorted(root.iterdir(), reverse=True):
            manifest = folder / "manifest.json"
            if SNAPSHOT_NAME.match(folder.name) and manifest.is_file():
                found.append(json.loads(manifest.read_text(encoding="utf-8")))
    return found


def snapshot_exists(root: Path, day: datetime.date) -> bool:
    """Whether the day has a complete snapshot (its folder is renamed into place only when complete)."""
    return (root / day.isoformat() / "manifest.json").is_file()


def prune_snapshots(root: Path, *, keep_days: int, today: datetime.date) -> list[str]:
    """Remove the complete snapshots older than `keep_days` days before `today`, never the newest
    one; returns the names removed. Under the export lock, so no export is renamed meanwhile."""
    if not root.is_dir() or keep_days < 1:
        return []
    oldest_kept = today - datetime.timedelta(days=keep_days - 1)
    with only_export(root):
        names = sorted(folder.name for folder in root.iterdir()
                       if folder.is_dir() and SNAPSHOT_NAME.match(folder.name))
        removed = [name for name in names[:-1] if datetime.date.fromisoformat(name) < oldest_kept]
        for name in removed:
            # Renamed aside first: a reader never sees a half-removed snapshot under its date.
            retired = root / f".{name}-removed-{time.time_ns()}"
            (root / name).rename(retired)
            shutil.rmtree(retired, ignore_errors=True)
    return removed
