"""The main window's three panes: rooms, the selected room's participants, and the event log."""
