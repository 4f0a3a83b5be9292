"""Phone numbers as the CRM keys them: one spelling per number, so a caller is found again.

Rules (deliberately simple: acd has no country context to expand national numbers):
spaces, dashes, dots, slashes and parentheses are dropped; a leading ``00`` becomes ``+``; the
result is an optional ``+`` followed by 3 to 20 digits, or the number is invalid.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-./()]")
_VALID = re.compile(r"^\+?[0-9]{3,20}$")


def normalise_number(raw: str) -> str:
    """The CRM spelling of ``raw``; ValueError (with the reason) when it is not a phone number."""
    number = _SEPARATORS.sub("", raw.strip())
    if number.startswith("00"):
        number = "+" + number[2:]
    if not number:
        raise ValueError("empty number")
    if not _VALID.match(number):
        raise ValueError(f"not a phone number: {raw.strip()!r} (an optional '+' and 3 to 20 digits)")
    return number


def customer_key(raw: str | None) -> str | None:
    """The normalised number used to link a call to ``cc_customers``, or None if it is not one."""
    if not raw:
        return None
    try:
        return normalise_number(raw)
    except ValueError:
        return None
