"""Detect text in legacy Vietnamese encodings (TCVN3/ABC, VNI) read as Unicode.

Such text looks like ``ViÖt Nam`` (TCVN3) or ``Vieät Nam`` (VNI). Real Unicode
Vietnamese almost always has letters outside Latin-1 (ư, ơ, đ, ạ, ệ, ...); legacy
text has none and is full of Latin-1 look-alikes instead.
"""

from __future__ import annotations

import re

from aulac_rag.errors import TextError

# Characters TCVN3 maps Vietnamese letters onto (cp1252 view of the ABC fonts).
_TCVN3_CHARS = set("¸µ¶·¹¨»¾¼½Æ©ÇÊÈÉË®ÌÐÎÏÑªÒÕÓÔÖ×ÝØÜÞãßáâä«åèæçé¬êíëìîóïñòô¦öùøúûüõ§¢¡£¤¥")
# VNI encodes tones as a second byte after the vowel: aù aø aû aõ aï, eä oã ...
_VNI_PAIR = re.compile(r"[aeiouyAEIOUY][ùøûõïâêäãëöÙØÛÕÏÂÊÄÃËÖ]|ñ[a-z]|Ñ[A-Z]")
_LETTER = re.compile(r"[^\W\d_]")
_UNICODE_VI = re.compile("[ăĂđĐơƠưƯ\u1ea0-\u1ef9]")


def detect_legacy_encoding(text: str) -> str | None:
    """``"TCVN3"``, ``"VNI"`` or ``None`` when the text looks like real Unicode."""
    vietnamese = len(_UNICODE_VI.findall(text))
    if vietnamese > len(text) * 0.01:  # letters <= len(text): real Unicode, no need to count letters
        return None
    letters = len(_LETTER.findall(text))
    if letters < 20 or vietnamese > letters * 0.01:
        return None
    tcvn3 = sum(ch in _TCVN3_CHARS for ch in text)
    vni = len(_VNI_PAIR.findall(text))
    if max(tcvn3, vni) < max(5, letters * 0.03):
        return None
    return "VNI" if vni * 2 >= tcvn3 else "TCVN3"


def ensure_unicode_vietnamese(text: str, source: str = "") -> str:
    """Return ``text`` unchanged, or raise TextError if it is in a legacy encoding."""
    encoding = detect_legacy_encoding(text)
    if encoding:
        where = f"{source}: " if source else ""
        raise TextError(
            f"{where}text looks like legacy {encoding} Vietnamese encoding, not Unicode; "
            "convert it to Unicode (e.g. UniKey's converter, 'Chuyển mã' → Unicode) and ingest again"
        )
    return text
