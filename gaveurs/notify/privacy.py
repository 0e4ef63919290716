"""Keeping phone numbers and e-mail addresses out of places many people read.

Workflow ids and search attributes are visible to everyone with access to the Temporal Web UI and never
expire with the data, results and logs travel further still. What goes there is either a keyed hash
(`contact_ref`: stable, so two tasks for one person share it, but not reversible without the key) or a
masked form a person can still recognise (`+33 6•• •• •• 78`, `j•••@example.fr`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re

import phonenumbers

from gaveurs.settings import get_settings

BULLET = "•"
# An international number as people write it (spaces, dots, dashes), and a plain e-mail address.
_PHONE = re.compile(r"\+\d[\d .\-]{6,18}\d")
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")


def contact_ref(contact: str, *, key: str | None = None) -> str:
    """A short id for a phone number or an address (`c-` + 16 hex digits), safe in workflow ids and logs.

    Case and spaces do not matter (`+33 6 12…` and `+336 12…` give one id). The key defaults to the
    `NOTIFY_ID_KEY` setting; the id cannot be turned back into the contact without it.
    """
    secret = key if key is not None else get_settings().notify_id_key.get_secret_value()
    canonical = re.sub(r"\s+", "", contact).lower()
    digest = hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()
    return f"c-{digest[:16]}"


def mask_phone(phone: str) -> str:
    """`+33612345678` → `+33 6•• •• •• 78`: country code, first and last two digits; the rest hidden."""
    try:
        parsed = phonenumbers.parse(phone, None)
        country, national = str(parsed.country_code), str(parsed.national_number)
    except phonenumbers.NumberParseException:
        digits = re.sub(r"\D", "", phone)
        return BULLET * max(len(digits) - 2, 0) + digits[-2:]
    if len(national) < 4:
        return f"+{country} " + BULLET * len(national)
    hidden = national[0] + BULLET * (len(national) - 3) + national[-2:]
    # Pairs from the right, as French numbers are read; an odd leading digit joins the first pair.
    head = 3 if len(hidden) % 2 else 2
    groups = [hidden[:head]] + [hidden[i : i + 2] for i in range(head, len(hidden), 2)]
    return f"+{country} " + " ".join(groups)


def mask_email(address: str) -> str:
    """`jean.dupont@example.fr` → `j•••@example.fr`: the domain stays, so a person still sees where it went."""
    local, at, domain = address.rpartition("@")
    if not at:
        return f"{address[:1]}{BULLET * 3}"  # not an address at all: nothing of it is safe to show
    return f"{local[:1]}{BULLET * 3}@{domain}"


def mask_contacts(text: str) -> str:
    """Every phone number and e-mail address in free text (e.g. a provider's error message) masked."""
    text = _EMAIL.sub(lambda match: mask_email(match.group()), text)
    return _PHONE.sub(lambda match: mask_phone(re.sub(r"[ .\-]", "", match.group())), text)


class MaskContactsFilter(logging.Filter):
    """A logging filter that masks contacts in every record's message, whoever logged it (e.g. twilio)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_contacts(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
