"""Benchmarks for Room Moderator: `python -m bench [--quick]` (see README, "Performance")."""
