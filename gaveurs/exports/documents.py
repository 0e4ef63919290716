"""Whole exports that produce documents: lot, site and weekly PDFs, and traceability certificates.

Each one loads its data (a separate, typed step), renders it to a stream with progress, and publishes the file
through the artifact store (run-specific name + seed-style alias, indexed). They are what the activities call,
split where the activity layer wants separate steps (load_*, render_*, publish).
"""

from __future__ import annotations

from datetime import date, timedelta

from gaveurs.certificates.issue import certificate_id_for, issue_certificate
from gaveurs.certificates.keys import signing_key
from gaveurs.certificates.render import write_certificate_json
from gaveurs.contracts.certificates import BlockchainCertificateInput, CertificateResult
from gaveurs.contracts.exports import (
    LotPdfReportInput,
    LotPdfReportResult,
    SitePdfReportInput,
    SitePdfReportResult,
    WeeklyReportsInput,
    WeeklyReportsResult,
    WeeklySiteReport,
)
from gaveurs.db.session import session_scope
from gaveurs.errors import LotNotFound
from gaveurs.exports.context import ExportContext, day_tag, url_of
from gaveurs.farm import queries
from gaveurs.farm.queries import site_codes
from gaveurs.reports.lot_pdf import write_lot_pdf
from gaveurs.reports.site_data import last_week, site_report_data, weekly_report_data
from gaveurs.reports.site_pdf import write_site_pdf, write_weekly_site_pdf

PDF = "application/pdf"
JSON = "application/json"


def lot_report_alias(lot_id: int, report_type: str, generated_on: date) -> str:
    """The seed's name: `reports/lot_3472_complete_20260108.pdf`."""
    return f"reports/lot_{lot_id}_{report_type}_{day_tag(generated_on)}.pdf"


def export_lot_pdf_report(ctx: ExportContext, params: LotPdfReportInput) -> LotPdfReportResult:
    """`generate_lot_pdf_report`. Raises LotNotFound."""
    ctx.progress(2, "lecture des données du lot")
    with session_scope(ctx.engine) as session:
        data = queries.lot_report_data(session, params.lot_id)
    if data is None:
        raise LotNotFound.error(f"lot {params.lot_id} not found", lot_id=params.lot_id)
    alias = lot_report_alias(data.lot_id, params.report_type, ctx.stamp.date())
    with ctx.open_artifact(alias, kind="lot_pdf_report", content_type=PDF, lot_id=data.lot_id) as out:
        write_lot_pdf(data, params.report_type, out, generated_at=ctx.stamp, on_progress=ctx.on_progress)
        stored = out.commit()
    return LotPdfReportResult(
        lot_id=data.lot_id,
        report_type=params.report_type,
        pdf_url=url_of(stored.path),
        file_size=stored.size_bytes,
        sha256=stored.sha256,
        generated_at=ctx.stamp,
    )


def export_site_pdf_report(ctx: ExportContext, params: SitePdfReportInput) -> SitePdfReportResult:
    """`generate_site_pdf_report`. Raises SiteNotFound, InvalidDateRange, EmptySelection."""
    ctx.progress(2, "lecture des données du site")
    with session_scope(ctx.engine) as session:
        data = site_report_data(session, params.site_code, params.date_debut, params.date_fin)
    alias = (
        f"reports/site_{data.site_code}_{day_tag(data.date_debut)}-{day_tag(data.date_fin)}"
        f"_{day_tag(ctx.stamp)}.pdf"
    )
    with ctx.open_artifact(alias, kind="site_pdf_report", content_type=PDF) as out:
        write_site_pdf(data, out, generated_at=ctx.stamp, on_progress=ctx.on_progress)
        stored = out.commit()
    return SitePdfReportResult(
        site_code=data.site_code,
        date_debut=data.date_debut,
        date_fin=data.date_fin,
        lots=data.kpis.lots,
        pdf_url=url_of(stored.path),
        file_size=stored.size_bytes,
        sha256=stored.sha256,
        generated_at=ctx.stamp,
    )


def export_weekly_site_report(ctx: ExportContext, site_code: str, monday: date) -> WeeklySiteReport:
    """One site's weekly PDF: the unit the weekly workflow fans out over (one activity per site)."""
    with session_scope(ctx.engine) as session:
        data = weekly_report_data(session, site_code, monday)
    alias = f"reports/weekly_{site_code}_{data.iso_year}-W{data.iso_week:02d}.pdf"
    with ctx.open_artifact(alias, kind="weekly_site_report", content_type=PDF) as out:
        write_weekly_site_pdf(data, out, generated_at=ctx.stamp)
        stored = out.commit()
    return WeeklySiteReport(
        site_code=site_code,
        lots=data.site.kpis.lots,
        pdf_url=url_of(stored.path),
        file_size=stored.size_bytes,
        sha256=stored.sha256,
    )


def export_weekly_reports(ctx: ExportContext, params: WeeklyReportsInput) -> WeeklyReportsResult:
    """`weekly_reports_generation`: every site's report for the week (default: the last complete week)."""
    monday = params.week_start or last_week(ctx.stamp.date())
    with session_scope(ctx.engine) as session:
        sites = site_codes(session)
    reports = []
    for index, site in enumerate(sites):
        ctx.progress(5 + 90 * index // max(len(sites), 1), f"rapport du site {site}")
        reports.append(export_weekly_site_report(ctx, site, monday))
    ctx.progress(100, "rapports prêts")
    return WeeklyReportsResult(
        week_start=monday,
        week_end=monday + timedelta(days=6),
        iso_week=monday.isocalendar()[1],
        reports=reports,
        generated_at=ctx.stamp,
    )


def export_certificate(ctx: ExportContext, params: BlockchainCertificateInput) -> CertificateResult:
    """`generate_blockchain_certificate`: issue (or find, on a retry) the certificate, then its JSON file.

    Raises LotNotFound, LotNotCertifiable.
    """
    row = issue_certificate(
        ctx.engine,
        params.lot_id,
        params.certificate_type,
        key=signing_key(ctx.settings),
        created_at=ctx.stamp,
        certificate_id=certificate_id_for(params.lot_id, ctx.task_id, ctx.run_id),
        task_id=ctx.task_id,
        on_progress=ctx.on_progress,
    )
    alias = f"certificates/{row.id}.json"
    with ctx.open_artifact(alias, kind="certificate", content_type=JSON, lot_id=row.lot_id) as out:
        write_certificate_json(row, out)
        stored = out.commit()
    ctx.progress(100, "certificat prêt")
    return CertificateResult(
        certificate_id=row.id,
        lot_id=row.lot_id,
        code_lot=row.code_lot,
        certificate_type=params.certificate_type,
        seq=row.seq,
        chain_head_hash=row.chain_head_hash,
        previous_certificate_hash=row.previous_certificate_hash,
        certificate_hash=row.certificate_hash,
        signature=row.signature,
        public_key_id=row.public_key_id,
        records=len(row.records),
        certificate_url=url_of(stored.path),
        file_size=stored.size_bytes,
        sha256=stored.sha256,
        verify_url=f"/api/certificates/{row.id}/verify",
        generated_at=ctx.stamp,
    )
