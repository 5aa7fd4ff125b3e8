"""The client picks a Japanese font, and says so plainly when the machine has none."""

from __future__ import annotations

import logging

import pytest
from PySide6.QtWidgets import QApplication

from desktop_client import app as client_app


@pytest.fixture
def font_kept(qapp: QApplication):  # type: ignore[no-untyped-def]
    before = qapp.font()
    yield qapp
    qapp.setFont(before)


def test_the_first_installed_japanese_font_is_used(font_kept, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(
        client_app.QFontDatabase, "families", staticmethod(lambda: ["DejaVu Sans", "IPAexGothic"])
    )
    assert client_app.use_japanese_font(font_kept) == "IPAexGothic"
    assert font_kept.font().family() == "IPAexGothic"


def test_no_japanese_font_is_a_warning_that_names_the_fix(font_kept, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(client_app.QFontDatabase, "families", staticmethod(lambda: ["DejaVu Sans"]))
    family = font_kept.font().family()
    with caplog.at_level(logging.WARNING, logger="desktop_client.app"):
        assert client_app.use_japanese_font(font_kept) is None
    assert font_kept.font().family() == family
    assert "fonts-noto-cjk" in caplog.text
    assert "Noto Sans CJK JP" in caplog.text
