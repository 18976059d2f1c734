#!/usr/bin/env bash
# The README's first transfer, safe to run again and again: each account is
# found by its code (GET /v1/accounts?code=…, a list of at most one) before it
# is created, and the transfer's Idempotency-Key makes a later run answer the
# first run's transfer (200, Idempotent-Replayed: true) instead of moving the
# money again. API (default http://127.0.0.1:4000) and API_KEY (when the
# gateway runs with API_CLIENTS_FILE: the key of a client with the submitter
# role) come from the environment.
# test/e2e/first-transfer-script.test.ts runs it twice.
set -euo pipefail
api=${API:-http://127.0.0.1:4000}
auth=()
if [ -n "${API_KEY:-}" ]; then auth=(-H "Authorization: Bearer $API_KEY"); fi

# The id of the account with code $1; created from the JSON body $2 when no account has that code yet.
account() {
  local id
  id=$(curl -sf "${auth[@]}" --get "$api/v1/accounts" --data-urlencode "code=$1" | jq -r '.items[0].id // empty')
  if [ -z "$id" ]; then
    id=$(curl -sf "${auth[@]}" "$api/v1/accounts" -H 'content-type: application/json' -d "$2" | jq -r .id)
  fi
  echo "$id"
}

bank=$(account bank '{"code":"bank","name":"Funding","currency":"USD","creditLimit":"unlimited"}')
alice=$(account alice '{"code":"alice","name":"Alice","currency":"USD"}')
curl -s "${auth[@]}" "$api/v1/transfers?wait=true" -H 'content-type: application/json' -H 'Idempotency-Key: fund-alice-1' \
  -d "{\"fromAccountId\":\"$bank\",\"toAccountId\":\"$alice\",\"amount\":\"5000\",\"currency\":\"USD\",\"description\":\"opening\"}"
echo
curl -s "${auth[@]}" "$api/v1/accounts/$alice/balance"; echo
curl -s "${auth[@]}" "$api/v1/accounts/$alice/statement"; echo
