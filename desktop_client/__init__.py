"""The PySide6 operator client: screen-pop, resident card, booking, mobility support, wrap-up.

Holds ``link`` (ServerLink: QWebSocket + QNetworkAccessManager on the GUI thread), ``models``
(Qt-free state of each screen), ``views`` (widgets that take a model in their constructor),
``controller`` (wires the link to models and views), ``app`` (the composition root) and ``i18n``
(Qt translations; Japanese is the source language, English is selectable).
May import PySide6 and ``cti_server.protocol`` only; never the registry, SQLAlchemy or aiohttp.
"""
