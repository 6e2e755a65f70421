#!/bin/sh
# One-shot job of docker-compose.yml (temporalio/admin-tools image): creates
# Temporal's two databases in the shared Postgres and brings their schema to
# the version this admin-tools image ships. Safe to run again: `create`
# tolerates an existing database, `setup-schema -v 0.0` leaves a versioned
# schema alone, and `update-schema` applies only the missing versions.
set -eu
: "${POSTGRES_HOST:=postgres}" "${POSTGRES_PORT:=5432}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
schema=/etc/temporal/schema/postgresql/v12

until nc -z "$POSTGRES_HOST" "$POSTGRES_PORT"; do echo "waiting for postgres"; sleep 1; done

sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_HOST" -p "$POSTGRES_PORT" -u "$POSTGRES_USER" "$@"; }
for pair in temporal:temporal temporal_visibility:visibility; do
  db=${pair%%:*} dir=${pair#*:}
  sql --db "$db" create || echo "database $db already exists"
  sql --db "$db" setup-schema -v 0.0
  sql --db "$db" update-schema -d "$schema/$dir/versioned"
done
echo "temporal schema ready"
