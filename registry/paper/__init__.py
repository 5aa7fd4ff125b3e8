"""Paper channel of the campaign: intent postcards printed, returned scans read back, and the
appointment notices (指定通知, ``notices``) printed with the same code.

Holds the answer-side template (``layout``), PDF printing (``printing``, ``select``), reading of
scans (``scans``, ``reader``, ``pipeline``), the pure answer rules shared by scans and AI-OCR CSV
imports (``rules``), the stored scans and the review queue (``store``, ``review``,
``ocr_import``), the ``cti-registry`` commands (``commands``) and a generator of filled, degraded
scans for tests, benchmarks and the demo (``synth``).

This is the only package that may import the heavy paper libraries: reportlab (PDF), segno (QR),
pypdfium2 (PDF rendering), opencv (``cv2``), numpy and zxing-cpp (QR reading); an import-linter
contract keeps them here. They come with the optional extra ``paper``; ``layout``, ``rules``,
``review``, ``store``, ``ocr_import`` and ``commands`` import none of them, so the review queue
and the AI-OCR import work without the extra.
Otherwise it imports what ``registry`` may: SQLAlchemy and the standard library.
"""
