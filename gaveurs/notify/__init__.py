"""Messages to people: SMS through Twilio and e-mail through SMTP, exactly once, and loopback sinks for both.

tasks (the six tasks as plain functions) → outbox (person by person) → sms / mail (one message, exactly
once through the ledger, within the shared rate_limit) → the provider, or twilio_sink / smtp_sink in dev.
texts says it in French, recipients and daily_figures find who and what, privacy keeps contacts out of ids,
outcomes sums up who got what (in plain functions and workflows alike), sink_listing reads what sinks received.
"""
