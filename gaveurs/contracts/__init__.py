"""Typed inputs and outputs of every workflow and activity, shared by the API, workflows and workers.

Outputs keep the seed's JSON keys (`status`, `lot_id`, `formula`, `r2_score`, `pdf_url`, …) so the existing
frontend reads them unchanged. Nothing here imports heavy libraries: the API loads this package.
"""
