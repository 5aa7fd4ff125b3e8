"""Scanned pages from files: PNG, JPEG, TIFF (multi-page too) and PDF, as grayscale arrays.

Every page carries its source file, its page number (1-based) and a digest of its pixels (SHA-256
of the decoded grayscale image and its size): the same scan read twice has the same digest,
whatever its file name, which is what makes reading idempotent.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from registry.errors import InvalidInput

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})
SUFFIXES = IMAGE_SUFFIXES | {".pdf"}
PDF_DPI = 200  # a PDF scan is rendered at this resolution


@dataclass(frozen=True)
class Page:
    source: str
    page: int
    image: np.ndarray  # 2-D uint8, white paper high
    digest: str


def digest_of(image: np.ndarray) -> str:
    h = hashlib.sha256(f"{image.shape[0]}x{image.shape[1]}:".encode())
    h.update(np.ascontiguousarray(image).data)
    return h.hexdigest()


def scan_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """The scan files named, folders walked in name order; other files are skipped (logged)."""
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in SUFFIXES:
                    yield f
        elif p.suffix.lower() in SUFFIXES:
            yield p
        else:
            raise InvalidInput("path", f"{p}: not a scan (PNG, JPEG, TIFF or PDF) nor a folder")


def _gray(img: np.ndarray) -> np.ndarray:
    if img.ndim == 3 and img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2GRAY)
    if img.ndim == 3:
        return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    if img.dtype != np.uint8:
        return cv2.convertScaleAbs(img, alpha=255.0 / max(1.0, float(img.max())))
    return img


def _pdf_pages(data: bytes, dpi: int) -> Iterator[np.ndarray]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            bitmap = page.render(scale=dpi / 72, grayscale=True)
            arr = bitmap.to_numpy()
            yield np.array(arr[:, :, 0] if arr.ndim == 3 else arr, dtype=np.uint8)
            page.close()
    finally:
        pdf.close()


def decode_pages(data: bytes, name: str, *, dpi: int = PDF_DPI) -> Iterator[np.ndarray]:
    """The pages of one file's bytes (``name`` gives the type by its suffix)."""
    suffix = Path(name).suffix.lower()
    if suffix == ".pdf" or data[:5] == b"%PDF-":
        yield from _pdf_pages(data, dpi)
        return
    buf = np.frombuffer(data, dtype=np.uint8)
    if suffix in (".tif", ".tiff"):
        ok, mats = cv2.imdecodemulti(buf, cv2.IMREAD_UNCHANGED)
        if not ok:
            raise InvalidInput("file", f"{name}: not a readable TIFF image")
        for m in mats:
            yield _gray(m)
        return
    img = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    if img is None:
        raise InvalidInput("file", f"{name}: not a readable image")
    yield img


def read_pages(path: str | Path, *, dpi: int = PDF_DPI) -> Iterator[Page]:
    """The pages of one scan file, one at a time."""
    data = Path(path).read_bytes()
    for n, img in enumerate(decode_pages(data, str(path), dpi=dpi), start=1):
        yield Page(str(path), n, img, digest_of(img))
