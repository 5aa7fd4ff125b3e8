"""UI text: the words of codes and values, context "labels" (``translate("labels", ...)``).

Japanese is the source language; desktop_client/i18n holds the English translation.
Models give codes (caller status, reasons, eras, dispositions); these functions word them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cti_server.protocol import CallerInfo, ReconfigureApplied, SlotInfo, SlotsLaidOut, Venue

from ..i18n import QT_TRANSLATE_NOOP, current_language, translate
from ..models.dates import local_time, parse_iso_date, to_wareki


def joined(items: Any) -> str:
    """A list in running text: 「A、B」 in Japanese, "A, B" in English."""
    return ("、" if current_language() == "ja" else ", ").join(items)


def caller_text(caller: CallerInfo) -> str:
    if caller.status == "number" and caller.display:
        return caller.display
    return {
        "withheld": translate("labels", "非通知"),
        "payphone": translate("labels", "公衆電話"),
        "unavailable": translate("labels", "表示圏外"),
        "invalid": translate("labels", "番号不正"),
    }.get(caller.status, translate("labels", "番号なし"))


def call_state_text(state: str) -> str:
    return {
        "queued": translate("labels", "待機中"),
        "ringing": translate("labels", "着信中"),
        "answered": translate("labels", "通話中"),
        "ended": translate("labels", "終了"),
    }.get(state, state)


def reason_text(code: str) -> str:
    """A match reason of the lookup or the search, as the operator reads it.

    Codes: own_mobile, own_phone, household_landline, same_household, ``name:kana 92``,
    ``name:kanji 88``, birth_exact, birth_swapped, ``birth_year±1``, address, phone,
    ``status:moved``.
    """
    head, _, rest = code.partition(":")
    if head == "name" and rest:
        mode, _, score = rest.partition(" ")
        label = translate("labels", "カナ") if mode == "kana" else translate("labels", "氏名")
        return translate("labels", "{what}の一致 {score}%").format(what=label, score=score or "?")
    if head == "status":
        return {"moved": translate("labels", "転出"), "deceased": translate("labels", "死亡")}.get(
            rest, rest
        )
    words = {
        "own_mobile": translate("labels", "本人の携帯"),
        "own_landline": translate("labels", "本人の固定電話"),
        "own_phone": translate("labels", "本人の電話"),
        "household_landline": translate("labels", "世帯の固定電話"),
        "household_mobile": translate("labels", "世帯の携帯"),
        "same_household": translate("labels", "同じ世帯"),
        "phone": translate("labels", "電話番号の一致"),
        "birth_exact": translate("labels", "生年月日の一致"),
        "birth_swapped": translate("labels", "生年月日（月日入替）"),
        "birth_year±1": translate("labels", "生年月日（1年違い）"),
        "address": translate("labels", "住所の一致"),
        "barcode": translate("labels", "はがき番号の一致"),
    }
    return words.get(code, code)


def reasons_text(codes: tuple[str, ...]) -> str:
    return joined(reason_text(c) for c in codes) if codes else ""


ERA_NAMES = {
    "meiji": QT_TRANSLATE_NOOP("labels", "明治"),
    "taisho": QT_TRANSLATE_NOOP("labels", "大正"),
    "showa": QT_TRANSLATE_NOOP("labels", "昭和"),
    "heisei": QT_TRANSLATE_NOOP("labels", "平成"),
    "reiwa": QT_TRANSLATE_NOOP("labels", "令和"),
}


def wareki_text(d: dt.date) -> str:
    w = to_wareki(d)
    if w is None:
        return ""
    year = translate("labels", "元") if w.year == 1 else str(w.year)
    return translate("labels", "{era}{year}年{month}月{day}日").format(
        era=translate("labels", ERA_NAMES[w.era]), year=year, month=w.month, day=w.day
    )


def birth_text(d: dt.date | str | None) -> str:
    """``1942-04-01（昭和17年4月1日）``"""
    if isinstance(d, str) or d is None:
        d = parse_iso_date(d)
    if d is None:
        return translate("labels", "不明")
    return f"{d.isoformat()}（{wareki_text(d)}）"


def birth_short(value: str | None) -> str:
    """``昭和17年4月1日（1942）`` for lists, where width is scarce."""
    d = parse_iso_date(value)
    if d is None:
        return translate("labels", "不明")
    return f"{wareki_text(d)}（{d.year}）"


def age_text(age: int | None) -> str:
    return translate("labels", "{age}歳").format(age=age) if age is not None else ""


def sex_text(sex: str) -> str:
    return {"M": translate("labels", "男"), "F": translate("labels", "女")}.get(sex, "")


WEEKDAYS = (
    QT_TRANSLATE_NOOP("labels", "月"),
    QT_TRANSLATE_NOOP("labels", "火"),
    QT_TRANSLATE_NOOP("labels", "水"),
    QT_TRANSLATE_NOOP("labels", "木"),
    QT_TRANSLATE_NOOP("labels", "金"),
    QT_TRANSLATE_NOOP("labels", "土"),
    QT_TRANSLATE_NOOP("labels", "日"),
)


def day_text(d: dt.date) -> str:
    return translate("labels", "{month}月{day}日({weekday})").format(
        month=d.month, day=d.day, weekday=translate("labels", WEEKDAYS[d.weekday()])
    )


def when_text(iso: str | None) -> str:
    """A time from the wire on the operator's wall clock (Asia/Tokyo): ``2024-05-20 10:00``."""
    value = local_time(iso)
    return value.strftime("%Y-%m-%d %H:%M") if value else (iso or "")


