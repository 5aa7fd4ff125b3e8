"""Name keys for matching Japanese names: kana keys and a folded kanji key.

- ``kana_key``: NFKC, hiragana to katakana, small kana to large, no spaces or separators.
- ``loose_kana_key``: ``kana_key`` with long vowels folded (ー, オウ/ウウ, オオ, エイ ...), ヂ->ジ,
  ヅ->ズ, ヲ->オ, ヰ->イ, ヱ->エ.
- ``name_key``: NFKC, variation selectors stripped, variant kanji (異体字) folded, no spaces.
  Folding uses the project table ``data/kanji_variants.txt`` plus one forward hop of the MJ
  degeneracy map shipped in ``jntajis`` (文字情報基盤 MJ縮退マップ), applied only to characters
  outside JIS X 0208 and only when the hop has a single JIS X 0208 target. Characters that are
  in JIS X 0208 are folded only by the vetted project table, so look-alikes such as 斎/斉, 埼/崎,
  后/後 and 玉/王 never merge. Keys are for equality and blocking, never for display.

Tables are built lazily on first use (the MJ lookup is per character, cached); nothing heavy runs
at import.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

_DATA = Path(__file__).parents[1] / "data" / "kanji_variants.txt"
_SEPARATORS = " \t\r\n\u3000・･.,、。=＝゠-_/／'’"
_SPACES = re.compile(r"\s+")
_SMALL = "ァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
_LARGE = "アイウエオツヤユヨワカケクシストヌハヒフヘホムラリルレロ"
_LOOSE = str.maketrans("ヂヅヲヰヱ", "ジズオイエ", "ー")
_VOWELS = {
    **dict.fromkeys("アカガサザタダナハバパマヤラワ", "a"),
    **dict.fromkeys("イキギシジチヂニヒビピミリヰ", "i"),
    **dict.fromkeys("ウクグスズツヅヌフブプムユルヴ", "u"),
    **dict.fromkeys("エケゲセゼテデネヘベペメレヱ", "e"),
    **dict.fromkeys("オコゴソゾトドノホボポモヨロヲ", "o"),
}
# a vowel kana that only lengthens the previous vowel
_LENGTHENS = {"ア": "a", "イ": "ie", "ウ": "uo", "エ": "e", "オ": "o"}


def _nfkc(s: str) -> str:
    return s if s.isascii() else unicodedata.normalize("NFKC", s)


def _recompose(out: str, table: dict[int, int | None] | dict[int, str | None]) -> str:
    """Removing a space NFKC made (´ -> space + U+0301) can leave a combining mark to recompose."""
    if out.isascii() or unicodedata.is_normalized("NFKC", out):
        return out
    return unicodedata.normalize("NFKC", out).translate(table)


@cache
def _kana_table() -> dict[int, int | None]:
    table: dict[int, int | None] = {ord(c): None for c in _SEPARATORS}
    for cp in range(0x3041, 0x3097):  # ぁ..ゖ -> ァ..ヶ
        table[cp] = cp + 0x60
    table[ord("ゝ")], table[ord("ゞ")] = ord("ヽ"), ord("ヾ")
    for small, large in zip(_SMALL, _LARGE, strict=True):
        table[ord(small)] = ord(large)
    for small in "ぁぃぅぇぉっゃゅょゎゕゖ":
        table[ord(small)] = table[ord(_SMALL[_SMALL.index(chr(ord(small) + 0x60))])]
    return table


def kana_key(s: str) -> str:
    """NFKC, hiragana to katakana, small kana to large, no spaces or separators."""
    table = _kana_table()
    return _recompose(_nfkc(s).translate(table), table)


def loose_kana_key(s: str) -> str:
    """A looser kana key: long vowels folded, ヂ->ジ, ヅ->ズ (サイトウ == サイトー -> サイト)."""
    key = kana_key(s).translate(_LOOSE)
    out: list[str] = []
    prev = ""
    for ch in key:
        if prev and prev in _LENGTHENS.get(ch, ""):
            continue
        out.append(ch)
        prev = _VOWELS.get(ch, "") if ch not in _LENGTHENS else _LENGTHENS[ch][0]
    return "".join(out)


def _in_jis0208(ch: str) -> bool:
    try:
        ch.encode("iso2022_jp")
    except UnicodeEncodeError:
        return False
    return True


@cache
def _project_table() -> dict[str, str]:
    pairs: dict[str, str] = {}
    for line in _DATA.read_text(encoding="utf-8").splitlines():
        for token in line.split("#", 1)[0].split():
            if len(token) == 2 and token[0] != token[1]:
                pairs[token[0]] = token[1]
    return pairs


@cache
def _mj_combo() -> int | None:
    try:
        import jntajis
    except ImportError:  # pragma: no cover - jntajis is a dependency
        log.warning("jntajis not installed: kanji folding uses the project table only")
        return None
    c = jntajis.MJShrinkSchemeCombo
    return int(
        c.JIS_INCORPORATION_UCS_UNIFICATION_RULE
        | c.MOJ_NOTICE_582
        | c.MOJ_FAMILY_REGISTER_ACT_RELATED_NOTICE
    )


def mj_one_hop(ch: str) -> str:
    """The single JIS X 0208 character the MJ map shrinks ``ch`` to, or ``ch`` itself."""
    combo = _mj_combo()
    if combo is None or _in_jis0208(ch) or not unicodedata.category(ch).startswith("Lo"):
        return ch
    import jntajis

    targets = {t for t in jntajis.mj_shrink_candidates(ch, combo) if len(t) == 1 and t != ch}
    targets = {t for t in targets if _in_jis0208(t)}
    return targets.pop() if len(targets) == 1 else ch


class _FoldTable(dict[int, str | None]):
    """str.translate table that computes a character's fold the first time it is seen."""

    def __missing__(self, cp: int) -> str | None:
        ch = chr(cp)
        if 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF or ch in _SEPARATORS:
            folded: str | None = None  # variation selectors and separators are dropped
        else:
            project = _project_table()
            hop = project.get(ch) or mj_one_hop(ch)
            folded = project.get(hop, hop)
        if len(self) < 200_000:
            self[cp] = folded
        return folded


