"""What the notifications say, in French: pure functions from facts to an SMS text or an e-mail.

E-mails are written once, in HTML; their plain-text part is derived from it (html_text), so both always say
the same. SMS texts keep to the GSM alphabet where French allows (no emoji, no narrow spaces), since one
character outside it halves the length of every segment.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from gaveurs.contracts.ml import LotAnomaly, Severity
from gaveurs.contracts.notifications import LotCompletionKpis, SiteDailyFigures
from gaveurs.notify.html_text import html_to_text
from gaveurs.notify.recipients import ROLE_TITLES, FeedbackFacts, Person

# The severities anomaly detection gives (gaveurs.contracts.ml.Severity), most severe first.
SEVERITY_ORDER: tuple[Severity, ...] = ("critical", "warning")
SEVERITY_FR: dict[Severity, str] = {"critical": "critique", "warning": "à surveiller"}
SEVERITY_PLURAL_FR: dict[Severity, str] = {"critical": "critiques", "warning": "à surveiller"}
SMS_LOTS = 3  # lots named in an alert SMS; the e-mail lists them all
SIGNATURE = "L'équipe des tâches automatiques Gaveurs"


@dataclass(frozen=True)
class EmailContent:
    subject: str
    html: str
    text: str


def number(value: float | None, digits: int = 1, unit: str = "", *, sms: bool = False) -> str:
    """French style: `1 043,5 g`; `—` for a missing value. Narrow no-break spaces outside SMS."""
    if value is None:
        return "—"
    space = " " if sms else "\u202f"
    text = f"{value:,.{digits}f}".replace(",", space).replace(".", ",")
    return f"{text}{space}{unit}" if unit else text


def day_fr(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _email(
    subject: str, recipient: Person | None, paragraphs: Sequence[str], *, closing: str = ""
) -> EmailContent:
    greeting = (
        f"<p>Bonjour {escape(recipient.prenom)},</p>" if recipient and recipient.prenom else "<p>Bonjour,</p>"
    )
    body = "".join(paragraphs)
    html = (
        f'<html><head><meta charset="utf-8"><title>{escape(subject)}</title></head>'
        f'<body style="font-family: sans-serif; color: #222">{greeting}{body}{closing}'
        f"<p>— {escape(SIGNATURE)}</p></body></html>"
    )
    return EmailContent(subject, html, html_to_text(html))


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f'<th style="text-align:left; padding:2px 8px">{escape(h)}</th>' for h in header)
    lines = "".join(
        "<tr>" + "".join(f'<td style="padding:2px 8px">{escape(cell)}</td>' for cell in row) + "</tr>"
        for row in rows
    )
    return f'<table style="border-collapse: collapse"><tr>{head}</tr>{lines}</table>'


def _by_severity(anomalies: Sequence[LotAnomaly]) -> list[tuple[Severity, list[LotAnomaly]]]:
    groups = [(s, [a for a in anomalies if a.severity == s]) for s in SEVERITY_ORDER]
    return [(s, sorted(found, key=lambda a: -a.anomaly_score)) for s, found in groups if found]


def severity_counts(anomalies: Sequence[LotAnomaly]) -> dict[Severity, int]:
    counts = Counter[Severity](a.severity for a in anomalies)
    return {s: counts[s] for s in SEVERITY_ORDER if counts[s]}


def _counts_fr(anomalies: Sequence[LotAnomaly]) -> str:
    return ", ".join(
        f"{n} {SEVERITY_FR[s] if n == 1 else SEVERITY_PLURAL_FR[s]}"
        for s, n in severity_counts(anomalies).items()
    )


def _lots_fr(n: int) -> str:
    return f"{n} lot anormal" if n == 1 else f"{n} lots anormaux"


def anomaly_alert_sms(site_code: str, anomalies: Sequence[LotAnomaly]) -> str:
    """`Gaveurs - alerte site LL : 3 lots anormaux (1 critique, 2 à surveiller). LL2601001 critique : …`."""
    ranked = [a for _, group in _by_severity(anomalies) for a in group]
    named = [
        f"{a.code_lot} {SEVERITY_FR[a.severity]} : mortalité {number(a.mortalite_pct, 1, '%', sms=True)}, "
        f"ITM {number(a.itm, 2, sms=True)}"
        for a in ranked[:SMS_LOTS]
    ]
    more = len(ranked) - SMS_LOTS
    tail = f" ; +{more} autre{'s' if more > 1 else ''}" if more > 0 else ""
    return (
        f"Gaveurs - alerte site {site_code} : {_lots_fr(len(ranked))} ({_counts_fr(anomalies)}). "
        f"{' ; '.join(named)}{tail}. Détails par e-mail."
    )


def anomaly_alert_email(
    site_code: str, site_nom: str, anomalies: Sequence[LotAnomaly], recipient: Person
) -> EmailContent:
    subject = f"[Gaveurs] Site {site_code} : {_lots_fr(len(anomalies))} ({_counts_fr(anomalies)})"
    sections = [
        f"<p>La détection d'anomalies a signalé {_lots_fr(len(anomalies))} sur le site "
        f"{escape(site_nom)} ({escape(site_code)}), classés par gravité.</p>"
    ]
    for severity, group in _by_severity(anomalies):
        rows = [
            (a.code_lot, number(a.mortalite_pct, 1, "%"), number(a.itm, 2), number(a.anomaly_score, 3),
             " ; ".join(a.reasons))
            for a in group
        ]  # fmt: skip
        sections.append(f"<h3>Gravité {SEVERITY_FR[severity]} ({len(group)})</h3>")
        sections.append(_table(("Lot", "Mortalité", "ITM", "Score", "Motifs"), rows))
    closing = "<p>Merci de vérifier ces lots sur place et de consigner vos constats.</p>"
    return _email(subject, recipient, sections, closing=closing)


def lot_completion_sms(kpis: LotCompletionKpis) -> str:
    return (
        f"Gaveurs - lot {kpis.code_lot} terminé : {kpis.duree_gavage} j de gavage, mortalité "
        f"{number(kpis.mortalite_pct, 1, '%', sms=True)}, foie moyen {number(kpis.poids_foie_moyen_g, 0, 'g', sms=True)}, "
        f"ITM {number(kpis.itm, 2, sms=True)}. Bilan complet par e-mail."
    )


def lot_completion_email(kpis: LotCompletionKpis, recipient: Person) -> EmailContent:
    alive = kpis.nb_canards_places - kpis.nb_canards_morts
    rows = [
        ("Site", kpis.site_code),
        ("Génétique", kpis.genetique),
        ("Début du gavage", day_fr(kpis.debut_gavage)),
        ("Durée", f"{kpis.duree_gavage} jours"),
        (
            "Canards placés / morts",
            f"{number(kpis.nb_canards_places, 0)} / {number(kpis.nb_canards_morts, 0)}",
        ),
        ("Canards en fin de gavage", number(alive, 0)),
        ("Mortalité", number(kpis.mortalite_pct, 2, "%")),
        ("Dose totale de maïs par canard", number(kpis.dose_totale_kg, 2, "kg")),
        ("Poids de foie moyen", number(kpis.poids_foie_moyen_g, 0, "g")),
        ("ITM (kg de maïs par kg de foie)", number(kpis.itm, 2)),
        ("Score SQAL moyen", number(kpis.sqal_score_moyen, 3)),
        (
            "Avis consommateurs",
            f"{kpis.feedback_count} (note moyenne {number(kpis.feedback_rating_moyen, 2)})",
        ),
    ]
    sections = [
        f"<p>Le gavage du lot <b>{escape(kpis.code_lot)}</b> est terminé. Voici son bilan.</p>",
        _table(("Indicateur", "Valeur"), rows),
    ]
    if kpis.sqal_grades:
        grades = sorted(
            kpis.sqal_grades.items(), key=lambda item: ("A+", "A", "B", "C", "REJECT").index(item[0])
        )
        sections.append("<h3>Classement SQAL des foies</h3>")
        sections.append(_table(("Classe", "Foies"), [(grade, number(n, 0)) for grade, n in grades]))
    return _email(f"[Gaveurs] Bilan du lot {kpis.code_lot}", recipient, sections)


def daily_summary_email(figures: SiteDailyFigures, recipient: Person) -> EmailContent:
    f = figures
    rows = [
        ("Lots nourris", number(f.lots_nourris, 0)),
        ("Lots mis en gavage", number(f.lots_demarres, 0)),
        ("Lots ayant fini le gavage", number(f.lots_termines, 0)),
        ("Dose journalière moyenne par canard", number(f.dose_journaliere_moyenne_g, 1, "g")),
        ("Température moyenne des stabulations", number(f.temperature_moyenne_c, 1, "°C")),
        ("Lots abattus", number(f.lots_abattus, 0)),
        ("Canards abattus", number(f.canards_abattus, 0)),
        ("Poids de foie moyen (lots abattus)", number(f.poids_foie_moyen_g, 1, "g")),
        ("Échantillons SQAL", number(f.sqal_echantillons, 0)),
        ("Score SQAL moyen", number(f.sqal_score_moyen, 3)),
        ("Rejets SQAL", number(f.sqal_reject_pct, 1, "%")),
        ("Avis consommateurs", number(f.avis_consommateurs, 0)),
        ("Note moyenne", number(f.note_moyenne, 2)),
    ]
    title = ROLE_TITLES.get(recipient.role, recipient.role)
    sections = [
        f"<p>Voici le bilan du {day_fr(f.day)} pour le site {escape(f.site_nom)} ({escape(f.site_code)}).</p>",
        _table(("Indicateur", "Valeur"), rows),
        f"<p>Destinataire : {escape(recipient.name)}, {escape(title.lower())}.</p>",
    ]
    return _email(f"[Gaveurs] Site {f.site_code} : bilan du {day_fr(f.day)}", recipient, sections)


def feedback_acknowledgment_email(facts: FeedbackFacts) -> EmailContent:
    stars = "★" * facts.rating + "☆" * (5 - facts.rating)
    sections = [
        f"<p>Merci d'avoir pris le temps de noter notre foie gras (lot {escape(facts.code_lot)}) : "
        f"{stars} ({facts.rating}/5), le {day_fr(facts.created_at.date())}.</p>"
    ]
    if facts.comment:
        sections.append(f"<blockquote>« {escape(facts.comment)} »</blockquote>")
    if facts.rating <= 2:
        sections.append(
            "<p>Nous sommes désolés que ce produit ne vous ait pas donné satisfaction. Notre responsable "
            "qualité examine les relevés de ce lot et reviendra vers vous.</p>"
        )
    else:
        sections.append("<p>Vos avis aident nos éleveurs à améliorer chaque lot.</p>")
    return _email("Merci pour votre avis sur notre foie gras", None, sections)