def slot_time_text(starts_at: str, ends_at: str) -> str:
    """``09:00–09:30`` in Asia/Tokyo."""
    a, b = local_time(starts_at), local_time(ends_at)
    if a is None or b is None:
        return starts_at
    return f"{a:%H:%M}–{b:%H:%M}"


def disposition_text(code: str) -> str:
    """One result code, or several stored joined by commas (``booked,mobility``)."""
    if "," in code:
        return joined(disposition_text(c.strip()) for c in code.split(",") if c.strip())
    return {
        "booked": translate("labels", "予約した"),
        "changed": translate("labels", "予約を変更した"),
        "cancelled": translate("labels", "予約を取り消した"),
        "mobility": translate("labels", "移動支援"),
        "intent": translate("labels", "意向確認"),
        "inquiry": translate("labels", "問い合わせのみ"),
        "callback": translate("labels", "折り返しが必要"),
        "wrong_number": translate("labels", "間違い電話"),
        "other": translate("labels", "その他"),
    }.get(code, code)


def channel_text(code: str) -> str:
    return {
        "postcard_ocr": translate("labels", "はがき"),
        "web": translate("labels", "ウェブ"),
        "phone": translate("labels", "電話"),
        "paper": translate("labels", "書面"),
        "assigned": translate("labels", "割当"),
    }.get(code, code)


def intent_text(
    wants_vaccination: bool | None, needs_mobility: bool | None, channel: str, recorded_at: str
) -> str:
    """A resident's latest intent in one line, with its channel and date:
    ``接種希望 はい・移動支援 いいえ（はがき 2026-05-12）``."""
    day = when_text(recorded_at)[:10]
    return translate("labels", "接種希望 {wants}・移動支援 {mobility}（{channel} {day}）").format(
        wants=yes_no(wants_vaccination),
        mobility=yes_no(needs_mobility),
        channel=channel_text(channel),
        day=day,
    )


def yes_no(value: bool | None) -> str:
    return (
        translate("labels", "未回答")
        if value is None
        else (translate("labels", "はい") if value else translate("labels", "いいえ"))
    )


def status_text(code: str) -> str:
    return {
        "booked": translate("labels", "予約済"),
        "cancelled": translate("labels", "取消"),
        "attended": translate("labels", "接種済"),
        "open": translate("labels", "受付"),
        "arranged": translate("labels", "手配済"),
        "done": translate("labels", "完了"),
    }.get(code, code)


def error_text(error: str, message: str = "") -> str:
    """A server refusal as the operator should read it, in their language only: the server's
    own (English) message is never shown; unknown errors get a general sentence."""
    text = {
        "slot_full": translate("labels", "この枠は満員です。別の枠を選んでください。"),
        "slot_started": translate(
            "labels", "この枠はすでに始まっています。別の枠を選んでください。"
        ),
        "already_booked": translate("labels", "この方はすでに予約があります。変更してください。"),
        "no_transport_seat": translate(
            "labels", "この枠には送迎の空きがありません。送迎のある別の枠を選んでください。"
        ),
        "not_found": translate("labels", "見つかりません。"),
        "unauthorized": translate("labels", "ログインし直してください。"),
        "auth_failed": translate("labels", "ユーザー名またはパスワードが違います。"),
        "account_locked": translate(
            "labels", "ログインの失敗が続いたため、しばらくログインできません。"
        ),
        "forbidden": translate("labels", "権限がありません。"),
        "extension_not_allowed": translate(
            "labels", "この内線番号ではログインできません。内線番号を確かめてください。"
        ),
        "invalid_input": translate("labels", "入力に誤りがあります。"),
        "conflict": translate(
            "labels", "ほかの変更と重なったため、受け付けられませんでした。もう一度お試しください。"
        ),
        "network": translate("labels", "サーバーに接続できません。"),
        "dependency_failed": translate(
            "labels", "先に送った予約が登録されなかったため、送信しませんでした。"
        ),
        "dependency_lost": translate(
            "labels", "先に送った予約が見つからないため、送信しませんでした。"
        ),
        "too_many_attempts": translate("labels", "何度送っても受け付けられませんでした。"),
        "ami_unavailable": translate(
            "labels", "PBX（電話交換機）に接続されていないため、できませんでした。"
        ),
        "pause_failed": translate("labels", "PBX（電話交換機）が受け付けませんでした。"),
        "bad_message": translate("labels", "サーバーが要求を理解できませんでした。"),
        "index_loading": translate(
            "labels", "サーバーが準備中です。数秒後にもう一度お試しください。"
        ),
    }.get(error, translate("labels", "サーバーが受け付けませんでした。"))
    return text


