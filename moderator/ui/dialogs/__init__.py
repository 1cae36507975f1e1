"""Dialogs: dial a phone guest, create a room, profiles and keyring problems."""
