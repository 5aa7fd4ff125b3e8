"""Regenerate cti_en.ts from en.py and compile it to cti_en.qm with pyside6-lrelease.

Run: ``.venv/bin/python -m desktop_client.i18n.build``. Fails if a UI string has no English, or
if Japanese text sits outside ``t()`` and the constant tables (it would never be translated).
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
SKIP = ("demo_data.py", "demo_board.py", "screenshots.py")  # invented data, a developer tool
# Japanese that is shown as it is in every language (the language menu, separators)
AS_IS = {"日本語", "、", "\u3000"}


def _japanese(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and any("\u3000" <= ch <= "\u9fff" for ch in node.value)
    )


def scan(tree: ast.Module) -> tuple[list[str], list[tuple[int, str]]]:
    """(translation sources, stray Japanese literals with their line).

    Sources: every literal given to ``t()``, and the Japanese in module-level UPPER_CASE
    constants (tables translated through a variable: column headers, states, eras ...).
    """
    sources: list[str] = []
    used: set[int] = set()
    for stmt in tree.body:
        targets = (
            stmt.targets
            if isinstance(stmt, ast.Assign)
            else ([stmt.target] if isinstance(stmt, ast.AnnAssign) else [])
        )
        if any(getattr(x, "id", "").isupper() for x in targets) and stmt.value is not None:
            for sub in ast.walk(stmt.value):
                if _japanese(sub):
                    sources.append(sub.value)  # type: ignore[attr-defined]
                    used.add(id(sub))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "t" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                sources.append(arg.value)
                used.add(id(arg))
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            used.add(id(node.value))  # docstrings
    stray = [
        (node.lineno, node.value)  # type: ignore[attr-defined]
        for node in ast.walk(tree)
        if _japanese(node) and id(node) not in used and node.value not in AS_IS  # type: ignore[attr-defined]
    ]
    return sources, stray


def _modules() -> list[tuple[Path, ast.Module]]:
    return [
        (path, ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(PACKAGE.rglob("*.py"))
        if "i18n" not in path.parts and path.name not in SKIP
    ]


def ui_strings() -> list[str]:
    """Every UI string of the client, in order of appearance, once."""
    found: dict[str, None] = {}
    for _, tree in _modules():
        found.update(dict.fromkeys(scan(tree)[0]))
    return list(found)


def stray_japanese() -> list[str]:
    """Japanese literals that would reach the screen untranslated ("file:line: text")."""
    out = []
    for path, tree in _modules():
        for line, text in scan(tree)[1]:
            out.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {text}")
    return out


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
    stray = stray_japanese()
    if stray:
        sys.stderr.write("Japanese outside t() or a constant table:\n" + "\n".join(stray) + "\n")
        return 1
    ts = HERE / "cti_en.ts"
    write_ts(ts)
    lrelease = Path(sys.executable).with_name("pyside6-lrelease")
    subprocess.run([str(lrelease), "-silent", str(ts), "-qm", str(HERE / "cti_en.qm")], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
