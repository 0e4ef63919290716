"""E-mail addresses checked for syntax and put in one canonical form (the domain in lower case)."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


class InvalidEmail(ValueError):
    def __init__(self, address: str, reason: str) -> None:
        super().__init__(f"invalid e-mail address {address!r}: {reason}")
        self.reason = reason  # without the address, for messages that must not show it


def normalize_email(raw: str) -> str:
    """`Jean.Dupont@Example.FR` → `Jean.Dupont@example.fr`; anything a mail server could not take is refused.

    Only the syntax is checked (no DNS lookup: the workers may not resolve names, and a missing domain is the
    mail server's answer to give). The local part keeps its case: some servers treat it as significant.
    Non-ASCII local parts are refused because they need SMTPUTF8, which many servers still lack.
    """
    try:
        checked = validate_email(raw.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise InvalidEmail(raw, str(error)) from error
    return str(checked.normalized)


def smtp_form(address: str) -> str:
    """The address as it goes on the wire: an internationalised domain in its ASCII (IDNA) form."""
    checked = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    return str(checked.ascii_email or checked.normalized)