_FOLD = _FoldTable()


def name_key(s: str) -> str:
    """NFKC, variation selectors stripped, variant kanji folded, no spaces: 髙橋 一郎 → 高橋一郎."""
    return _recompose(_nfkc(s).translate(_FOLD), _FOLD)


def spaced(s: str) -> str:
    """Family and given name separated by one ASCII space, width normalized."""
    return _SPACES.sub(" ", _nfkc(s)).strip()


def mask_name(name: str) -> str:
    """A name for a screen that must not show it whole: the family name and the given name's
    first character, ``髙橋 一郎`` -> ``髙橋 一●``; a given name of one character is hidden,
    ``山田 翔`` -> ``山田 ●`` (its first character would be all of it); a name without a space,
    its first character, ``ジョン`` -> ``ジ●●``. Full-width and repeated spaces count as one."""
    family, sep, given = " ".join(name.replace("\u3000", " ").split()).partition(" ")
    if not sep:
        return family[:1] + "●" * max(1, len(family) - 1) if family else ""
    given = given.replace(" ", "")
    if len(given) <= 1:
        return f"{family} ●"
    return f"{family} {given[0]}{'●' * (len(given) - 1)}"


def is_kana(s: str) -> bool:
    """True when ``s`` has kana and nothing but kana, prolonged sound marks and separators."""
    seen = False
    for ch in _nfkc(s):
        if ch in _SEPARATORS:
            continue
        if not (
            "\u3041" <= ch <= "\u309f" or "\u30a0" <= ch <= "\u30ff" or "\u31f0" <= ch <= "\u31ff"
        ):
            return False
        seen = True
    return seen
