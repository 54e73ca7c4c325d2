"""Schemathesis hooks for scripts/lib/contract-fuzz.sh (issue 14).

A single `filter_failure` hook. It drops two kinds of failure, each recognised by the operation,
the status and the error envelope (`code`, `details[].field`, messages) — never by operation alone:

1. "Schema-valid request rejected" (positive_data_acceptance) when the refusal is one of the
   business rules a JSON Schema cannot express: they depend on stored state (a limit, the balance,
   an address's current country, the caller's own referral code) or on today's date. Each one is
   written in its operation's description in docs/openapi.yaml; keep the two lists in step. Any
   other refusal of a schema-valid request still fails the run. (404 for a random id and 409 for
   a duplicate are already expected by schemathesis's defaults.)

2. "Wrong response to undeclared method" (unsupported_method) when the answer is the contract's
   404 NOT_FOUND envelope. CONTRACT §1 has no 405: an undeclared method on a known path is an
   unknown route, and the servers answer it as one on purpose (Shared/HTTPKit/Errors/
   ErrorMapping.swift maps Hummingbird's 405 to 404). Any other answer — a 405 without `Allow`,
   a 2xx, a 5xx — still fails.

3. The same for a date that does not exist (30 February) sent where the document asks for a
   timestamp or a date: its pattern checks the shape, the servers also check the calendar.

Dropped failures are counted in schemathesis's summary ("dropped by filter_failure").
"""

import json

import schemathesis


def _error(response):
    """The error object of the contract's envelope, or {}."""
    try:
        body = json.loads(response.content or b"{}")
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _fields(error):
    return {detail.get("field") for detail in error.get("details") or []}


def _messages(error):
    return [detail.get("message", "") for detail in error.get("details") or []]


def _dob_relative_to_today(error):
    # "dateOfBirth must be in the past" / "dateOfBirth must be at least 16 years ago"
    return _fields(error) == {"dateOfBirth"} and all(
        "in the past" in m or "16 years ago" in m for m in _messages(error))


def _update_address(status, error, body):
    if status != 422:
        return False
    fields, messages = _fields(error), _messages(error)
    if fields == {"isPrimary"}:
        # `isPrimary: false` on the primary address.
        return body.get("isPrimary") is False
    if fields == {"postcode"}:
        # Without `country`, the postcode is checked against the address's stored country; a
        # different `country` needs a `postcode` valid for it in the same request.
        return "country" not in body or all("required when the country changes" in m for m in messages)
    return False


# operationId -> predicate(status, error, body): the documented business-rule refusals.
BUSINESS_RULES = {
    # At most 10 addresses: the 11th is a 422 on `addresses`.
    "createAddress": lambda status, error, body: status == 422 and _fields(error) == {"addresses"},
    "updateAddress": _update_address,
    # At most 100 wishlist items: the 101st is a 422 on `items`.
    "addWishlistItem": lambda status, error, body: status == 422 and _fields(error) == {"items"},
    # A date of birth in the past, at least 16 years ago (relative to today).
    "createProfile": lambda status, error, body: status == 422 and _dob_relative_to_today(error),
    "updateProfile": lambda status, error, body: status == 422 and _dob_relative_to_today(error),
    # The balance: a REDEEM or negative ADJUSTMENT beyond it; a balance beyond 2^31 - 1.
    "createLoyaltyTransaction": lambda status, error, body: status == 400 and (
        error.get("code") == "INSUFFICIENT_POINTS"
        or (error.get("code") == "BAD_REQUEST" and "would exceed" in error.get("message", ""))),
    # The caller's own referral code.
    "applyReferralCode": lambda status, error, body: status == 400 and error.get("code") == "SELF_REFERRAL",
}


def _impossible_date(value):
    """A timestamp or date whose calendar date does not exist (30 February): the pattern in the
    document cannot say so, the servers refuse it (TimestampInput's business rule)."""
    import calendar
    import re
    match = isinstance(value, str) and re.match(r"^(\d{4})-(\d{2})-(\d{2})", value)
    if not match:
        return False
    year, month, day = (int(part) for part in match.groups())
    return 1 <= month <= 12 and day > calendar.monthrange(year, month)[1]


def _refused_impossible_dates(status, error, case):
    """A 422 whose every failing field was sent as a date that does not exist."""
    if status != 422 or not _fields(error):
        return False
    sent = {}
    for part in (case.body, case.query):
        if isinstance(part, dict):
            sent.update(part)
    return all(_impossible_date(sent.get(field)) for field in _fields(error))


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """False drops the failure."""
    kind = type(failure).__name__
    if kind == "RejectedPositiveData":
        if _refused_impossible_dates(response.status_code, _error(response), case):
            return False
        rule = BUSINESS_RULES.get(case.operation.definition.raw.get("operationId"))
        body = case.body if isinstance(case.body, dict) else {}
        return not (rule and rule(response.status_code, _error(response), body))
    if kind == "UnsupportedMethodResponse":
        return not (response.status_code == 404 and _error(response).get("code") == "NOT_FOUND")
    return True
