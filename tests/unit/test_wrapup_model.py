"""The per-call wrap-up model: kept per call, honest about what was saved, kept on disk."""

from __future__ import annotations

from cti_server.protocol import CallerInfo
from desktop_client.models.forms import CallRef
from desktop_client.models.wrapup import DraftStore, WrapUpModel

A = CallRef(
    "A.1", "2026-12-04T01:02:00+00:00", CallerInfo("number", "+81773621234", "0773-62-1234")
)
B = CallRef("B.2", "2026-12-04T01:10:00+00:00", CallerInfo("withheld"))


def test_a_new_call_keeps_the_previous_wrap_up() -> None:
    m = WrapUpModel()
    m.open(A)
    m.toggle("inquiry", True)
    m.set_notes("途中")
    m.open(B)
    assert (m.linkedid, m.codes, m.notes) == ("B.2", [], "")
    (a,) = m.others_unsaved()
    assert (a.linkedid, a.codes, a.notes) == ("A.1", ["inquiry"], "途中")
    m.open(CallRef("C.3"), follow=False)  # typing in B: the form stays on B
    assert m.linkedid == "B.2"


def test_saved_then_edited_is_unsaved_and_an_older_answer_does_not_say_done() -> None:
    m = WrapUpModel()
    m.open(A)
    m.toggle("booked", True)
    first = m.submitted("k1")
    first.set_status("sending")
    m.set_notes("追記")  # edited while the first is on its way
    assert m.status == ""
    assert m.can_submit()
    second = m.submitted("k2")
    second.set_status("queued")  # waits after the first
    first.set_status("done")  # the older answer: the server has the old text, not the new
    assert m.status == "queued"
    assert m.calls["A.1"].saved == [["booked"], ""]
    second.set_status("done")
    assert (m.status, m.dirty()) == ("done", False)
    m.toggle("callback", True)
    assert (m.status, m.dirty()) == ("", True)


def test_unsaved_wrap_ups_survive_a_restart_and_reattach_to_the_outbox(tmp_path) -> None:
    store = DraftStore(tmp_path / "drafts.json")
    m = WrapUpModel(store)
    m.open(A)
    m.toggle("callback", True)
    m.set_notes("夕方")
    sub = m.submitted("k1")
    sub.set_status("queued")
    m.open(B)
    again = WrapUpModel(DraftStore(tmp_path / "drafts.json"))
    a = again.calls["A.1"]
    assert (a.codes, a.notes, a.status, a.caller_display) == (
        ["callback"],
        "夕方",
        "",
        "0773-62-1234",
    )
    sub = again.reattach("k1", "A.1", {"codes": ["callback"], "notes": "夕方"})
    assert a.status == "queued"
    sub.set_status("done")
    assert not a.unsaved()
    assert "A.1" not in [
        w.linkedid for w in WrapUpModel(DraftStore(tmp_path / "drafts.json")).calls.values()
    ]
