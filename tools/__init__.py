"""Developer tools (`python -m tools.build`, the reliability report); not part of the app."""
