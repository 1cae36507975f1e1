"""Room Moderator: a desktop moderator for Twilio Programmable Video rooms."""

__version__ = "0.1.0"
