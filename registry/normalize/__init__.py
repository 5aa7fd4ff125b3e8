"""Pure normalization of what callers and ledgers write: phone numbers (E.164), Japanese names
(kana and folded kanji keys), wareki dates and barcode IDs with their check digit.

No I/O and no database: imports only the standard library, phonenumbers and jntajis.
"""
