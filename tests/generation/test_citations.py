from __future__ import annotations

import random

import pytest

from aulac_rag.generation import CitationNumbering, CitationStreamFilter, check_citations, renumber_citations


class TestCheckCitations:
    def test_valid_kept(self) -> None:
        result = check_citations("A [1]. B [2].", 2)
        assert (result.text, result.cited, result.invalid) == ("A [1]. B [2].", (1, 2), ())

    def test_invented_removed_and_reported(self) -> None:
        result = check_citations("Mức đóng là 4,5% [1]. Trẻ em miễn phí [9].", 3)
        assert result.text == "Mức đóng là 4,5% [1]. Trẻ em miễn phí."
        assert result.cited == (1,) and result.invalid == (9,)

    def test_groups_normalized(self) -> None:
        result = check_citations("X [1, 3]; Y [2;7] Z [0]", 3)
        assert result.text == "X [1][3]; Y [2] Z"
        assert result.cited == (1, 3, 2) and result.invalid == (7, 0)

    def test_plain_brackets_untouched(self) -> None:
        assert check_citations("Điều [a] và [ghi chú]", 1).text == "Điều [a] và [ghi chú]"


@pytest.mark.parametrize("seed", range(25))
def test_stream_filter_matches_whole_text_check(seed: int) -> None:
    text = "Mức đóng là 4,5% [1]. Trẻ em [9] miễn phí [2, 7]. Xem [ghi chú] và [3][12]."
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(text)), 8))
    pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    filt = CitationStreamFilter(3)
    streamed = "".join(filt.feed(p) for p in pieces) + filt.flush()
    assert streamed == check_citations(text, 3).text


class TestCitationNumbering:
    def test_renumbered_in_order_of_first_citation_without_gaps(self) -> None:
        text, order = renumber_citations("A [3]. B [1][3]. C [5].")
        assert text == "A [1]. B [2][1]. C [3]."
        assert order == (3, 1, 5)

    def test_one_number_per_distinct_passage(self) -> None:
        chunk = {1: "a#0", 2: "b#4", 3: "a#0"}  # contexts 1 and 3 hold the same chunk
        numbering = CitationNumbering(chunk.__getitem__)
        assert numbering.renumber("X [2]. Y [3]. Z [1][3].") == "X [1]. Y [2]. Z [2]."
        assert numbering.order == (2, 3) and numbering.context(2) == 3

    def test_numbers_already_in_order_are_kept(self) -> None:
        assert renumber_citations("A [1]. B [2][3].") == ("A [1]. B [2][3].", (1, 2, 3))

    @pytest.mark.parametrize("seed", range(10))
    def test_stream_filter_renumbers_like_the_whole_text(self, seed: int) -> None:
        text = "Mức đóng là 4,5% [3]. Trẻ em [9] miễn phí [1, 3]. Xem [ghi chú] và [2][12]."
        rng = random.Random(seed)
        cuts = sorted(rng.sample(range(1, len(text)), 8))
        pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
        filt = CitationStreamFilter(3, CitationNumbering())
        streamed = "".join(filt.feed(p) for p in pieces) + filt.flush()
        expected, order = renumber_citations(check_citations(text, 3).text)
        assert streamed == expected == "Mức đóng là 4,5% [1]. Trẻ em miễn phí [2][1]. Xem [ghi chú] và [3]."
        assert filt.numbering is not None and filt.numbering.order == order == (3, 1, 2)


def test_ranges_are_read_as_the_numbers_they_span() -> None:
    checked = check_citations("Mức hưởng là 80% [1-3]. Người nghèo được 100% [2–4].", 3)
    assert checked.text == "Mức hưởng là 80% [1][2][3]. Người nghèo được 100% [2][3]."
    assert (checked.cited, checked.invalid) == ((1, 2, 3), (4,))
