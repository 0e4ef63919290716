"""Documents built from farm data: plain rendering functions, no I/O beyond the bytes they return."""

from gaveurs.reports.lot_pdf import render_lot_pdf, write_lot_pdf
from gaveurs.reports.site_pdf import (
    render_site_pdf,
    render_weekly_site_pdf,
    write_site_pdf,
    write_weekly_site_pdf,
)

__all__ = [
    "render_lot_pdf", "render_site_pdf", "render_weekly_site_pdf", "write_lot_pdf", "write_site_pdf",
    "write_weekly_site_pdf",
]  # fmt: skip
