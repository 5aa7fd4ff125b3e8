"""Asking for a pause reason: a pick-or-type list whose buttons speak the UI language.

``QInputDialog.getItem`` shows Qt's own "OK" / "Cancel" (untranslated unless Qt's catalogues
are installed); this dialog names its buttons through ``t()``. Used by the supervisor board
(pausing an operator) and by the operator's own 休止 button.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QInputDialog, QWidget

from ..i18n import translate


def pause_reason_dialog(
    parent: QWidget | None, title: str, prompt: str, reasons: list[str]
) -> QInputDialog:
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setLabelText(prompt)
    dialog.setComboBoxItems(reasons)
    dialog.setComboBoxEditable(True)
    dialog.setOkButtonText(translate("pause_dialog", "休止する"))
    dialog.setCancelButtonText(translate("pause_dialog", "キャンセル"))
    return dialog


def ask_pause_reason(
    parent: QWidget | None, title: str, prompt: str, reasons: list[str]
) -> tuple[str, bool]:
    """(reason, accepted), as ``QInputDialog.getItem`` answers."""
    dialog = pause_reason_dialog(parent, title, prompt, reasons)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    reason = dialog.textValue().strip()
    dialog.deleteLater()
    return reason, accepted
