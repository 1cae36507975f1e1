"""The dial dialog's parts that need none of its state: what it asks of the session, the
country and caller-ID choices, and how the pre-flight checks are listed."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Protocol

import phonenumbers
from PySide6.QtCore import QLocale, Qt, SignalInstance
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem

from moderator.core import phone
from moderator.core.dialer import DialRequest
from moderator.core.models import CallerId, CallerIdSource
from moderator.core.preflight import CheckResult
from moderator.ui import resources

__all__ = [
    "EMPTY_NUMBER_HINT",
    "MAX_ADDRESS_LENGTH",
    "MAX_LABEL_LENGTH",
    "MAX_SIP_PASSWORD_LENGTH",
    "MAX_SIP_USERNAME_LENGTH",
    "DialBackend",
    "PreflightHandle",
    "caller_id_text",
    "fill_checks",
    "html_escape",
    "region_choices",
    "set_hint",
    "show_checks_pending",
    "sip_auth_hint",
    "sip_auth_problem",
]

MAX_LABEL_LENGTH = 64
#: Room for a SIP URI, and a little more, so an over-long one is explained, not cut short.
MAX_ADDRESS_LENGTH = 300
MAX_SIP_USERNAME_LENGTH = 128
MAX_SIP_PASSWORD_LENGTH = 128
#: Under the empty field: the one place that says a SIP address may be typed there too.
EMPTY_NUMBER_HINT = "Or a SIP address, e.g. sip:alice@pbx.example.com"


class PreflightHandle(Protocol):
    """A running pre-flight (the session's `PreflightRun`): results come on `finished`."""

    @property
    def finished(self) -> SignalInstance: ...

    def cancel(self) -> None: ...


class DialBackend(Protocol):
    """What the dialog needs from the session (Session satisfies this)."""

    def preflight(self, request: DialRequest, *, default_region: str = ...) -> PreflightHandle: ...

    def dial(self, request: DialRequest) -> str: ...


@cache
def _regions() -> list[tuple[str, str]]:
    """(display text, region code) for every region phonenumbers knows, sorted by name.

    Country codes come from phonenumbers' small code→regions table, not per-region metadata,
    which would load every country's metadata on the UI thread when the dialog first opens.
    """
    codes = {
        region: code
        for code, regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items()
        for region in regions
    }
    entries = []
    for region in phonenumbers.SUPPORTED_REGIONS:
        territory = QLocale.codeToTerritory(region)
        name = QLocale.territoryToString(territory) if territory.value else region
        entries.append((f"{name} (+{codes.get(region, '?')})", region))
    entries.sort(key=lambda e: e[0].casefold())
    return entries


def region_choices() -> list[tuple[str, str]]:
    """The country picker's (text, region) entries; Preferences lists the very same ones."""
    return _regions()


def caller_id_text(caller_id: CallerId) -> str:
    """ "+1 415-555-0100 — Main line (number)": what the caller-ID picker shows."""
    kind = "number" if caller_id.source is CallerIdSource.INCOMING_NUMBER else "verified"
    number = phone.format_international(caller_id.phone_number)
    name = caller_id.friendly_name.strip()
    if name and name != caller_id.phone_number and name != number:
        return f"{number} — {name} ({kind})"
    return f"{number} ({kind})"


def fill_checks(checks_list: QListWidget, results: Sequence[CheckResult]) -> None:
    """One line per check: a pass/fail icon, the reason (or the check's name), spoken too."""
    checks_list.clear()
    for result in results:
        icon = resources.icon("check-pass" if result.passed else "check-fail")
        text = result.reason if result.reason else result.name
        item = QListWidgetItem(icon, text, checks_list)
        item.setToolTip(f"{result.name}: {'passed' if result.passed else 'failed'}")
        item.setData(
            Qt.ItemDataRole.AccessibleTextRole,
            f"{'Passed' if result.passed else 'Failed'}: {result.reason or result.name}",
        )


def show_checks_pending(checks_list: QListWidget) -> None:
    """The checks are running again: every line's icon says so (or one "Checking…" line)."""
    if checks_list.count() == 0:
        QListWidgetItem(resources.icon("check-pending"), "Checking…", checks_list)
        return
    for row in range(checks_list.count()):
        item = checks_list.item(row)
        item.setIcon(resources.icon("check-pending"))


def html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sip_auth_problem(username: str, password: str, *, remember: bool) -> str | None:
    """Why these SIP digest credentials cannot be used, in one line, or None."""
    if password and not username:
        return "Type the SIP username that goes with this password."
    if username and not password and not remember:
        return "Type the SIP password, or tick Remember to use the saved one."
    return None


def sip_auth_hint(username: str, password: str, *, remember: bool) -> str:
    """What will happen with these (valid) credentials, under the fields."""
    if not username:
        return "No credentials: for endpoints that do not challenge the call."
    if password:
        if remember:
            return "The password is saved in the system keyring when you dial."
        return "The password is used for this dial only."
    return "The password saved in the system keyring for this username is used."


def set_hint(label: QLabel, text: str, *, error: bool = False) -> None:
    """A field's line under it: a hint, or (styled as one) an error."""
    label.setText(text)
    label.setObjectName("fieldError" if error else "fieldHint")
    label.style().unpolish(label)
    label.style().polish(label)
