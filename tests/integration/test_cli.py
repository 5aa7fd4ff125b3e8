"""``cti-registry`` via ``main([...])`` on SQLite and PostgreSQL, and as a real console script."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from registry.cli import main
from tests.integration.test_import import ROWS, write_csv

SCRIPT = Path(sys.executable).with_name("cti-registry")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_normalize_json_needs_no_database(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "normalize", "--json", "０７７３（６２）１２３４", "anonymous")
    assert code == 0
    first, second = (json.loads(line) for line in out.splitlines())
    assert (first["status"], first["e164"], first["national"]) == (
        "number",
        "+81773621234",
        "0773-62-1234",
    )
    assert {"raw", "kind", "flags", "reason"} <= first.keys()
    assert (second["status"], second["e164"]) == ("withheld", None)
    assert not (tmp_path / "var").exists()
    code, out, _ = run(capsys, "normalize", "abc")
    assert (code, out.split()[1]) == (0, "invalid")


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    assert run(capsys, "no-such-command")[0] == 2
    code, _, err = run(
        capsys,
        "--db",
        db,
        "slot",
        "add",
        "--venue",
        "1",
        "--start",
        "tomorrow",
        "--end",
        "2021-06-01T10:00",
        "--capacity",
        "3",
    )
    assert code == 2
    assert "ISO" in err
    code, _, err = run(capsys, "--db", db, "search")
    assert (code, "Traceback" in err) == (2, False)


def test_import_lookup_export(
    capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "ledger.csv", [*ROWS, ("", "", "名無", "", "", "", "", "")], encoding="cp932"
    )
    code, out, _ = run(capsys, "--db", db_url, "import-ledger", str(path), "--dry-run")
    assert code == 3  # rows would be skipped
    assert "dry run" in out
    assert "line 5: missing 宛名番号" in out
    code, out, _ = run(capsys, "--db", db_url, "import-ledger", str(path), "--all-or-nothing")
    assert code == 1
    code, out, _ = run(capsys, "--db", db_url, "import-ledger", str(path))
    assert code == 3  # done, one row skipped
    assert "inserted 3" in out
    code, out, _ = run(capsys, "--db", db_url, "lookup", "0773621234", "--json")
    assert code == 0
    found = json.loads(out)
    assert found["e164"] == "+81773621234"
    names = {m["name"] for hh in found["households"] for m in hh["members"]}
    assert names == {"髙橋 一郎", "髙橋 花子"}
    ichiro = next(
        m for hh in found["households"] for m in hh["members"] if m["name"] == "髙橋 一郎"
    )
    assert (ichiro["person_no"], ichiro["household_no"]) == ("1001", "H1")
    assert len(ichiro["barcode"]) == 12
    code, out, _ = run(capsys, "--db", db_url, "search", "--name", "髙橋 一郎", "--json")
    assert code == 0
    best = json.loads(out)["results"][0]
    assert json.loads(out)["tied_beyond"] == 0
    # the family name alone, at the one address of both 髙橋: a page of one cuts the tie
    code, out, _ = run(
        capsys, "--db", db_url, "search", "--name", "タカハシ", "--address", "北吸", "--limit", "1"
    )
    assert code == 0
    assert "at least 1 more scored as the last one" in out
    assert (best["person_no"], best["household_no"], best["barcode"]) == (
        "1001",
        "H1",
        ichiro["barcode"],
    )
    out_csv = tmp_path / "out.csv"
    code, out, _ = run(capsys, "--db", db_url, "export", "residents", str(out_csv))
    assert code == 0
    assert "3 residents" in out
    assert out_csv.read_bytes().decode("cp932").startswith("宛名番号,")


def test_import_exit_status_says_whether_rows_were_skipped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    bad = write_csv(
        tmp_path / "bad.csv", [*ROWS, ("2001", "", "日付 誤", "", "S15.02.30", "", "", "")]
    )
    code, out, _ = run(capsys, "--db", db, "import-ledger", str(bad), "--dry-run")
    assert code == 3
    code, out, _ = run(capsys, "--db", db, "import-ledger", str(bad), "--all-or-nothing")
    assert (code, "nothing written" in out) == (1, True)
    code, out, _ = run(capsys, "--db", db, "import-ledger", str(bad))
    assert (code, "inserted 3" in out, "line 5: impossible 生年月日" in out) == (3, True, True)
    code, out, _ = run(
        capsys, "--db", db, "import-ledger", str(write_csv(tmp_path / "ok.csv", ROWS))
    )
    assert (code, "3 unchanged" in out) == (0, True)
    code, out, _ = run(capsys, "import-ledger", "--help")
    assert code == 0
    assert "3 imported, but bad rows were skipped" in " ".join(out.split())


def test_export_warns_of_characters_written_as_geta(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    rows = [("5001", "", "𠮷田 直樹", "", "S20.1.1", "", "", "")]
    run(capsys, "--db", db, "import-ledger", str(write_csv(tmp_path / "in.csv", rows)))
    code, out, err = run(capsys, "--db", db, "export", "residents", str(tmp_path / "out.csv"))
    assert (code, "1 characters written as 〓" in out) == (0, True)
    assert "--encoding utf-8-sig keeps every character" in err
    code, out, _ = run(capsys, "--db", db, "import-ledger", str(tmp_path / "out.csv"))
    assert (code, "1 unchanged" in out, "line 2: review" in out) == (0, True, False)
    code, out, _ = run(capsys, "export", "--help")
    assert "never replaces a stored character by 〓" in " ".join(out.split())


def test_ledger_errors_exit_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    code, _, err = run(capsys, "--db", db, "import-ledger", str(tmp_path / "missing.csv"))
    assert (code, "Traceback" in err) == (1, False)
    assert "cannot read" in err
    bad = write_csv(
        tmp_path / "mn.csv",
        [(*r, "123412341234") for r in ROWS],
        header=(
            "宛名番号",
            "世帯番号",
            "氏名",
            "氏名カナ",
            "生年月日",
            "性別",
            "住所",
            "電話番号",
            "個人番号",
        ),
    )
    code, out, err = run(capsys, "--db", db, "import-ledger", str(bad))
    assert code == 1
    assert "個人番号" in err
    assert "123412341234" not in out + err


def test_operator_venue_slot(
    capsys: pytest.CaptureFixture[str], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret pass\n"))
    code, out, _ = run(
        capsys,
        "--db",
        db_url,
        "operator",
        "add",
        "sato",
        "--role",
        "supervisor",
        "--extension",
        "1001",
        "--display-name",
        "佐藤",
    )
    assert code == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("again-and-again\n"))
    code, _, err = run(capsys, "--db", db_url, "operator", "add", "sato", "--role", "operator")
    assert (code, "Traceback" in err) == (1, False)
    code, out, _ = run(capsys, "--db", db_url, "operator", "list", "--json")
    (op,) = json.loads(out)
    assert (op["username"], op["role"], op["extension"]) == ("sato", "supervisor", "1001")
    code, out, _ = run(capsys, "--db", db_url, "venue", "add", "中総合会館", "--address", "舞鶴市")
    assert code == 0
    code, out, _ = run(capsys, "--db", db_url, "venue", "list", "--json")
    (venue,) = json.loads(out)
    vid = str(venue["venue_id"])
    code, out, _ = run(
        capsys,
        "--db",
        db_url,
        "slot",
        "add",
        "--venue",
        vid,
        "--start",
        "2021-06-01T09:30",
        "--end",
        "2021-06-01T10:00",
        "--capacity",
        "6",
    )
    assert code == 0
    assert "2021-06-01 09:30-10:00 capacity 6" in out
    slot_id = out.split()[1]
    code, out, _ = run(capsys, "--db", db_url, "slot", "capacity", slot_id, "8")
    assert (code, "capacity 8" in out) == (0, True)
    code, _, err = run(capsys, "--db", db_url, "slot", "capacity", "9999", "8")
    assert (code, "Traceback" in err) == (1, False)


def test_console_script(tmp_path: Path) -> None:
    env = {**os.environ, "CTI_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.sqlite3'}"}
    done = subprocess.run(
        [str(SCRIPT), "normalize", "--json", "090-1234-5678", "P"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(x["status"], x["e164"]) for x in lines] == [
        ("number", "+819012345678"),
        ("withheld", None),
    ]
    done = subprocess.run(
        [str(SCRIPT), "operator", "add", "kiosk1", "--role", "kiosk"],
        input="pw-from-stdin\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "kiosk1" in done.stdout
    assert (tmp_path / "ledger.sqlite3").exists()
