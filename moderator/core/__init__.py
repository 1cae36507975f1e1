"""Qt-free domain layer: the Twilio gateway, errors, TwiML, phone numbers, pre-flight, journal."""
