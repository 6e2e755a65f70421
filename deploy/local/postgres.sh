#!/usr/bin/env bash
# Runs a throwaway PostgreSQL cluster under .dev/postgres for `make dev` and
# `make test` when DATABASE_URL is not set. Idempotent: `start` does nothing
# when the cluster already answers. Prints nothing but errors.
#   deploy/local/postgres.sh start|stop|url
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
dir="$root/.dev/postgres"
data="$dir/data"
sock="$dir/run"
port="${RELANCE_PG_PORT:-55432}"
url="postgres://relance@127.0.0.1:${port}/relance?sslmode=disable"

find_bindir() {
  local candidates=()
  if command -v pg_config >/dev/null 2>&1; then candidates+=("$(pg_config --bindir)"); fi
  for d in /usr/lib/postgresql/*/bin /usr/local/opt/postgresql*/bin /opt/homebrew/opt/postgresql*/bin /usr/local/pgsql/bin; do
    [ -d "$d" ] && candidates+=("$d")
  done
  for d in "${candidates[@]}"; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return 0; fi
  return 1
}

# PostgreSQL refuses to run as root: run it as an unprivileged user then.
pg_user=nobody
id postgres >/dev/null 2>&1 && pg_user=postgres
# When that user cannot reach the checkout (a private temp folder, say),
# the cluster lives under /var/tmp instead, one per checkout.
if [ "$(id -u)" = 0 ] && ! setpriv --reuid="$(id -u "$pg_user")" --regid="$(id -g "$pg_user")" --clear-groups -- test -x "$root" 2>/dev/null; then
  dir="/var/tmp/relance-postgres-$(printf '%s' "$root" | cksum | cut -d' ' -f1)"
  data="$dir/data"
  sock="$dir/run"
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    local user=$pg_user
    chown -R "$user" "$dir"
    # setpriv is in util-linux on every Debian/Ubuntu; su as a fallback.
    cd "$dir"
    if command -v setpriv >/dev/null 2>&1; then
      setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --init-groups -- "$@"
    else
      su -s /bin/sh "$user" -c "$(printf '%q ' "$@")"
    fi
  else
    "$@"
  fi
}

ready() { [ -S "$sock/.s.PGSQL.$port" ] && PGCONNECT_TIMEOUT=2 "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" >/dev/null 2>&1; }

case "${1:-start}" in
  url) echo "$url" ;;
  start)
    if ! bindir=$(find_bindir); then
      echo "PostgreSQL server binaries not found: install them (Debian/Ubuntu: sudo apt-get install postgresql; macOS: brew install postgresql) or set DATABASE_URL." >&2
      exit 1
    fi
    mkdir -p "$dir" "$sock"
    chmod 755 "$root/.dev" 2>/dev/null || true
    if ready; then exit 0; fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "port $port is taken by another server (another checkout's cluster?): stop it, or set RELANCE_PG_PORT or DATABASE_URL." >&2
      exit 1
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
      as_owner "$bindir/initdb" -D "$data" -U relance --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { echo "initdb failed, see $dir/initdb.log" >&2; exit 1; }
    fi
    as_owner "$bindir/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 \
      -o "-p $port -k $sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null \
      || { echo "postgres did not start, see $dir/postgres.log" >&2; exit 1; }
    for _ in $(seq 1 60); do ready && break; sleep 0.5; done
    "$bindir/psql" -q -h 127.0.0.1 -p "$port" -U relance -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='relance'" | grep -q 1 \
      || "$bindir/createdb" -h 127.0.0.1 -p "$port" -U relance relance
    ;;
  stop)
    bindir=$(find_bindir) || exit 0
    [ -f "$data/postmaster.pid" ] && as_owner "$bindir/pg_ctl" -D "$data" -m fast stop >/dev/null || true
    ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
