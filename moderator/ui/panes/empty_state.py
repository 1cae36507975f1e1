"""A centred hint drawn over an empty table, so an empty pane says what to do next."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractItemView, QLabel


class EmptyStateOverlay(QLabel):
    """Shows `text` over `view`'s viewport while its model has no rows (or when forced)."""

    def __init__(self, view: QAbstractItemView, text: str = "") -> None:
        super().__init__(text, view.viewport())
        self._view = view
        self._forced: bool | None = None
        self.setObjectName("emptyState")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        view.viewport().installEventFilter(self)
        self._watched_model: QObject | None = None
        self.watch_model()

    def watch_model(self) -> None:
        """Follow the view's current model; call again after `view.setModel`."""
        model = self._view.model()
        if model is self._watched_model or model is None:
            self.update_visibility()
            return
        self._watched_model = model
        model.rowsInserted.connect(self.update_visibility)
        model.rowsRemoved.connect(self.update_visibility)
        model.modelReset.connect(self.update_visibility)
        model.layoutChanged.connect(self.update_visibility)
        self.update_visibility()

    def set_message(self, text: str, *, force_visible: bool | None = None) -> None:
        """Change the hint; `force_visible=True` shows it even over rows (e.g. no room selected)."""
        self.setText(text)
        self._forced = force_visible
        self.update_visibility()

    def update_visibility(self) -> None:
        """Show when forced, or when the model is empty."""
        model = self._view.model()
        empty = model is None or model.rowCount() == 0
        self.setVisible(self._forced if self._forced is not None else empty)
        self._fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._fit()
        return False

    def _fit(self) -> None:
        self.setGeometry(self._view.viewport().rect().adjusted(12, 12, -12, -12))
