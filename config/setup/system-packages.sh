#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the project needs, but only those that are missing.
# As root (or with password-less sudo) it runs apt-get itself; otherwise it stops and prints
# the exact command to run, so that a newcomer is never left guessing.
set -euo pipefail

missing=()

# PostgreSQL 15 or newer: use the newest server already installed, else the distribution's default.
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
  # The distribution's default server version, as apt would install it.
  pg_version=$(apt-cache depends postgresql 2>/dev/null | sed -n 's/.*Depends: postgresql-\([0-9][0-9]*\)$/\1/p' | head -n1)
  pg_version=${pg_version:-15}
fi
command -v pg_ctlcluster >/dev/null || missing+=(postgresql-common)
[ -f "/usr/share/postgresql/$pg_version/extension/postgis.control" ] || missing+=("postgresql-$pg_version-postgis-3")
[ -f "/usr/share/postgresql/$pg_version/extension/pg_trgm.control" ] || missing+=(postgresql-contrib)

# GDAL/GEOS/PROJ libraries for GeoDjango, and GDAL's command-line readers (ogrinfo) for the exports.
command -v ogrinfo >/dev/null || missing+=(gdal-bin)
ldconfig -p | grep -q 'libgeos_c\.so' || missing+=(gdal-bin)
ldconfig -p | grep -q 'libproj\.so' || missing+=(gdal-bin)

command -v msgfmt >/dev/null || missing+=(gettext)                  # compiled translations
{ command -v node >/dev/null && command -v npm >/dev/null; } || missing+=(nodejs npm)  # static JS from npm
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
command -v make >/dev/null || missing+=(make)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
# Deduplicate, keeping the order.
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')
cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"

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
