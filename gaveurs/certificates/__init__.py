"""Traceability certificates: a signed hash chain over a lot's records, linked to the certificate before it."""
