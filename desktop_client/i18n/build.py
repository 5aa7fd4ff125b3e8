"""Regenerate cti_en.ts from en.py and compile it to cti_en.qm with pyside6-lrelease.

Run: ``.venv/bin/python -m desktop_client.i18n.build``. Fails if a UI string has no English.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape

from .en import EN

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent
LISTS = ("TABLE", "ERA_NAMES", "WEEKDAYS")


def ui_strings() -> list[str]:
    """Every literal given to t(), plus the tables that are translated through a variable."""
    found: dict[str, None] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "i18n" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "t" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found[arg.value] = None
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(getattr(x, "id", "") in LISTS for x in targets) and node.value:
                    for sub in ast.walk(node.value):
                        if (
                            isinstance(sub, ast.Constant)
                            and isinstance(sub.value, str)
                            and any("\u3000" <= ch <= "\u9fff" for ch in sub.value)
                        ):
                            found[sub.value] = None
    return list(found)


def write_ts(path: Path) -> None:
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<!DOCTYPE TS>",
        '<TS version="2.1" language="en_US" sourcelanguage="ja_JP">',
        "<context>",
        "    <name>cti</name>",
    ]
    for source in ui_strings():
        lines += [
            "    <message>",
            f"        <source>{escape(source)}</source>",
            f"        <translation>{escape(EN[source])}</translation>",
            "    </message>",
        ]
    lines += ["</context>", "</TS>", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> int:
    missing = [s for s in ui_strings() if s not in EN]
    if missing:
        sys.stderr.write("no English for:\n" + "\n".join(missing) + "\n")
        return 1
    ts = HERE / "cti_en.ts"
    write_ts(ts)
    lrelease = Path(sys.executable).with_name("pyside6-lrelease")
    subprocess.run([str(lrelease), "-silent", str(ts), "-qm", str(HERE / "cti_en.qm")], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
