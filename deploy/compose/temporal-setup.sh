#!/bin/sh
# One-shot job of docker-compose.yml (temporalio/admin-tools image): once the
# Temporal server answers, creates the namespace and registers Relance's
# custom search attributes (RELANCE_SEARCH_ATTRIBUTES="Name=Type …", the
# list `migrate -print-search-attributes` prints). Safe to run again.
set -eu
: "${TEMPORAL_ADDRESS:?}" "${TEMPORAL_NAMESPACE:?}" "${RELANCE_SEARCH_ATTRIBUTES:?}"

tries=0
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" | grep -q SERVING; do
  tries=$((tries + 1))
  [ "$tries" -lt 60 ] || { echo "temporal did not become healthy" >&2; exit 1; }
  sleep 2
done

if ! temporal operator namespace describe --address "$TEMPORAL_ADDRESS" --namespace "$TEMPORAL_NAMESPACE" >/dev/null 2>&1; then
  temporal operator namespace create --address "$TEMPORAL_ADDRESS" --namespace "$TEMPORAL_NAMESPACE" \
    --retention "${TEMPORAL_NAMESPACE_RETENTION:-720h}"
fi

# A new namespace takes a moment to reach every frontend cache.
until temporal operator search-attribute list --address "$TEMPORAL_ADDRESS" --namespace "$TEMPORAL_NAMESPACE" >/dev/null 2>&1; do
  sleep 1
done
existing=$(temporal operator search-attribute list --address "$TEMPORAL_ADDRESS" --namespace "$TEMPORAL_NAMESPACE")
for pair in $RELANCE_SEARCH_ATTRIBUTES; do
  name=${pair%%=*} type=${pair#*=}
  if printf '%s\n' "$existing" | grep -qw "$name"; then
    echo "search attribute $name already registered"
  else
    temporal operator search-attribute create --address "$TEMPORAL_ADDRESS" --namespace "$TEMPORAL_NAMESPACE" \
      --name "$name" --type "$type"
  fi
done
echo "namespace $TEMPORAL_NAMESPACE ready"
