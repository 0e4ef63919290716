"""Which lots a slaughter plan covers and on which days each may go: shared by the loader and the solver.

A lot's feeding ends the day after its last meal (`fin_gavage` = debut_gavage + duree_gavage): from then its
ducks are fasted and ready. It is slaughtered, whole, between that day and `max_wait_days` later — the farm's
history never waited longer (the generator plants 0–2 days, `PlantedTruths.slaughter`), because fattened
ducks suffer and their livers lose quality when slaughter is put off. Nothing is slaughtered before the day
the plan is made (`today`). Within a plan's window [date_debut, date_fin]:
- a lot whose slaughter days (from today on) meet the window is planned on those days;
- a lot already waiting (statut `termine`) whose deadline has passed is late: a plan that starts by today
  takes it as urgent, on today and the `max_wait_days` days after; a plan starting later leaves it to the
  current one;
- a lot finishing after date_fin, or in feeding but due before the window, belongs to another plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from gaveurs.contracts.ml import MAX_PLANNING_WINDOW_DAYS
from gaveurs.errors import InvalidDateRange

WAITING = "termine"
IN_FEEDING = "en_gavage"
MAX_WINDOW_DAYS = MAX_PLANNING_WINDOW_DAYS  # the input model refuses longer windows too


@dataclass(frozen=True)
class SlaughterWindow:
    first: date
    last: date
    late: bool  # was due before the plan's window: planned as urgent

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def check_dates(date_debut: date, date_fin: date, today: date) -> None:
    """Raise InvalidDateRange for a reversed, over-long or past window."""
    if date_debut > date_fin:
        raise InvalidDateRange.error(
            f"date_debut {date_debut.isoformat()} est après date_fin {date_fin.isoformat()}",
            date_debut=date_debut.isoformat(),
            date_fin=date_fin.isoformat(),
        )
    if (date_fin - date_debut).days + 1 > MAX_WINDOW_DAYS:
        raise InvalidDateRange.error(
            f"fenêtre de {(date_fin - date_debut).days + 1} jours : au plus {MAX_WINDOW_DAYS} jours par plan",
            date_debut=date_debut.isoformat(),
            date_fin=date_fin.isoformat(),
        )
    if date_fin < today:
        raise InvalidDateRange.error(
            f"date_fin {date_fin.isoformat()} est passée (aujourd'hui {today.isoformat()}) : "
            f"on ne planifie pas d'abattage dans le passé",
            date_fin=date_fin.isoformat(),
        )


def slaughter_window(
    statut: str, fin_gavage: date, date_debut: date, date_fin: date, max_wait_days: int, today: date
) -> SlaughterWindow | None:
    """The days the lot may be slaughtered within the plan's window, or None if it belongs to another plan."""
    if fin_gavage > date_fin:
        return None
    deadline = fin_gavage + timedelta(days=max_wait_days)
    first = max(fin_gavage, date_debut, today)
    if deadline < first:
        if statut != WAITING or not date_debut <= today <= date_fin:
            return None
        return SlaughterWindow(today, min(today + timedelta(days=max_wait_days), date_fin), late=True)
    return SlaughterWindow(first, min(deadline, date_fin), late=False)
