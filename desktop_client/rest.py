"""JSON over HTTP with QNetworkAccessManager, on the GUI thread; answers come back as ApiResult."""

from __future__ import annotations

import json
import logging
import mimetypes
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QFile, QIODevice, QObject, QUrl
from PySide6.QtNetwork import (
    QHttpMultiPart,
    QHttpPart,
    QNetworkAccessManager,
    QNetworkReply,
    QNetworkRequest,
)

log = logging.getLogger(__name__)

TIMEOUT_MS = 10_000
UPLOAD_TIMEOUT_MS = 600_000  # the server reads every page before it answers (~10 pages/s)


@dataclass(frozen=True)
class ApiResult:
    status: int  # HTTP status; 0 when the server could not be reached
    data: Any = None
    error: str = ""  # the server's error id, or "network" / "bad_json"
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def network(self) -> bool:
        """True when the request never got an HTTP answer (retry later)."""
        return self.status == 0


Done = Callable[[ApiResult], None]


class RestClient(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.nam = QNetworkAccessManager(self)
        self.base_url = ""
        self.token = ""
        self._replies: set[QNetworkReply] = set()

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        done: Done | None = None,
        headers: dict[str, str] | None = None,
    ) -> QNetworkReply:
        req = QNetworkRequest(QUrl(self.base_url.rstrip("/") + path))
        req.setTransferTimeout(TIMEOUT_MS)
        req.setHeader(QNetworkRequest.KnownHeaders.ContentTypeHeader, "application/json")
        if self.token:
            req.setRawHeader(b"Authorization", f"Bearer {self.token}".encode())
        for k, v in (headers or {}).items():
            req.setRawHeader(k.encode(), v.encode())
        data = (
            QByteArray(json.dumps(body, ensure_ascii=False).encode()) if body is not None else None
        )
        reply = self.nam.sendCustomRequest(req, method.encode(), data or QByteArray())
        self._replies.add(reply)
        reply.finished.connect(lambda: self._finished(reply, method, path, done))
        return reply

    def fetch_bytes(self, path: str, done: Callable[[bytes | None], None]) -> None:
        """GET ``path`` and hand its body (an image) to ``done``; None when it failed."""
        req = QNetworkRequest(QUrl(self.base_url.rstrip("/") + path))
        req.setTransferTimeout(TIMEOUT_MS)
        if self.token:
            req.setRawHeader(b"Authorization", f"Bearer {self.token}".encode())
        reply = self.nam.get(req)
        self._replies.add(reply)

        def finished() -> None:
            self._replies.discard(reply)
            reply.deleteLater()
            status = reply.attribute(QNetworkRequest.Attribute.HttpStatusCodeAttribute)
            ok = status is not None and 200 <= int(status) < 300
            done(bytes(reply.readAll().data()) if ok else None)

        reply.finished.connect(finished)

    def post_for_bytes(self, path: str, body: Any, done: Done) -> None:
        """POST ``body`` (JSON) to ``path`` for a file (a PDF): ``done`` gets an ApiResult whose
        ``data`` is the body's bytes when it succeeded, or the server's error."""
        req = QNetworkRequest(QUrl(self.base_url.rstrip("/") + path))
        req.setTransferTimeout(UPLOAD_TIMEOUT_MS)
        req.setHeader(QNetworkRequest.KnownHeaders.ContentTypeHeader, "application/json")
        if self.token:
            req.setRawHeader(b"Authorization", f"Bearer {self.token}".encode())
        data = QByteArray(json.dumps(body, ensure_ascii=False).encode())
        reply = self.nam.post(req, data)
        self._replies.add(reply)

        def finished() -> None:
            self._replies.discard(reply)
            reply.deleteLater()
            status = reply.attribute(QNetworkRequest.Attribute.HttpStatusCodeAttribute)
            if status is not None and 200 <= int(status) < 300:
                done(ApiResult(int(status), bytes(reply.readAll().data())))
            else:
                done(parse_reply(reply))

        reply.finished.connect(finished)

    def upload_files(self, path: str, files: list[str], done: Done) -> None:
        """POST ``files`` to ``path`` as multipart/form-data (field ``file`` each), streamed
        from disk; a file that cannot be opened is answered at once as a local error."""
        multi = QHttpMultiPart(QHttpMultiPart.ContentType.FormDataType)
        for name in files:
            device = QFile(name, multi)
            if not device.open(QIODevice.OpenModeFlag.ReadOnly):
                multi.deleteLater()
                done(ApiResult(0, None, "file", f"{name}: {device.errorString()}", {"file": name}))
                return
            part = QHttpPart()
            kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
            part.setHeader(QNetworkRequest.KnownHeaders.ContentTypeHeader, kind)
            filename = Path(name).name  # the server keeps the suffix only (PNG, PDF ...)
            if not filename.isascii() or '"' in filename:
                filename = "scan" + Path(name).suffix.lower()
            part.setHeader(
                QNetworkRequest.KnownHeaders.ContentDispositionHeader,
                f'form-data; name="file"; filename="{filename}"',
            )
            part.setBodyDevice(device)
            multi.append(part)
        req = QNetworkRequest(QUrl(self.base_url.rstrip("/") + path))
        req.setTransferTimeout(UPLOAD_TIMEOUT_MS)
        if self.token:
            req.setRawHeader(b"Authorization", f"Bearer {self.token}".encode())
        reply = self.nam.post(req, multi)
        multi.setParent(reply)  # the files stay open until the reply is gone
        self._replies.add(reply)
        reply.finished.connect(lambda: self._finished(reply, "POST", path, done))

    def abort_all(self) -> None:
        for reply in list(self._replies):
            reply.abort()

    def _finished(self, reply: QNetworkReply, method: str, path: str, done: Done | None) -> None:
        self._replies.discard(reply)
        reply.deleteLater()
        result = parse_reply(reply)
        log.debug("%s %s -> %s %s", method, path.split("?")[0], result.status, result.error)
        if done is not None:
            done(result)


def parse_reply(reply: QNetworkReply) -> ApiResult:
    status = reply.attribute(QNetworkRequest.Attribute.HttpStatusCodeAttribute)
    if status is None:
        return ApiResult(0, None, "network", reply.errorString())
    raw = bytes(reply.readAll().data())
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        return ApiResult(int(status), None, "bad_json", raw[:200].decode("utf-8", "replace"))
    if 200 <= int(status) < 300:
        return ApiResult(int(status), data)
    if isinstance(data, dict):
        details = data.get("details") if isinstance(data.get("details"), dict) else {}
        return ApiResult(
            int(status), data, str(data.get("error", "")), str(data.get("message", "")), details
        )
    return ApiResult(int(status), data, f"http_{status}", "")