def field_text(field: str) -> str:
    """The name of a refused input, as the form labels it."""
    return {
        "name": translate("labels", "会場名"),
        "address": translate("labels", "住所"),
        "capacity": translate("labels", "定員"),
        "start": translate("labels", "開始時刻"),
        "end": translate("labels", "終了時刻"),
        "minutes": translate("labels", "1枠の長さ（分）"),
        "day": translate("labels", "日付"),
        "barcode": translate("labels", "はがき番号"),
        "wants_vaccination": translate("labels", "接種希望"),
        "needs_mobility": translate("labels", "移動支援"),
        "notes": translate("labels", "メモ"),
        "bands": translate("labels", "年齢区分"),
    }.get(field, field)


def refusal_text(error: str, message: str, details: dict[str, Any]) -> str:
    """A refused change, naming the field and saying what to do. The server's own (English)
    words are added in English only: Japanese mode never shows English fragments."""
    field = str(details.get("field", ""))
    if error == "invalid_input" and field == "capacity" and "booked" in details:
        text = translate("labels", "定員は予約済みの {booked} 人より少なくできません。").format(
            booked=details["booked"]
        )
    elif error == "invalid_input" and field:
        text = translate("labels", "{field}: 入力に誤りがあります。").format(
            field=field_text(field)
        )
    elif error == "conflict" and "booked" in details:
        text = translate("labels", "予約のある枠は削除できません。定員を下げてください。")
    elif error == "conflict" and field == "name":
        text = translate("labels", "同じ名前の会場がすでにあります。")
    else:
        return error_text(error, message)
    return text + english_detail(message)


def english_detail(message: str) -> str:
    """The server's (English) message, added in English mode only."""
    return f" ({message})" if message and current_language() == "en" else ""


def venue_admin_status(m: Any) -> tuple[str, str]:
    """(text, colour) of the last change in the 会場・枠 view (a ``VenueAdminModel``)."""
    if m.status == "sending":
        return translate("labels", "送信中…"), "#333333"
    if m.status == "failed":
        return translate(
            "labels", "サーバーに接続できません。入力はそのまま残っています。"
        ), "#b00020"
    if m.status == "refused":
        return refusal_text(m.error, m.message, m.details), "#b00020"
    if m.status != "done":
        return "", "#333333"
    r = m.result  # the decoded answer of the change
    name = r.name if isinstance(r, Venue) else ""
    texts = {
        "venue_add": translate("labels", "会場「{name}」を追加しました。").format(name=name),
        "venue_save": translate("labels", "会場「{name}」を保存しました。").format(name=name),
        "venue_toggle": (
            translate("labels", "会場「{name}」を有効に戻しました。")
            if isinstance(r, Venue) and r.active
            else translate(
                "labels", "会場「{name}」を無効にしました（新しい予約の会場一覧に出ません）。"
            )
        ).format(name=name),
    }
    if isinstance(r, SlotsLaidOut):
        texts["slots_add"] = translate(
            "labels", "{n} 枠を追加しました（同じ時刻の {k} 枠はそのままです）。"
        ).format(n=len(r.created), k=len(r.skipped))
    if isinstance(r, SlotInfo):
        texts["capacity"] = translate("labels", "定員を {capacity} にしました。").format(
            capacity=r.capacity
        )
    texts["slot_delete"] = translate("labels", "枠を削除しました。")
    if isinstance(r, ReconfigureApplied):
        texts["reconfigure"] = translate(
            "labels", "変更しました: 移動 {moved} 件、折り返しリスト {queued} 件。"
        ).format(moved=len(r.moved), queued=len(r.queued))
    return texts.get(m.action, ""), "#1b5e20"


def barcode_text(code: str, length: int = 0) -> str:
    """What the はがき番号 lookup found wrong (``SearchModel.barcode_error``)."""
    return {
        "check_digit": translate(
            "labels",
            "はがき番号の確認数字が合いません。聞き間違いの可能性があります。もう一度読み上げてもらってください。",
        ),
        "length": translate("labels", "はがき番号は12桁です（{n}桁入力されています）。").format(
            n=length
        ),
        "digits": translate("labels", "はがき番号は数字だけです。"),
        "not_found": translate("labels", "このはがき番号の住民は台帳にいません。"),
    }.get(code, code)
