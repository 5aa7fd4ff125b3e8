"""The words of the residents' page, in Japanese (the default) and English (``?lang=en``).

``texts(lang)`` gives a mapping the templates read as ``t.key``. The answers' labels are the
postcard's (``registry.paper.layout``), so the web and the paper ask the same questions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

LANGS = ("ja", "en")

_TEXT: dict[str, tuple[str, str]] = {
    "site": ("新型コロナワクチン 接種の意向確認", "COVID-19 vaccination: your answer"),
    "city": ("市役所 ワクチン接種コールセンター", "City vaccination call center"),
    "switch": ("English", "日本語"),
    "skip": ("本文へ移動", "Skip to content"),
    "identify_title": ("ご本人の確認", "Confirm who you are"),
    "identify_intro": (
        "お手元のはがきに印刷された12けたの番号と、生年月日を入力してください。",
        "Enter the 12-digit number printed on your postcard and your date of birth.",
    ),
    "barcode": ("はがきの番号（12けた）", "Postcard number (12 digits)"),
    "barcode_hint": (
        "例：1234 5678 9012（空白やハイフンはあってもなくてもかまいません）",
        "For example 1234 5678 9012 (spaces or hyphens are fine).",
    ),
    "birth": ("生年月日", "Date of birth"),
    "birth_hint": (
        "例：昭和15年4月1日、S15.4.1、1940/4/1",
        "For example 1940/4/1, 1940-04-01 or 昭和15年4月1日.",
    ),
    "next": ("次へ", "Continue"),
    "errors_title": ("入力内容を確認してください", "Please check what you entered"),
    "err_barcode_empty": ("はがきの番号を入力してください。", "Enter the postcard number."),
    "err_barcode_digits": (
        "はがきの番号は数字12けたです。",
        "The postcard number has 12 digits.",
    ),
    "err_barcode_check": (
        "はがきの番号が正しくありません。打ち間違いがないか確かめてください。",
        "This postcard number is not right. Please check each digit.",
    ),
    "barcode_ok": ("番号の形は正しいです。", "The number looks right."),
    "err_birth_empty": ("生年月日を入力してください。", "Enter your date of birth."),
    "err_birth_format": (
        "生年月日を読み取れません。例のように入力してください。",
        "We cannot read this date. Please write it like the example.",
    ),
    "err_not_matched": (
        "はがきの番号または生年月日が登録内容と一致しません。",
        "The postcard number or the date of birth does not match our records.",
    ),
    "err_locked": (
        "確認に続けて失敗したため、しばらく受け付けられません。時間をおいてお試しいただくか、"
        "コールセンターにお電話ください。",
        "Too many tries in a row. Please try again later, or call the call center.",
    ),
    "err_locked_for": (
        "確認に続けて失敗したため、あと{minutes}分ほど受け付けられません。時間をおいてお試しいただく"
        "か、コールセンターにお電話ください。",
        "Too many tries in a row: please try again in about {minutes} minutes, or call the call "
        "center.",
    ),
    "err_busy": (
        "短い時間に多くの送信があったため、しばらく受け付けられません。数分おいてからお試しくだ"
        "さい。",
        "Too many submissions in a short time. Please wait a few minutes and try again.",
    ),
    "err_expired": (
        "画面の有効期限が切れました。もう一度はじめからお試しください。",
        "This page has expired. Please start again.",
    ),
    "start_again": ("はじめからやり直す", "Start again"),
    "home_title": ("あなたの回答と予約", "Your answer and booking"),
    "hello": ("{name} 様", "{name}"),
    "answer_none": ("まだ回答がありません。", "No answer yet."),
    "answer_latest": ("最新の回答", "Your latest answer"),
    "answered_via": ("回答方法", "Answered by"),
    "answered_at": ("回答日時", "Answered at"),
    "answer_now": ("回答する", "Answer"),
    "answer_change": ("回答を変更する", "Change your answer"),
    "booking_title": ("接種の予定", "Your vaccination appointment"),
    "booking_none": (
        "まだ予定は決まっていません。決まりしだい、はがきでお知らせします。",
        "No appointment yet. We will send you a postcard when it is set.",
    ),
    "booking_date": ("日時", "Date and time"),
    "booking_venue": ("会場", "Venue"),
    "booking_dose": ("回目", "Dose"),
    "change_title": ("予定の変更を依頼する", "Ask for a change"),
    "change_intro": (
        "コールセンターから折り返しお電話します。この画面では予定は変わりません。",
        "The call center will call you back. This page does not change the appointment.",
    ),
    "change_kind": ("ご希望", "What do you need?"),
    "kind_reschedule": ("日時や会場を変えたい", "Another date, time or venue"),
    "kind_cancel": ("接種を取りやめたい", "Cancel the vaccination"),
    "kind_other": ("その他", "Something else"),
    "change_note": ("連絡事項（任意・500字まで）", "Message (optional, up to 500 characters)"),
    "change_send": ("変更を依頼する", "Send the request"),
    "change_pending": (
        "お送りいただいたご依頼です。コールセンターからご連絡します（もう一度送る必要はありません）。",
        "Requests you sent: the call center will contact you (no need to send them again).",
    ),
    "err_kind": ("ご希望を選んでください。", "Choose what you need."),
    "err_note_long": ("連絡事項は500字までです。", "The message is limited to 500 characters."),
    "answer_title": ("接種の意向について", "About your vaccination"),
    "q_wants": ("新型コロナワクチンの接種を希望しますか", "Do you want the COVID-19 vaccination?"),
    "q_mobility": ("会場までの移動に支援が必要ですか", "Do you need help getting to the venue?"),
    "q_time": ("希望する時間帯", "Preferred time of day"),
    "q_venue": ("希望する会場（任意）", "Preferred venue (optional)"),
    "venue_any": ("指定しない", "No preference"),
    "q_note": (
        "その他のご要望（任意・500字まで）",
        "Anything else (optional, up to 500 characters)",
    ),
    "q_required_if_yes": ("「はい」のときは選んでください。", "Choose one if you answered yes."),
    "err_wants": ("接種を希望するかどうかを選んでください。", "Choose yes or no."),
    "err_mobility": ("移動の支援について選んでください。", "Choose whether you need help."),
    "err_time": ("希望する時間帯を選んでください。", "Choose a time of day."),
    "err_venue": ("会場を一覧から選んでください。", "Choose a venue from the list."),
    "send": ("回答を送信する", "Send your answer"),
    "yes": ("はい", "Yes"),
    "no": ("いいえ", "No"),
    "none": ("不要", "No help needed"),
    "pickup": ("送迎", "Pick-up"),
    "wheelchair": ("車いす", "Wheelchair"),
    "companion": ("付き添い", "Someone to accompany me"),
    "am": ("午前", "Morning"),
    "pm": ("午後", "Afternoon"),
    "any": ("どちらでも", "Either"),
    "unanswered": ("未回答", "Not answered"),
    "done_answer_title": ("回答を受け付けました", "We have received your answer"),
    "done_change_title": ("変更のご依頼を受け付けました", "We have received your request"),
    "done_change_body": (
        "コールセンターから折り返しお電話します。しばらくお待ちください。",
        "The call center will call you back.",
    ),
    "your_answer": ("受け付けた内容", "What we received"),
    "answer_details": ("回答の詳細", "Details (as recorded)"),
    "received_at": ("受付日時", "Received at"),
    "back_home": ("回答と予約の画面へ戻る", "Back to your answer and booking"),
    "logout": ("終了する", "Finish"),
    "logged_out": (
        "終了しました。ご利用ありがとうございました。",
        "You have finished. Thank you.",
    ),
    "channel_web": ("ウェブ", "web"),
    "channel_phone": ("電話", "phone"),
    "channel_postcard_ocr": ("はがき", "postcard"),
    "channel_assigned": ("市が指定", "assigned by the city"),
    "privacy": (
        "入力された内容は接種の案内のためにだけ使います。",
        "What you enter is used only to arrange your vaccination.",
    ),
}


def lang_of(value: str | None) -> str:
    return value if value in LANGS else "ja"


def texts(lang: str) -> Mapping[str, str]:
    i = LANGS.index(lang_of(lang))
    return {key: pair[i] for key, pair in _TEXT.items()}


_WEEKDAYS = ("月", "火", "水", "木", "金", "土", "日")


def slot_text(starts: dt.datetime, ends: dt.datetime, zone: dt.tzinfo, lang: str) -> str:
    """``2031年5月12日（月）10:00〜10:30`` / ``Mon 12 May 2031, 10:00–10:30`` in ``zone``."""
    a, b = starts.astimezone(zone), ends.astimezone(zone)
    if lang_of(lang) == "en":
        return f"{a:%a} {a.day} {a:%B %Y}, {a:%H:%M}–{b:%H:%M}"
    return f"{a.year}年{a.month}月{a.day}日（{_WEEKDAYS[a.weekday()]}）{a:%H:%M}〜{b:%H:%M}"


def stamp_text(at: dt.datetime, zone: dt.tzinfo, lang: str) -> str:
    t = at.astimezone(zone)
    if lang_of(lang) == "en":
        return f"{t.day} {t:%B %Y}, {t:%H:%M}"
    return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}"


_NOTE_KEYS = {"移動支援": "Help getting there", "希望時間帯": "Time of day",
              "希望会場": "Venue", "要望": "Note"}  # fmt: skip
_NOTE_VALUES = {ja: en for ja, en in _TEXT.values()}


def notes_text(notes: str, lang: str) -> str:
    """An intent's notes (``移動支援: 送迎 / 希望時間帯: 午後``) in the page's language: the
    postcard's labels are translated, what the resident wrote is left as written."""
    if lang_of(lang) == "ja" or not notes:
        return notes
    parts = []
    for part in notes.split(" / "):
        key, sep, value = part.partition(": ")
        if sep and key in _NOTE_KEYS:
            value = value if key in ("希望会場", "要望") else _NOTE_VALUES.get(value, value)
            part = f"{_NOTE_KEYS[key]}: {value}"
        parts.append(part)
    return " / ".join(parts)
