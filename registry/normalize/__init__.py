"""Pure normalization of what callers and ledgers write: phone numbers (E.164), Japanese names
(kana and folded kanji keys), wareki dates, barcode IDs with their check digit, and address
keys with a graded match.

No I/O and no database: imports only the standard library, phonenumbers and jntajis.
"""
