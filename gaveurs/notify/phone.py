"""Phone numbers in E.164 form, as Twilio wants them."""

from __future__ import annotations

import phonenumbers


class InvalidPhone(ValueError):
    pass


def normalize_e164(raw: str) -> str:
    """`+33 6 12 34 56 78` → `+33612345678`; anything not a valid international number is refused."""
    hint = f"phone must be in E.164 form, e.g. +33612345678; got {raw!r}"
    if not raw.strip().startswith("+"):
        raise InvalidPhone(hint)
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhone(hint) from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"{hint} (not a valid number)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
