"""Which HTTP requests were sent from the GUI thread: the property "the UI never waits on the
network", checked where every request passes (requests' HTTPAdapter.send, under the twilio SDK)
instead of guessed from how late a timer fired on a machine that may be busy elsewhere."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
from requests.adapters import HTTPAdapter


@contextmanager
def network_on_gui_thread(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Yields a list that collects "METHOD path" of every request sent from the main thread."""
    sent: list[str] = []
    original = HTTPAdapter.send

    def send(self: HTTPAdapter, request: Any, *args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is threading.main_thread():
            sent.append(f"{request.method} {urlsplit(request.url).path}")
        return original(self, request, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(HTTPAdapter, "send", send)
        yield sent
