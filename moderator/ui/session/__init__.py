"""One Twilio profile, live (see `session.Session`): the coordinator, its publisher, its poll
loop and its pre-flight runs. Qt-side only: every decision lives in `moderator.core`."""

from moderator.ui.session.session import Session

__all__ = ["Session"]
