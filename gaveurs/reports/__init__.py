"""Documents built from farm data: plain rendering functions, no I/O beyond the bytes they return."""

from gaveurs.reports.lot_pdf import render_lot_pdf

__all__ = ["render_lot_pdf"]
