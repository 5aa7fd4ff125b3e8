"""The 会場・枠 view by keyboard alone: Tab leaves the tables and reaches every button, and
Ctrl+E applies the capacity as typed (not the value before the typing)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from cti_server.protocol import SlotInfo
from desktop_client.models.venues import VenueAdminModel, VenueRow
from desktop_client.views.venues import VenueAdminView

pytestmark = pytest.mark.gui


def make_view(qtbot):
    model = VenueAdminModel()
    model.set_venues([VenueRow(1, "中総合会館", "舞鶴市字浜 1", True)])
    day = model.day.isoformat()
    model.set_slots([SlotInfo(7, 1, f"{day}T09:00:00+09:00", f"{day}T09:30:00+09:00", 10, 0)])
    model.select_slot(7)
    view = VenueAdminView(model)
    qtbot.addWidget(view)
    view.show()
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow, timeout=5000)
    return view, model


def test_ctrl_e_applies_the_capacity_as_typed(qtbot):
    view, _ = make_view(qtbot)
    sent = []
    view.set_capacity.connect(lambda slot, cap: sent.append((slot, cap)))
    view.capacity.setFocus()
    view.capacity.lineEdit().selectAll()
    qtbot.keyClicks(view.capacity.lineEdit(), "25")
    qtbot.keyClick(view.capacity, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert sent == [(7, 25)]


def test_tab_reaches_every_button(qtbot):
    view, _ = make_view(qtbot)
    view.venues.setFocus()
    seen = []
    for _ in range(40):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
    buttons = (view.add_button, view.save_button, view.toggle_button, view.capacity_button,
               view.delete_button, view.bulk_button)  # fmt: skip
    missing = [b.text() for b in buttons if b not in seen]
    assert missing == []
    assert view.slots in seen
    assert view.name in seen


def test_editors_leave_the_views_shortcuts_alone(qtbot):
    """A ShortcutOverride the editor would claim (X11 binds Ctrl+E and Ctrl+D in line edits) is
    refused for the view's own keys, so the shortcut map fires the button's QShortcut."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent

    view, _ = make_view(qtbot)
    for editor, key in ((view.capacity, Qt.Key.Key_E), (view.name, Qt.Key.Key_D)):
        event = QKeyEvent(QEvent.Type.ShortcutOverride, key, Qt.KeyboardModifier.ControlModifier)
        event.ignore()
        QApplication.sendEvent(editor, event)
        assert not event.isAccepted()
    typed = QKeyEvent(QEvent.Type.ShortcutOverride, Qt.Key.Key_A, Qt.KeyboardModifier.NoModifier,
                      "a")  # fmt: skip
    typed.ignore()
    QApplication.sendEvent(view.name, typed)
    assert typed.isAccepted()  # ordinary typing still belongs to the field
