"""Site managers: the people who receive a site's anomaly alerts and daily summary.

Drawn from their own random stream (seeded from the farm's seed), so adding them leaves every other table
of the farm unchanged, and the same nine people run the sites in the demo and the small farm. Two contact
mistakes are planted, as in any real address book, so a notification fan-out has to live with them: one
manager's phone is the site office's fixed line (Twilio cannot text it), one e-mail has lost its `@`.
"""

from __future__ import annotations

import unicodedata

import numpy as np

from gaveurs.farm.tables import Table
from gaveurs.farm.truths import ManagerContactFaults

SITE_CODES = ("LL", "LS", "MT")
ROLES = ("directeur_site", "responsable_production", "responsable_qualite")
PRENOMS = ("Hélène", "Thierry", "Maïté", "Joël", "Véronique", "Didier", "Béatrice", "Serge", "Mireille",
           "Gilles", "Françoise", "Régis")  # fmt: skip
NOMS = ("Lasserre", "Peyrusse", "Daugé", "Lartigau", "Capdevielle", "Hourcade", "Ducasse", "Labarthe",
        "Pouyanne", "Bergès", "Candau", "Lespiau")  # fmt: skip
# Office lines by site (area code 05, south-west France): where a planted fixed-line "mobile" comes from.
OFFICE_PREFIX = {"LL": "+33559", "LS": "+33553", "MT": "+33558"}
# The planted mistakes: (site, role) of the manager whose phone / e-mail is wrong.
LANDLINE_AT = ("MT", "responsable_qualite")
BROKEN_EMAIL_AT = ("LS", "responsable_production")


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def site_managers(seed: int) -> tuple[Table, ManagerContactFaults]:
    """Three managers per site (one per role), ids 1.., and which of them carry a planted contact fault."""
    rng = np.random.default_rng([seed, 0x51E])
    people = [(site, role) for site in SITE_CODES for role in ROLES]
    n = len(people)
    prenoms = [str(p) for p in rng.choice(PRENOMS, n, replace=False)]
    noms = [str(m) for m in rng.choice(NOMS, n, replace=False)]
    # Mobiles 06 1x xx xx xx, distinct from each other (the gaveurs' numbers come from another stream).
    subscribers = rng.choice(10_000_000, n, replace=False)
    phones = [f"+3361{s:07d}" for s in subscribers.tolist()]
    emails = [
        f"{_ascii(p)}.{_ascii(m)}@gaveurs-{site.lower()}.example.fr"
        for (site, _), p, m in zip(people, prenoms, noms, strict=True)
    ]
    landline = people.index(LANDLINE_AT)
    phones[landline] = OFFICE_PREFIX[LANDLINE_AT[0]] + f"{int(rng.integers(0, 1_000_000)):06d}"
    broken = people.index(BROKEN_EMAIL_AT)
    emails[broken] = emails[broken].replace("@", ".", 1)
    table = Table(
        "site_managers",
        ("id", "site_code", "role", "nom", "prenom", "telephone", "email"),
        (
            list(range(1, n + 1)),
            [s for s, _ in people],
            [r for _, r in people],
            noms,
            prenoms,
            phones,
            emails,
        ),
    )
    return table, ManagerContactFaults(landline_ids=(landline + 1,), invalid_email_ids=(broken + 1,))
