"""Preferences…: refresh intervals, the default country for typed numbers, notifications.

The dialog edits a copy of the values and writes them into `Settings` only on OK, so Cancel
changes nothing. Spin-box ranges are the clamps `moderator.core.settings` applies when it loads
the file, so what the host picks is exactly what is saved and read back.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from moderator.core.poller import PollSettings
from moderator.core.settings import (
    ALERT_EMPTY_MINUTES,
    ALERT_FULL_PERCENT,
    ALERT_PHONES,
    CALL_LIMIT,
    HOST_NAME_MAX,
    OTHER_ROOMS_REFRESH,
    ROOMS_REFRESH,
    SELECTED_ROOM_REFRESH,
    Settings,
    clean_host_name,
)
from moderator.ui.dialogs.dial_parts import region_choices

TWILIO_READS_PER_S = 80

RATE_NOTE = (
    f"Twilio allows {TWILIO_READS_PER_S} reads per second per account, shared with your other "
    "tools. Whatever these intervals, Room Moderator never polls more than "
    f"{PollSettings().max_reads_per_s:g} reads per second: shorter intervals make the view "
    "fresher until that budget is spent, then other rooms' counts simply update less often."
)


def _interval_spin(
    parent: QWidget, bounds: tuple[float, float, float], accessible_name: str, tooltip: str
) -> QDoubleSpinBox:
    """A seconds spin box limited to the range the settings file is clamped to."""
    default, lowest, highest = bounds
    spin = QDoubleSpinBox(parent)
    spin.setAccessibleName(accessible_name)
    spin.setToolTip(f"{tooltip} ({lowest:g}–{highest:g} s, default {default:g} s)")
    spin.setRange(lowest, highest)
    spin.setDecimals(1)
    spin.setSingleStep(0.5)
    spin.setSuffix(" s")
    spin.setValue(default)
    return spin


def _whole_spin(
    parent: QWidget, bounds: tuple[int, int, int], accessible_name: str, suffix: str
) -> QSpinBox:
    _default, lowest, highest = bounds
    spin = QSpinBox(parent)
    spin.setRange(lowest, highest)
    spin.setSuffix(suffix)
    spin.setAccessibleName(accessible_name)
    return spin


class PreferencesDialog(QDialog):
    """Shows the current preferences; `apply_to` writes the chosen ones into a `Settings`."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.setAccessibleName("Preferences")
        self.setMinimumWidth(480)

        self.rooms_spin = _interval_spin(
            self, ROOMS_REFRESH, "Rooms refresh interval", "How often the rooms list is read"
        )
        self.selected_spin = _interval_spin(
            self,
            SELECTED_ROOM_REFRESH,
            "Selected room refresh interval",
            "How often the selected room's participants and your calls are read",
        )
        self.other_rooms_spin = _interval_spin(
            self,
            OTHER_ROOMS_REFRESH,
            "Other rooms refresh interval",
            "How often each other room's participant count is read, at best",
        )
        note = QLabel(RATE_NOTE, self)
        note.setObjectName("fieldHint")
        note.setWordWrap(True)
        refresh_box = QGroupBox("Refresh", self)
        refresh_form = QFormLayout(refresh_box)
        refresh_form.addRow("&Rooms list every:", self.rooms_spin)
        refresh_form.addRow("&Selected room every:", self.selected_spin)
        refresh_form.addRow("&Other rooms' counts every:", self.other_rooms_spin)
        refresh_form.addRow(note)

        self.country_combo = QComboBox(self)
        self.country_combo.setAccessibleName("Default country")
        self.country_combo.setToolTip("Country used for numbers typed without +country code")
        self.country_combo.setMaxVisibleItems(20)
        for text, region in region_choices():
            self.country_combo.addItem(text, region)
        self.notifications_check = QCheckBox(
            "Show desktop &notifications for joins, leaves and failed dials", self
        )
        self.notifications_check.setAccessibleName("Desktop notifications")
        general_box = QGroupBox("Dialing and notifications", self)
        general_form = QFormLayout(general_box)
        general_form.addRow("Default &country:", self.country_combo)
        general_form.addRow(self.notifications_check)

        self.full_spin = _whole_spin(self, ALERT_FULL_PERCENT, "Nearly full alert", " %")
        self.phones_spin = _whole_spin(self, ALERT_PHONES, "Phone guests alert", " of 35")
        self.empty_spin = _whole_spin(self, ALERT_EMPTY_MINUTES, "Empty room alert", " min")
        self.call_limit_spin = _whole_spin(self, CALL_LIMIT, "Concurrent call limit", "")
        self.call_limit_spin.setSpecialValueText("not set")
        self.call_limit_spin.setToolTip(
            "Twilio does not report it; trial accounts get 5. Shown next to the live calls."
        )
        alerts_box = QGroupBox("Capacity alerts", self)
        alerts_form = QFormLayout(alerts_box)
        alerts_form.addRow("Room nearly &full at:", self.full_spin)
        alerts_form.addRow("&Phone guests at:", self.phones_spin)
        alerts_form.addRow("Room &empty for:", self.empty_spin)
        alerts_form.addRow("Concurrent call &limit:", self.call_limit_spin)

        self.cohosting_check = QCheckBox("&Share phone guests with co-hosts on this account", self)
        self.cohosting_check.setAccessibleName("Co-host sharing")
        self.cohosting_check.setToolTip(
            "Through Twilio Sync on the same account: label, masked number, who dialed, status "
            "and mute. Full numbers never leave this machine."
        )
        self.host_name_edit = QLineEdit(self)
        self.host_name_edit.setAccessibleName("Your name for co-hosts")
        self.host_name_edit.setMaxLength(HOST_NAME_MAX)
        self.host_name_edit.setPlaceholderText("e.g. Ana")
        self.host_name_edit.setToolTip('Co-hosts see "dialed by …" and "Also moderating: …"')
        cohost_box = QGroupBox("Co-hosts", self)
        cohost_form = QFormLayout(cohost_box)
        cohost_form.addRow(self.cohosting_check)
        cohost_form.addRow("Your &name:", self.host_name_edit)
        self.cohosting_check.toggled.connect(self.host_name_edit.setEnabled)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults,
            self,
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        restore = self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        restore.setToolTip("Put the refresh intervals back to their defaults")
        restore.clicked.connect(self.restore_default_intervals)

        layout = QVBoxLayout(self)
        layout.addWidget(refresh_box)
        layout.addWidget(general_box)
        layout.addWidget(alerts_box)
        layout.addWidget(cohost_box)
        layout.addWidget(self.buttons)

        self.rooms_spin.setValue(settings.rooms_refresh_s)
        self.selected_spin.setValue(settings.selected_room_refresh_s)
        self.other_rooms_spin.setValue(settings.other_rooms_refresh_s)
        self.set_country(settings.default_country)
        self.notifications_check.setChecked(settings.notifications_enabled)
        self.full_spin.setValue(settings.alert_full_percent)
        self.phones_spin.setValue(settings.alert_phones)
        self.empty_spin.setValue(settings.alert_empty_minutes)
        self.call_limit_spin.setValue(settings.call_limit)
        self.cohosting_check.setChecked(settings.cohosting)
        self.host_name_edit.setText(settings.host_name)
        self.host_name_edit.setEnabled(settings.cohosting)

    def set_country(self, region: str) -> None:
        """Pick `region` in the country list (an unknown code leaves the choice as it is)."""
        index = self.country_combo.findData(region.upper())
        if index >= 0:
            self.country_combo.setCurrentIndex(index)

    def country(self) -> str:
        return str(self.country_combo.currentData())

    def restore_default_intervals(self) -> None:
        """The three intervals back to their defaults; country and notifications stay."""
        self.rooms_spin.setValue(ROOMS_REFRESH[0])
        self.selected_spin.setValue(SELECTED_ROOM_REFRESH[0])
        self.other_rooms_spin.setValue(OTHER_ROOMS_REFRESH[0])

    def apply_to(self, settings: Settings) -> None:
        """Write the chosen values into `settings` (the caller saves and applies them)."""
        settings.rooms_refresh_s = self.rooms_spin.value()
        settings.selected_room_refresh_s = self.selected_spin.value()
        settings.other_rooms_refresh_s = self.other_rooms_spin.value()
        settings.default_country = self.country()
        settings.notifications_enabled = self.notifications_check.isChecked()
        settings.alert_full_percent = self.full_spin.value()
        settings.alert_phones = self.phones_spin.value()
        settings.alert_empty_minutes = self.empty_spin.value()
        settings.call_limit = self.call_limit_spin.value()
        settings.cohosting = self.cohosting_check.isChecked()
        settings.host_name = clean_host_name(self.host_name_edit.text()) or settings.host_name
