"""Composition root: builds models, views, the ServerLink and the controller, and wires them.

The supervisor board is wired by ``supervisor.BoardController`` (its tab, SubscribeBoard, routing).
``build(settings)`` returns a ``Client`` without showing anything (tests, screenshots, bench);
``run(argv)`` is the real program: log in, then the main window.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QSettings,
    QSocketNotifier,
    QStandardPaths,
    QTimer,
)
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from cti_server.protocol import LoginResult

from .admin import VenueAdminController
from .agent_state import AgentStateController
from .api import Reply
from .assignment import AssignmentController
from .call_header import CallHeaderController
from .campaign import CampaignConfigController
from .controller import Controller
from .i18n import Translations
from .link import ServerLink
from .live_config import LiveConfigController
from .models.forms import BookingFormModel, MobilityFormModel
from .models.intent import IntentFormModel
from .models.options import CampaignOptions
from .models.outbox import Outbox
from .models.pop import PopModel
from .models.resident import ResidentModel
from .models.search import SearchModel
from .models.wrapup import DraftStore, WrapUpModel
from .review import ReviewController
from .supervisor import BoardController
from .views.booking import BookingView
from .views.intent import IntentFormView
from .views.labels import error_text
from .views.login import LoginDialog, LoginForm
from .views.main_window import MainWindow
from .views.mobility import MobilityView
from .views.pop import PopView
from .views.resident import ResidentCardView
from .views.wrapup import WrapUpView
from .worklist import WorklistController

log = logging.getLogger(__name__)

FONTS = ("Noto Sans CJK JP", "Noto Sans JP", "IPAexGothic", "Yu Gothic UI", "Meiryo")


@dataclass
class Client:
    settings: QSettings
    translations: Translations
    link: ServerLink
    window: MainWindow
    controller: Controller
    pop: PopModel
    search: SearchModel
    resident: ResidentModel
    booking: BookingFormModel
    mobility: MobilityFormModel
    wrapup: WrapUpModel
    outbox: Outbox
    board: BoardController
    intent: IntentFormModel
    venues: VenueAdminController
    agent: AgentStateController | None = None  # the operator's own state (status bar)
    header: CallHeaderController | None = None  # the caller header band
    review: ReviewController | None = None  # はがき確認 (supervisors and admins)
    assignment: AssignmentController | None = None  # 割り当て (supervisors and admins)
    worklist: WorklistController | None = None  # 折り返し (the callback worklist)
    config: CampaignConfigController | None = None  # キャンペーン設定 (admins)

    def set_language(self, language: str) -> None:
        if self.translations.use(language):
            # deliver the LanguageChange events now rather than on the next loop turn
            QCoreApplication.sendPostedEvents(None, QEvent.Type.LanguageChange)
            self.settings.setValue("ui/language", language)
            self.window.lang_actions[self.translations.language].setChecked(True)


def use_japanese_font(app: QApplication) -> str | None:
    """Use the first of ``FONTS`` installed; ``None`` (and a warning: Japanese text would show
    as empty boxes) when none is."""
    families = set(QFontDatabase.families())
    for name in FONTS:
        if name in families:
            font = QFont(name)
            font.setPointSizeF(max(app.font().pointSizeF(), 10.0))
            app.setFont(font)
            return name
    log.warning(
        "no Japanese font installed (%s): Japanese text may show as empty boxes; "
        "on Debian or Ubuntu: apt install fonts-noto-cjk",
        ", ".join(FONTS),
    )
    return None


def build(
    settings: QSettings, *, link: ServerLink | None = None, outbox_path: Path | None = None
) -> Client:
    app = QApplication.instance()
    assert isinstance(app, QApplication), "create the QApplication first"
    translations = Translations(app)
    translations.use(str(settings.value("ui/language", "ja")))
    link = link or ServerLink()
    pop, search, resident = PopModel(), SearchModel(), ResidentModel()
    drafts = DraftStore(outbox_path.with_name("wrapup_drafts.json") if outbox_path else None)
    options = CampaignOptions()
    booking, mobility = BookingFormModel(), MobilityFormModel(options)
    wrapup = WrapUpModel(drafts)
    outbox = Outbox(outbox_path)
    intent = IntentFormModel(options)
    card_view = ResidentCardView(resident, options)
    card_view.set_intent_form(IntentFormView(intent))
    window = MainWindow(
        PopView(pop, search),
        card_view,
        BookingView(booking),
        MobilityView(mobility),
        WrapUpView(wrapup),
        outbox,
        language=translations.language,
    )
    controller = Controller(
        link,
        window,
        pop=pop,
        search=search,
        resident=resident,
        booking=booking,
        mobility=mobility,
        wrapup=wrapup,
        outbox=outbox,
        intent=intent,
    )
    client = Client(
        settings,
        translations,
        link,
        window,
        controller,
        pop,
        search,
        resident,
        booking,
        mobility,
        wrapup,
        outbox,
        BoardController(link, window, settings),
        intent,
        VenueAdminController(link, window, booking),
        AgentStateController(link, window),
        CallHeaderController(link, window, pop, resident, options),
        ReviewController(link, window),
        AssignmentController(link, window),
        WorklistController(link, window),
        CampaignConfigController(link, window),
    )
    LiveConfigController(link, options, controller.load_dispositions, window)
    window.language_chosen.connect(client.set_language)
    return client


def login_form(settings: QSettings) -> LoginForm:
    return LoginForm(
        server=str(settings.value("login/server", LoginForm.server)),
        username=str(settings.value("login/username", "")),
        extension=str(settings.value("login/extension", "")),
    )


def save_login(settings: QSettings, form: LoginForm) -> None:
    """Everything but the password, which is never stored."""
    settings.setValue("login/server", form.server)
    settings.setValue("login/username", form.username)
    settings.setValue("login/extension", form.extension)


def ask_login(client: Client) -> LoginDialog:
    """The log-in dialog wired to the link; on success the main window shows."""
    dialog = LoginDialog(login_form(client.settings))

    def requested(server: str, username: str, password: str, extension: str) -> None:
        def done(result: Reply[LoginResult]) -> None:
            if result.ok:
                save_login(client.settings, dialog.form)
                dialog.accept()
                client.window.show()
            else:
                dialog.show_error(error_text(result.error, result.message))

        client.link.login(server, username, password, done, extension)

    dialog.login_requested.connect(requested)
    return dialog


def quit_on_signals(app: QApplication) -> QSocketNotifier:
    """SIGINT (Ctrl-C in its terminal, ``cti-demo`` stopping) and SIGTERM close the client as
    closing its window does (forms and the outbox are kept on disk at every change). Qt's loop
    runs no Python between events, so a signal alone would wait for the next timer, and Python's
    default raises ``KeyboardInterrupt`` inside whatever slot runs, where Qt swallows it: the
    signal's wake-up byte goes to a socket Qt watches, and its handler quits."""
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno())
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, app)
    notifier.sockets = (reader, writer)  # type: ignore[attr-defined]  # open while it lives

    def woken() -> None:  # the handler below has run (Python runs it before this slot)
        with contextlib.suppress(OSError):
            reader.recv(64)

    def close() -> None:
        app.closeAllWindows()  # the log-in dialog too (its own loop: quit() ends only the main
        app.quit()  # one, and only once it runs)

    def on_signal(signum: int, _frame: object) -> None:
        log.info("%s: closing", signal.Signals(signum).name)
        QTimer.singleShot(0, close)  # in the loop that runs, or the next to start

    notifier.activated.connect(woken)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    return notifier


def run(argv: list[str], *, server: str | None = None) -> int:
    app = QApplication(argv)
    app.setOrganizationName("cti-assistant")
    app.setApplicationName("cti-client")
    use_japanese_font(app)
    app.signals = quit_on_signals(app)  # type: ignore[attr-defined]  # alive while the app is
    log.info("cti-client started (Ctrl-C or SIGTERM closes it)")
    data = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))
    data.mkdir(parents=True, exist_ok=True)
    settings = QSettings()
    if server:  # given on the command line: proposed instead of the remembered address
        settings.setValue("login/server", server)
    client = build(settings, outbox_path=data / "outbox.json")
    dialog = ask_login(client)
    if dialog.exec() != LoginDialog.DialogCode.Accepted:
        return 0
    code = app.exec()
    client.link.stop()
    return code
