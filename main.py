"""Thin launcher: `python main.py` starts Room Moderator (on the local sandbox by default)."""

import sys

from moderator.ui.app import main

if __name__ == "__main__":
    sys.exit(main())
