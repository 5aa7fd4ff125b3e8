"""Update cti_en.ts from the code with pyside6-lupdate, check it, compile cti_en.qm (lrelease).

``python -m desktop_client.i18n.build``: after adding or changing a UI string. New strings come
into ``cti_en.ts`` as unfinished (empty English): write their English there (Qt Linguist,
``pyside6-linguist desktop_client/i18n/cti_en.ts``, or any editor), then run it again; it compiles
``cti_en.qm`` only when nothing is missing. ``--check`` changes nothing and exits 1 on a problem
(the test suite runs the same check). Both the .ts and the .qm are committed: the client needs no
Qt tools at run time.

Problems: a string without English (or with other ``{placeholders}`` than its source), a .ts that
lupdate would change, a .qm that is not the .ts compiled, Japanese text outside ``tr()`` /
``translate()`` / ``QT_TRANSLATE_NOOP()`` (it would never be translated), a call lupdate misread.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent
TS = HERE / "cti_en.ts"
QM = HERE / "cti_en.qm"
SKIP = ("demo_data.py", "demo_board.py", "screenshots.py")  # invented data, a developer tool
# Japanese that is shown as it is in every language (the language menu, separators)
AS_IS = {"日本語", "、", "\u3000"}
MARKERS = ("translate", "QT_TRANSLATE_NOOP")  # (context, text); and ``self.tr(text)``

Key = tuple[str, str]  # (context, source)


def _tool(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found (it comes with PySide6-Essentials)")
    return found


def source_files() -> list[Path]:
    return [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if "i18n" not in path.relative_to(PACKAGE).parts and path.name not in SKIP
    ]


def lupdate(ts: Path) -> None:
    """Merge the strings of the code into ``ts`` (new ones unfinished, vanished ones dropped)."""
    files = [str(p) for p in source_files()]
    args = ["-silent", "-no-obsolete", "-locations", "none"]
    args += ["-source-language", "ja_JP", "-target-language", "en_US"]
    subprocess.run([_tool("pyside6-lupdate"), *args, *files, "-ts", str(ts)], check=True)


def lrelease(ts: Path, qm: Path) -> None:
    subprocess.run([_tool("pyside6-lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True)


def read_ts(ts: Path) -> dict[Key, tuple[str, str]]:
    """(context, source) -> (English, type), type "" for a finished translation."""
    out: dict[Key, tuple[str, str]] = {}
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            assert translation is not None
            key = (name, message.findtext("source") or "")
            out[key] = (translation.text or "", translation.get("type", ""))
    return out


def _japanese(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and any("\u3000" <= ch <= "\u9fff" for ch in node.value)
    )


def _text(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _marked(node: ast.Call, context: str | None) -> tuple[Key | None, ast.AST | None]:
    """The (context, source) a translation call marks, and the node of its text."""
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "tr" and node.args:
        arg = node.args[0]
        text = _text(arg)
        return ((context or "", text) if text is not None else None), arg
    if isinstance(func, ast.Name) and func.id in MARKERS and len(node.args) == 2:
        ctx, text = _text(node.args[0]), _text(node.args[1])
        key = (ctx, text) if ctx is not None and text is not None else None
        return key, node.args[1]
    return None, None


def scan(tree: ast.Module) -> tuple[list[Key], list[tuple[int, str]]]:
    """(messages marked in the code, Japanese literals outside them with their line)."""
    found: list[Key] = []
    used: set[int] = set()

    def visit(node: ast.AST, cls: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Call):
                key, text = _marked(child, cls)
                if key is not None:
                    found.append(key)
                if text is not None:
                    used.add(id(text))
            if isinstance(child, ast.Expr) and isinstance(child.value, ast.Constant):
                used.add(id(child.value))  # docstrings
            visit(child, child.name if isinstance(child, ast.ClassDef) else cls)

    visit(tree, None)
    stray = [
        (node.lineno, node.value)  # type: ignore[attr-defined]
        for node in ast.walk(tree)
        if _japanese(node) and id(node) not in used and node.value not in AS_IS  # type: ignore[attr-defined]
    ]
    return found, stray


def code_messages() -> tuple[set[Key], list[str]]:
    """Every (context, source) of the code, and the stray Japanese ("file:line: text")."""
    keys: set[Key] = set()
    stray: list[str] = []
    for path in source_files():
        found, lines = scan(ast.parse(path.read_text(encoding="utf-8")))
        keys.update(found)
        name = path.relative_to(PACKAGE.parent)
        stray += [f"{name}:{line}: Japanese outside tr/translate: {text}" for line, text in lines]
    return keys, stray


def _fields(text: str) -> set[str]:
    return set(re.findall(r"\{[^{}]*\}", text))


def translation_problems(ts: Path) -> list[str]:
    """Unfinished or empty English, placeholders that differ, code lupdate did not read."""
    messages = read_ts(ts)
    out = []
    for (context, source), (english, kind) in messages.items():
        if kind or not english:
            out.append(f"no English in context {context}: {source!r}")
        elif _fields(english) != _fields(source):
            out.append(f"other placeholders in context {context}: {source!r} -> {english!r}")
    keys, stray = code_messages()
    out += [f"not in {ts.name} (lupdate missed it): {k}" for k in sorted(keys - messages.keys())]
    return out + stray


def check() -> list[str]:
    """Every problem of the committed .ts/.qm against the code (changes nothing)."""
    with tempfile.TemporaryDirectory() as tmp:
        ts, qm = Path(tmp) / TS.name, Path(tmp) / QM.name
        shutil.copy(TS, ts)
        lupdate(ts)
        problems = translation_problems(ts)
        before, after = read_ts(TS), read_ts(ts)
        problems += [f"{TS.name} lacks {k} (run build)" for k in sorted(after.keys() - before)]
        problems += [f"{TS.name} keeps {k} (run build)" for k in sorted(before.keys() - after)]
        lrelease(TS, qm)
        if not QM.exists() or qm.read_bytes() != QM.read_bytes():
            problems.append(f"{QM.name} is not {TS.name} compiled (run build)")
    return problems


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if "--check" in args:
        problems = check()
    else:
        lupdate(TS)
        problems = translation_problems(TS)
        if not problems:
            lrelease(TS, QM)
    if problems:
        sys.stderr.write("\n".join(problems) + "\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
