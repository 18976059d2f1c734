"""Schemathesis hooks for deploy/schemathesis: what the OpenAPI document cannot
say in JSON Schema, so that a request Schemathesis deems valid is one the API
must accept. The hook adjusts generated requests; none drops a check or a failure.

- POST /v1/transfers: fromAccountId must differ from toAccountId (JSON Schema
  cannot compare two properties); a body with both equal gets another toAccountId.
- POST /v1/transfer-batches: the same rule for each item of `transfers`; and
  an item at or above the approval threshold (APPROVAL_THRESHOLD_MINOR, what
  the document says in words: batches take no transfer that needs approval)
  gets an amount below it.
- Idempotency-Key: a valid key is replaced by a fresh one per request. The
  contract refuses a key reused with another body (422), and generated keys
  repeat (the examples phase sends the document's example key every time).
- ?cursor=: a cursor is opaque and only the ones the API issued are valid
  (a forged one is a 400 by contract); generated ones are never issued, so a
  cursor that fits the schema is left out. Invalid ones (empty, too long) are
  still sent by the negative cases and must be refused.
- statement ?from=&to= and audit ?since=&until=: the second must not be
  before the first (JSON Schema cannot compare two parameters); a pair the
  wrong way round is swapped.
"""
import os
import re
import uuid
from collections.abc import MutableMapping
from datetime import datetime

import schemathesis

KEY = re.compile(r"^[\x20-\x7e]{1,255}$")
DIGITS = re.compile(r"^(0|[1-9][0-9]*)$")
APPROVAL_THRESHOLD_MINOR = int(os.environ.get("APPROVAL_THRESHOLD_MINOR", "1000000"))
# The operations whose query names a time window: (its start, its end).
WINDOWS = {
    "GET /v1/accounts/{id}/statement": ("from", "to"),
    "GET /v1/audit": ("since", "until"),
}


@schemathesis.hook
def before_call(context, case, kwargs):
    """Every phase's requests pass here (examples, coverage, fuzzing, stateful)."""
    headers = case.headers
    if isinstance(headers, MutableMapping) and isinstance(headers.get("Idempotency-Key"), str) and KEY.match(headers["Idempotency-Key"]):
        headers["Idempotency-Key"] = f"schemathesis-{uuid.uuid4()}"
    query = case.query
    if isinstance(query, MutableMapping) and isinstance(query.get("cursor"), str) and 1 <= len(query["cursor"]) <= 1000:
        del query["cursor"]
    window = WINDOWS.get(case.operation.label)
    if window is not None and isinstance(query, MutableMapping):
        first, second = window
        start, end = _instant(query.get(first)), _instant(query.get(second))
        if start is not None and end is not None and end < start:
            query[first], query[second] = query[second], query[first]
    body = case.body
    if case.operation.label == "POST /v1/transfers":
        _distinct_accounts(body)
    if case.operation.label == "POST /v1/transfer-batches" and isinstance(body, dict) and isinstance(body.get("transfers"), list):
        for item in body["transfers"]:
            _distinct_accounts(item)
            _below_threshold(item)


def _distinct_accounts(transfer):
    """A transfer whose two accounts are one gets another destination."""
    if isinstance(transfer, dict) and isinstance(transfer.get("fromAccountId"), str) and transfer.get("fromAccountId") == transfer.get("toAccountId"):
        transfer["toAccountId"] = str(uuid.uuid4())


def _below_threshold(transfer):
    """A batch item's valid amount at or above the approval threshold gets one below it."""
    amount = transfer.get("amount") if isinstance(transfer, dict) else None
    if isinstance(amount, str) and DIGITS.match(amount) and len(amount) <= 19 and int(amount) >= APPROVAL_THRESHOLD_MINOR:
        transfer["amount"] = "1250"


def _instant(value):
    """The instant an RFC 3339 text names, or None (left to the API to refuse)."""
    if not isinstance(value, str):
        return None
    try:
        instant = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return None
    return instant if instant.tzinfo is not None else None
