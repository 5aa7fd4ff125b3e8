"""Words of the call flow: whom a form is for, which call (by time and caller), the wrap-up
codes, a form's unsent input kept in its call's notes, a refused search."""

from __future__ import annotations

from typing import Any

from cti_server.protocol import CallerInfo

from ..i18n import current_language, translate
from ..models.dates import local_time
from .labels import age_text, caller_text, disposition_text, error_text, joined, yes_no


def choice_text(code: str, ja: str = "", en: str = "") -> str:
    """A wrap-up code as the server's list labels it (built-in codes are translated here)."""
    if not ja:
        return disposition_text(code)
    return (en or ja) if current_language() == "en" else ja


def option_text(choice: Any) -> str:
    """A configured option (``Choice``) in the UI language; one without labels (a built-in
    option before the settings are read, one no longer offered): worded here, else its code."""
    if not choice.ja:
        return {
            "wheelchair": translate("form_labels", "車椅子"),
            "companion": translate("form_labels", "付き添い"),
        }.get(choice.code, str(choice.code))
    if current_language() == "en":
        return str(choice.en or choice.ja)
    return str(choice.ja)


def call_ref_text(at: str, caller: CallerInfo | None) -> str:
    """A call as the operator knows it: ``12/04 10:02 0773-62-1234`` (or 非通知)."""
    when = local_time(at)
    shown = when.strftime("%m/%d %H:%M") if when else ""
    who = caller_text(caller) if caller is not None else ""
    return "　".join(x for x in (shown, who) if x) or translate("form_labels", "通話")


def subject_text(subject: Any) -> str:
    """Whom a form is for: name (kana), age, 宛名番号."""
    if subject is None:
        return translate(
            "form_labels", "対象者が確定していません。通話の候補から確定してください。"
        )
    kana = f"（{subject.name_kana}）" if subject.name_kana else ""
    age = f"　{age_text(subject.age)}" if subject.age is not None else ""
    no = (
        translate("form_labels", "　宛名番号 {no}").format(no=subject.person_no)
        if subject.person_no
        else ""
    )
    return f"{subject.name}{kana}{age}{no}"


def unsent_text(form: Any) -> str:
    """A form disarmed before it was sent (a new call came), as a line of its call's notes."""
    who = form.subject.name if form.subject is not None else ""
    if hasattr(form, "venues"):
        venue = next((v.name for v in form.venues if v.venue_id == form.venue_id), "")
        slot = form.selected()
        when = local_time(slot.starts_at) if slot is not None else None
        parts = [x for x in (venue, when.strftime("%m/%d %H:%M") if when else "") if x]
        head = translate("form_labels", "［未登録の予約］")
        return f"{head}{who}: " + "　".join(parts)
    if hasattr(form, "pickup_address"):
        parts = [
            translate("form_labels", "迎え先 {address}").format(address=form.pickup_address.strip())
        ]
        parts += [option_text(form.offered.choice(code)) for code in form.options]
        parts += (
            [translate("form_labels", "メモ {notes}").format(notes=form.notes.strip())]
            if form.notes.strip()
            else []
        )
        head = translate("form_labels", "［未登録の移動支援］")
    else:
        parts = [
            translate("form_labels", "接種希望 {a}").format(a=yes_no(form.wants_vaccination)),
            translate("form_labels", "移動支援 {a}").format(a=yes_no(form.needs_mobility)),
        ]
        parts += (
            [translate("form_labels", "メモ {notes}").format(notes=form.notes.strip())]
            if form.notes.strip()
            else []
        )
        head = translate("form_labels", "［未記録の意向確認］")
    return f"{head}{who}: " + joined(parts)


def search_error_text(error: str, details: dict[str, Any]) -> str:
    """A refused search: which field the server could not read, in words."""
    if error == "invalid_input" and details.get("field") == "birth":
        return translate("form_labels", "生年月日を読めません。例: S17.4.1 / 昭和17年 / 1942")
    if error == "invalid_input" and details.get("field") == "phone":
        return translate("form_labels", "電話番号は3桁以上入力してください。")
    return error_text(error)
