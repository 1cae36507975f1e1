"""App plumbing: the in-process sandbox runner, the connection indicator, the command line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests
from pytestqt.qtbot import QtBot

from moderator.ui.connection import ConnectionKind, ConnectionState
from moderator.ui.connection_indicator import ConnectionIndicator
from moderator.ui.sandbox_runner import SandboxRunner


def test_sandbox_runner_serves_demo_rooms_with_its_api_key() -> None:
    runner = SandboxRunner(demo=True, seed=7)
    runner.start()
    try:
        creds = runner.credentials()
        assert creds.uses_api_key
        response = requests.get(
            f"{runner.base_url}/v1/Rooms",
            params={"Status": "in-progress"},
            auth=(creds.username, creds.secret),
            timeout=5,
        )
        assert response.status_code == 200
        assert response.json()["rooms"], "demo mode starts with rooms in progress"
    finally:
        runner.stop()
        runner.stop()  # idempotent


@pytest.mark.parametrize(
    ("state", "text", "prop"),
    [
        (ConnectionState(ConnectionKind.ONLINE), "Online", "online"),
        (ConnectionState(ConnectionKind.RETRYING, retry_in_s=4), "retrying in 4 s", "retrying"),
        (ConnectionState(ConnectionKind.OFFLINE, retry_in_s=30), "Offline", "offline"),
        (ConnectionState(ConnectionKind.AUTH_REJECTED), "Credentials rejected", "auth-rejected"),
    ],
)
def test_connection_indicator_text_and_colour(
    qtbot: QtBot, state: ConnectionState, text: str, prop: str
) -> None:
    indicator = ConnectionIndicator()
    qtbot.addWidget(indicator)
    indicator.set_state(state)
    assert text in indicator.pill.text()
    assert indicator.pill.property("state") == prop
    assert indicator.last_refresh.text() == "Last refresh —"


def test_connection_indicator_shows_last_refresh_in_local_time(qtbot: QtBot) -> None:
    indicator = ConnectionIndicator()
    qtbot.addWidget(indicator)
    when = datetime(2024, 6, 7, 12, 3, 4, tzinfo=UTC)
    indicator.set_state(ConnectionState(ConnectionKind.ONLINE, last_success=when))
    assert indicator.last_refresh.text() == f"Last refresh {when.astimezone():%H:%M:%S}"
