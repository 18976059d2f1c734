#!/bin/sh
# docker-compose.yml's temporal-namespace job (admin-tools image): once the
# Temporal server answers, registers the namespace the apps use and the custom
# search attributes of the transfer workflows (deploy/search-attributes.txt,
# mounted beside this script: the same as deploy/stack gives the native
# Temporal). One attribute per call: the CLI registers only the first of
# several --name flags. Creating what exists already is a no-op.
set -eu
: "${TEMPORAL_ADDRESS:?}" "${TEMPORAL_NAMESPACE:?}"
ATTRIBUTES_FILE=${SEARCH_ATTRIBUTES_FILE:-/scripts/search-attributes.txt}
ATTEMPTS=60

retry() { # command... ; every 2 s, up to ATTEMPTS times
  n=1
  until "$@"; do
    if [ "$n" -ge "$ATTEMPTS" ]; then echo "gave up: $*" >&2; return 1; fi
    n=$((n + 1)); sleep 2
  done
}

retry temporal operator cluster health --address "$TEMPORAL_ADDRESS"
if ! temporal operator namespace describe --address "$TEMPORAL_ADDRESS" -n "$TEMPORAL_NAMESPACE" >/dev/null 2>&1; then
  retry temporal operator namespace create --address "$TEMPORAL_ADDRESS" -n "$TEMPORAL_NAMESPACE"
fi
while read -r attribute type _; do
  case "$attribute" in '' | '#'*) continue ;; esac
  # History and matching see a new namespace some seconds after it is created: retried until they do.
  # </dev/null: the CLI must not read the rest of the list this loop reads.
  retry temporal operator search-attribute create --address "$TEMPORAL_ADDRESS" -n "$TEMPORAL_NAMESPACE" \
    --name "$attribute" --type "$type" </dev/null
done <"$ATTRIBUTES_FILE"
echo "namespace $TEMPORAL_NAMESPACE ready"
