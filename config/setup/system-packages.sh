#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the project needs, but only those that are missing.
# As root (or with password-less sudo) it runs apt-get itself; otherwise it stops and prints
# the exact command to run, so that a newcomer is never left guessing.
set -euo pipefail

missing=()
lists_fresh=false

refresh_package_lists() {
  # Without fresh lists apt-cache cannot tell which PostgreSQL version the distribution ships.
  if ! $lists_fresh && [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && lists_fresh=true
  fi
}

has_library() {
  # ldconfig lives in /sbin, which is not on an ordinary user's PATH on Debian.
  /sbin/ldconfig -p 2>/dev/null | grep -q "$1" || python3 - "$1" <<'PY'
import ctypes.util, sys
sys.exit(0 if ctypes.util.find_library(sys.argv[1].removeprefix("lib").split(".")[0]) else 1)
PY
}

# PostgreSQL 15 or newer with PostGIS, unless DATABASE_URL points at a database elsewhere.
if [ -z "${DATABASE_URL:-}" ]; then
  pg_version=""
  for bin in /usr/lib/postgresql/*/bin/initdb; do
    [ -x "$bin" ] || continue
    v=$(basename "$(dirname "$(dirname "$bin")")")
    if [ "$v" -ge 15 ] 2>/dev/null && { [ -z "$pg_version" ] || [ "$v" -gt "$pg_version" ]; }; then
      pg_version=$v
    fi
  done
  if [ -z "$pg_version" ]; then
    missing+=(postgresql postgresql-contrib)
    refresh_package_lists
    # The distribution's default server version, as apt would install it.
    pg_version=$(apt-cache depends postgresql 2>/dev/null | sed -n 's/.*Depends: postgresql-\([0-9][0-9]*\)$/\1/p' | head -n1)
    if [ -z "$pg_version" ]; then
      echo "Cannot tell which PostgreSQL version this distribution ships; run 'sudo apt-get update' and try again." >&2
      exit 1
    fi
    if [ "$pg_version" -lt 15 ]; then
      echo "This distribution ships PostgreSQL $pg_version; the project needs 15 or newer (Debian 12+, Ubuntu 24.04+)," >&2
      echo "or set DATABASE_URL to a PostgreSQL 15+ database with PostGIS 3." >&2
      exit 1
    fi
  fi
  command -v pg_ctlcluster >/dev/null || missing+=(postgresql-common)
  [ -f "/usr/share/postgresql/$pg_version/extension/postgis.control" ] || missing+=("postgresql-$pg_version-postgis-3")
fi
command -v psql >/dev/null || missing+=(postgresql-client)

# GDAL/GEOS/PROJ libraries for GeoDjango, and GDAL's command-line readers (ogrinfo) for the exports.
command -v ogrinfo >/dev/null || missing+=(gdal-bin)
has_library 'libgeos_c.so' || missing+=(gdal-bin)
has_library 'libproj.so' || missing+=(gdal-bin)

command -v msgfmt >/dev/null || missing+=(gettext)                  # compiled translations
{ command -v node >/dev/null && command -v npm >/dev/null; } || missing+=(nodejs npm)  # static JS from npm
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
command -v make >/dev/null || missing+=(make)
command -v wrk >/dev/null || missing+=(wrk)                        # HTTP load for make bench
command -v chromium >/dev/null || missing+=(chromium)              # browser tests (Playwright drives it)
command -v redis-server >/dev/null || missing+=(redis-server)      # tests of the shared cache (REDIS_URL)
# The annual monitor's PDF (WeasyPrint): Pango lays out its text, with a font fontconfig finds;
# pdftotext reads the PDF back in the tests.
has_library 'libpango-1.0.so' || missing+=(libpango-1.0-0)
has_library 'libpangoft2-1.0.so' || missing+=(libpangoft2-1.0-0)
{ command -v fc-list >/dev/null && [ -n "$(fc-list 2>/dev/null | head -n1)" ]; } || missing+=(fontconfig fonts-dejavu-core)
command -v pdftotext >/dev/null || missing+=(poppler-utils)
# PDOK's GeoPackage validator (make test) reads the files through GDAL's Python bindings of the
# system's GDAL, in a virtual environment of the system's Python that sees them.
/usr/bin/python3 -c 'import osgeo.ogr' 2>/dev/null || missing+=(python3-gdal)
/usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
# Deduplicate, keeping the order.
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')
cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
$lists_fresh && cmd="DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"

if [ "$(id -u)" -eq 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  sh -c "$cmd"
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  echo "Installing system packages with sudo: ${missing[*]}"
  sudo sh -c "$cmd"
else
  echo "Missing system packages: ${missing[*]}" >&2
  echo "Run this once as an administrator, then run make again:" >&2
  echo "  sudo sh -c '$cmd'" >&2
  exit 1
fi
