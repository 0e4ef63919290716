"""Messages to people: SMS through Twilio (and its loopback stand-in for dev and tests)."""
