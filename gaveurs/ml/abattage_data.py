"""Loads a slaughter-planning problem from the farm database, and stores a plan idempotently by its key."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gaveurs.contracts.ml import (
    AbattagePlanningInput,
    AbattagePlanningResult,
    LotToSlaughter,
    PlanningProblem,
    Slaughterhouse,
    SlaughterRoute,
)
from gaveurs.db.models import AbattagePlan, AbattagePlanItem, Abattoir, AbattoirRoute, Lot
from gaveurs.errors import NoLotToPlan
from gaveurs.ml.abattage_rules import IN_FEEDING, WAITING, check_dates, slaughter_window

PARIS = ZoneInfo("Europe/Paris")  # the farm's day, as the schedules count it


def default_plan_key(params: AbattagePlanningInput) -> str:
    """One plan per window: planning the same days again replaces the plan."""
    return f"abattage-{params.date_debut.isoformat()}-{params.date_fin.isoformat()}"


def load_planning_problem(session: Session, params: AbattagePlanningInput) -> PlanningProblem:
    """Lots not yet slaughtered whose slaughter days meet the window, slaughterhouses and routes.

    Raises InvalidDateRange (reversed, over-long or past window) and NoLotToPlan (nothing to slaughter).
    """
    today = params.today or datetime.now(PARIS).date()
    check_dates(params.date_debut, params.date_fin, today)
    # Feeding lasts at most a few weeks: lots that started long before the window are slaughtered or late
    # ("termine"), and late lots are taken whatever their start.
    candidates = session.scalars(
        select(Lot)
        .where(Lot.statut.in_((IN_FEEDING, WAITING)), Lot.debut_gavage <= params.date_fin)
        .order_by(Lot.id)
    ).all()
    lots = []
    for lot in candidates:
        fin_gavage = lot.debut_gavage + timedelta(days=lot.duree_gavage)
        window = slaughter_window(
            lot.statut, fin_gavage, params.date_debut, params.date_fin, params.max_wait_days, today
        )
        if window is not None:
            lots.append(
                LotToSlaughter(
                    lot_id=lot.id,
                    code_lot=lot.code_lot,
                    site_code=lot.site_code,
                    statut=lot.statut,
                    fin_gavage=fin_gavage,
                    nb_canards=lot.nb_canards_places - lot.nb_canards_morts,
                )
            )
    if not lots:
        raise NoLotToPlan.error(
            f"aucun lot à abattre entre le {params.date_debut.isoformat()} et le {params.date_fin.isoformat()} : "
            f"aucun lot en attente d'abattage ni en fin de gavage sur ces jours"
        )
    abattoirs = session.scalars(select(Abattoir).order_by(Abattoir.id)).all()
    routes = session.scalars(select(AbattoirRoute).order_by(AbattoirRoute.id)).all()
    return PlanningProblem(
        date_debut=params.date_debut,
        date_fin=params.date_fin,
        today=today,
        lots=lots,
        abattoirs=[
            Slaughterhouse(abattoir_id=a.id, nom=a.nom, capacite_journaliere=a.capacite_journaliere)
            for a in abattoirs
        ],
        routes=[
            SlaughterRoute(
                abattoir_id=r.abattoir_id,
                site_code=r.site_code,
                distance_km=r.distance_km,
                cout_par_canard_eur=r.cout_par_canard_eur,
            )
            for r in routes
        ],
        max_wait_days=params.max_wait_days,
        waiting_cost_eur_per_duck_day=params.waiting_cost_eur_per_duck_day,
        capacity_share=params.capacity_share,
        time_limit_s=params.time_limit_s,
    )


def store_abattage_plan(
    session: Session, plan_key: str, params: AbattagePlanningInput, result: AbattagePlanningResult
) -> int:
    """Write the plan under `plan_key`, replacing whatever an earlier attempt wrote there; returns its id.

    Two attempts racing on a new key collide on the unique key: the loser fails and its retry updates.
    """
    plan = session.scalars(select(AbattagePlan).where(AbattagePlan.plan_key == plan_key)).one_or_none()
    header = {
        "date_debut": result.date_debut,
        "date_fin": result.date_fin,
        "total_cost": result.total_cost,
        "greedy_cost": result.greedy_cost,
        "optimization_ratio": result.optimization_ratio,
        "method": result.method,
        "solver_status": result.solver_status,
        "solve_seconds": result.solve_seconds,
        "n_lots": result.n_lots,
        "n_canards": result.n_canards,
        "parameters": params.model_dump(mode="json"),
        "created_at": result.planned_at,
    }
    if plan is None:
        plan = AbattagePlan(plan_key=plan_key, **header)
        session.add(plan)
        session.flush()
    else:
        for name, value in header.items():
            setattr(plan, name, value)
        session.execute(delete(AbattagePlanItem).where(AbattagePlanItem.plan_id == plan.id))
    session.add_all(
        AbattagePlanItem(
            plan_id=plan.id,
            lot_id=item.lot_id,
            abattoir_id=item.abattoir_id,
            date_abattage=item.date_abattage,
            nb_canards=item.nb_canards,
            distance_km=item.distance_km,
            jours_attente=item.jours_attente,
            cout_transport_eur=item.cout_transport,
            cout_attente_eur=item.cout_attente,
            cout_eur=item.cout,
        )
        for item in result.planning
    )
    session.flush()
    return plan.id
