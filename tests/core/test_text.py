import unicodedata

import pytest

from aulac_rag.errors import TextError
from aulac_rag.text.legacy import detect_legacy_encoding, ensure_unicode_vietnamese
from aulac_rag.text.normalize import fold_diacritics, has_diacritics, normalize_text, normalize_tone_placement
from aulac_rag.text.tokenize import syllable_bigram_tokens, tokenizers


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [("hoà", "hòa"), ("thuỷ", "thủy"), ("khoẻ", "khỏe"), ("HOÀ", "HÒA"), ("Thuý", "Thúy"), ("hoàn", "hoàn"), ("quả", "quả"),
     ("giữ", "giữ"), ("người", "người"), ("thuyền", "thuyền"), ("tuổi", "tuổi"), ("khuya", "khuya"), ("oái", "oái")],
)
def test_tone_placement_is_canonical(variant: str, canonical: str) -> None:
    assert normalize_tone_placement(variant) == canonical
    assert normalize_tone_placement(canonical) == canonical


def test_normalize_text_nfc_invisible_and_spaces() -> None:
    decomposed = unicodedata.normalize("NFD", "Bảo hiểm y tế hoà")
    out = normalize_text(decomposed + "\u200b\u00a0thuỷ")
    assert out == "Bảo hiểm y tế hòa thủy"
    assert unicodedata.is_normalized("NFC", out)


def test_fold_and_detect_diacritics() -> None:
    assert fold_diacritics("Đường bảo hiểm") == "Duong bao hiem"
    assert has_diacritics("bảo hiểm") and not has_diacritics("bao hiem y te")


def test_bigram_tokens_match_both_tone_styles() -> None:
    assert syllable_bigram_tokens("hoà bình") == syllable_bigram_tokens("hòa bình") == ["hòa", "bình", "hòa_bình"]


def test_word_segmenters_registered() -> None:
    assert "bảo_hiểm" in tokenizers.get("pyvi")("Bảo hiểm y tế")
    assert {"syllable", "syllable_bigram", "pyvi", "underthesea"} <= set(tokenizers.names())


def test_legacy_encodings_refused_with_advice() -> None:
    tcvn3 = "Céng hoµ x· héi chñ nghÜa ViÖt Nam §éc lËp - Tù do - H¹nh phóc. LuËt b¶o hiÓm y tÕ"
    vni = "Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam Ñoäc laäp - Töï do - Haïnh phuùc"
    assert detect_legacy_encoding(tcvn3) == "TCVN3"
    assert detect_legacy_encoding(vni) == "VNI"
    assert detect_legacy_encoding("Cộng hòa xã hội chủ nghĩa Việt Nam. Độc lập - Tự do - Hạnh phúc") is None
    assert detect_legacy_encoding("Plain English text about weather, markets and football results.") is None
    with pytest.raises(TextError, match="Unicode"):
        ensure_unicode_vietnamese(tcvn3, "old.txt")
