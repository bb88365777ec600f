"""Schemathesis hooks for infra/fuzz.sh.

Every create needs an Idempotency-Key, and Schemathesis reuses one generated value
across many cases: most creates then met 422 (the key reused with another body) instead
of reaching the database. A well-formed generated key is replaced by a fresh one per
request, so bodies get through; a malformed one is kept, so the header itself is still
fuzzed.
"""
import re
import uuid

import schemathesis

WELL_FORMED = re.compile(r"^[\x20-\x7e]{1,255}$")


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key" and isinstance(headers[name], str) and WELL_FORMED.match(headers[name]):
            headers[name] = f"fuzz-{uuid.uuid4()}"
    case.headers = headers
