#!/usr/bin/env bash
# Installs the pgvector extension into the local PostgreSQL server (Debian bookworm, PostgreSQL 15), idempotently.
#
# Bookworm ships no pgvector package, so this builds Debian trixie's pgvector source package against the
# bookworm postgresql-server-dev-15 headers. The trixie source list lives in a private apt state directory, so
# the system's own package lists are never touched. Runs as root (CI does). Exits 0 at once when the server
# already offers the extension.
#
# Environment: PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), PG_MAJOR (15),
#              PGVECTOR_VERSION (0.8.0, the trixie version whose orig tarball is checked).
set -euo pipefail

export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
PG_MAJOR="${PG_MAJOR:-15}"
PGVECTOR_VERSION="${PGVECTOR_VERSION:-0.8.0}"
PG_CONFIG="${PG_CONFIG:-/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config}"

available() {
  [ "$(psql -d postgres -XAtc "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'" 2>/dev/null)" = "1" ]
}

if available; then
  echo "pgvector: already available"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "pgvector: not available and not running as root; run this script as root" >&2
  exit 1
fi

work="$(mktemp -d /tmp/pgvector-build.XXXXXX)"
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work" # the _apt download sandbox user must be able to write here
lists="$work/lists"
mkdir -p "$lists/partial"
echo 'deb-src http://deb.debian.org/debian trixie main' >"$work/trixie-src.list"
apt_src_opts=(-o "Dir::Etc::sourcelist=$work/trixie-src.list" -o "Dir::Etc::sourceparts=-" -o "Dir::State::Lists=$lists")

echo "pgvector: build dependencies (postgresql-server-dev-${PG_MAJOR}, make, gcc)"
export DEBIAN_FRONTEND=noninteractive
if ! dpkg -s "postgresql-server-dev-${PG_MAJOR}" >/dev/null 2>&1 || ! command -v make >/dev/null || ! command -v gcc >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "postgresql-server-dev-${PG_MAJOR}" make gcc
fi

echo "pgvector: fetching trixie source package"
apt-get update -qq "${apt_src_opts[@]}"
(cd "$work" && apt-get source --download-only -qq "${apt_src_opts[@]}" "pgvector=${PGVECTOR_VERSION}-1")
orig="$work/pgvector_${PGVECTOR_VERSION}.orig.tar.gz"
[ -f "$orig" ] || { echo "pgvector: $orig was not downloaded" >&2; exit 1; }
# apt-get verified the tarball against the signed Sources index; unpack the upstream tree only.
mkdir -p "$work/src"
tar -xzf "$orig" -C "$work/src" --strip-components=1

echo "pgvector: building against $("$PG_CONFIG" --version)"
make -s -C "$work/src" PG_CONFIG="$PG_CONFIG" OPTFLAGS="" >/dev/null
make -s -C "$work/src" PG_CONFIG="$PG_CONFIG" install >/dev/null

if available; then
  echo "pgvector: installed ($(psql -d postgres -XAtc "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'"))"
else
  echo "pgvector: installed files, but the server does not list the extension" >&2
  exit 1
fi
