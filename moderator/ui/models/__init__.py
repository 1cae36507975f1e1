"""Table models for the rooms, roster and event log panes, updated by diff, never reset."""
