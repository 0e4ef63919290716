"""Activities of weekly_reports_generation: which week and which sites, then one PDF per site."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from temporalio import activity

from activities.exports._runs import export_context
from activities.shared.progress import report
from gaveurs.contracts.export_runs import WeeklyPlan, WeeklyPlanRequest, WeeklySiteRequest
from gaveurs.contracts.exports import WeeklySiteReport
from gaveurs.db.session import session_scope
from gaveurs.errors import EmptySelection
from gaveurs.exports.documents import export_weekly_site_report
from gaveurs.farm.queries import site_codes
from gaveurs.faults import pause_point
from gaveurs.reports.site_data import last_week
from gaveurs.schedules.declarations import PARIS


@activity.defn(name="plan_weekly_reports")
def plan_weekly_reports(request: WeeklyPlanRequest) -> WeeklyPlan:
    """The week asked for, else the last complete week before the run's moment read in Paris time (where the
    schedule's Monday 06:00 is meant: a run started by hand at 23:30 UTC on a Sunday is already on Monday
    there); and every site, each of which gets its report, a quiet week included."""
    monday = request.week_start or last_week(request.reference.astimezone(ZoneInfo(PARIS)).date())
    with session_scope() as session:
        sites = site_codes(session)
    if not sites:
        raise EmptySelection.error("no site in the database: there is no weekly report to write")
    return WeeklyPlan(week_start=monday, site_codes=sites)


@activity.defn(name="render_weekly_site_report")
def render_weekly_site_report(request: WeeklySiteRequest) -> WeeklySiteReport:
    ctx = export_context(request.run)
    stage = f"rapport du site {request.site_code}"
    report(5, stage)
    # One site at a time can be held here (tests: cancel while the other sites' reports are published).
    pause_point(f"render_weekly_site_report.before_render.{request.site_code}", lambda: report(5, stage))
    return export_weekly_site_report(ctx, request.site_code, request.week_start)
