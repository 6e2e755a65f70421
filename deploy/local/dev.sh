#!/usr/bin/env bash
# `make dev`: the Temporal dev server with its UI, migrations, demo data and
# every Relance service, in the foreground. Ctrl-C stops everything; state
# stays in .dev/ (Temporal's SQLite file, Postgres, the outbox) between runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${DATABASE_URL:?DATABASE_URL must be set (make dev sets it)}"
mkdir -p .dev/logs .dev/outbox .dev/documents

export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:7233}"
export OUTBOX_DIR="${OUTBOX_DIR:-$PWD/.dev/outbox}"
# Letters, notices, statements and agency packs, kept as proof (SHA-256 in Postgres).
export DOCUMENTS_URL="${DOCUMENTS_URL:-file://$PWD/.dev/documents}"
export RELANCE_DEV=true
# The demo policy's rungs are seconds apart: the weekly contact cap and the
# business-day calendar would hold it back, so the dev run turns them off.
export CONTACT_WEEKLY_CAP="${CONTACT_WEEKLY_CAP:-0}"
export CONTACT_CALENDAR="${CONTACT_CALENDAR:-false}"
# Development webhook secret: sign test payment events with it (see README).
export PAYMENTS_STRIPE_SECRETS="${PAYMENTS_STRIPE_SECRETS:-whsec_dev}"
export POSTAL_WEBHOOK_SECRETS="${POSTAL_WEBHOOK_SECRETS:-postal_dev}"
export AGENCY_SECRET="${AGENCY_SECRET:-agency_dev}"
export CREDITOR_ADDRESS="${CREDITOR_ADDRESS:-12 rue de la Paix}"
export CREDITOR_POSTAL_CODE="${CREDITOR_POSTAL_CODE:-75002}"
export CREDITOR_CITY="${CREDITOR_CITY:-PARIS}"
# The debtor portal: every message links to it; without a Stripe key its
# local checkout page posts payments signed with the dev webhook secret.
export PORTAL_BASE_URL="${PORTAL_BASE_URL:-http://localhost:8086}"
export PORTAL_LOCAL_WEBHOOK_URL="${PORTAL_LOCAL_WEBHOOK_URL:-http://127.0.0.1:8081/v1/webhooks/stripe}"
export PORTAL_LOCAL_WEBHOOK_SECRET="${PORTAL_LOCAL_WEBHOOK_SECRET:-whsec_dev}"
export CREDITOR_IBAN="${CREDITOR_IBAN:-FR7630006000011234567890189}"
export CREDITOR_BIC="${CREDITOR_BIC:-AGRIFRPPXXX}"

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo; echo "stopping…"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap "cleanup; exit 0" INT TERM
trap cleanup EXIT

sa_flags=()
while read -r name type; do sa_flags+=(--search-attribute "$name=$type"); done < <(bin/migrate -print-search-attributes)

bin/temporal server start-dev \
  --db-filename .dev/temporal.db \
  --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=off \
  --dynamic-config-value matching.numTaskqueueReadPartitions=1 \
  --dynamic-config-value matching.numTaskqueueWritePartitions=1 \
  --ip 127.0.0.1 --port 7233 --ui-port 8233 --log-level warn \
  "${sa_flags[@]}" >.dev/logs/temporal.log 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
  bin/temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 && break
  sleep 0.5
done

bin/migrate
start() { # name addr
  HTTP_ADDR="$2" "bin/$1" >".dev/logs/$1.log" 2>&1 &
  pids+=($!)
}
start worker   127.0.0.1:8084
start api      127.0.0.1:8080
start payments 127.0.0.1:8081
start disputes 127.0.0.1:8082
start events   127.0.0.1:8083
start portal   127.0.0.1:8086
API_URL=http://127.0.0.1:8080 TEMPORAL_UI_URL=http://localhost:8233 start console 127.0.0.1:8085
bin/migrate -demo

cat <<MSG

Relance is running (logs in .dev/logs/, messages in .dev/outbox/, documents in .dev/documents/):
  Temporal UI      http://localhost:8233   (cases: WorkflowId STARTS_WITH "invoice:")
  Collector API    http://localhost:8080/v1   (OpenAPI: /v1/openapi.yaml; demo tokens in .dev/demo-tokens.txt)
  Payments hooks   http://localhost:8081
  Disputes         http://localhost:8082
  Delivery events  http://localhost:8083
  Worker metrics   http://localhost:8084/metrics
  Debtor portal    http://localhost:8086   (personal links in the outbox's messages)
  Web console      http://localhost:8085
MSG
cat .dev/demo-accounts.txt
echo "Ctrl-C stops everything."
wait -n "${pids[@]}" || true
echo "a process stopped; see .dev/logs/" >&2
