"""A local stand-in for Twilio's REST API, written independently of the app's core."""
