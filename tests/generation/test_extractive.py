from __future__ import annotations

import pytest

from aulac_rag.config import GenerationConfig
from aulac_rag.errors import ConfigError
from aulac_rag.generation import NOT_FOUND_ANSWER, QUOTE_NOTE, ExtractiveGenerator, PromptBuilder, load_generator
from aulac_rag.generation.extractive import strip_quote_note
from aulac_rag.generation.quotes import quotes
from aulac_rag.retrieval.types import Hit

HITS = [
    Hit("bhyt.md", "bhyt.md#0", 0.9, "Mức đóng BHYT",
        "Bảo hiểm y tế là loại bảo hiểm bắt buộc. Mức đóng hằng tháng bằng 4,5% tiền lương. Trẻ em dưới 6 tuổi được cấp thẻ miễn phí."),
    Hit("thue.md", "thue.md#0", 0.5, "Thuế", "Người lao động nộp thuế thu nhập cá nhân theo biểu lũy tiến."),
]  # fmt: skip


#: A price list: the condition ("Tại bệnh viện tuyến tỉnh") is a lead-in, the prices sit in the items.
PRICES = Hit("gia.txt", "gia.txt#0", 0.9, "Giá khám bệnh",
    "Giá khám bệnh được áp dụng thống nhất trong cả nước.\n"
    "Tại bệnh viện tuyến tỉnh:\n"
    "- giá một lần khám là 45.000 đồng;\n"
    "- người bệnh đến khám ngoài giờ hành chính trả thêm 20.000 đồng.\n"
    "Tại trạm y tế xã:\n"
    "- người có thẻ bảo hiểm y tế được khám miễn phí.\n\n"
    "Bệnh viện niêm yết giá khám bệnh công khai tại khu vực tiếp đón.")
#: A legal article: points a), b) under their clause's lead-in; the chunk starts mid-sentence.
ARTICLE = Hit("luat.md", "luat.md#3", 0.8, "Điều 7. Quyền của người bệnh",
    "điều trị nội trú thì được tính theo ngày giường. Người bệnh có quyền được thông tin về chi phí khám bệnh.\n"
    "1. Khi khám bệnh tại bệnh viện tuyến huyện, người bệnh có các quyền sau đây:\n"
    "a) được lựa chọn bác sĩ khám bệnh;\n"
    "b) được cấp bản sao hồ sơ bệnh án trong thời hạn 5 ngày làm việc.\n"
    "2. Người bệnh có nghĩa vụ tôn trọng nhân viên y tế.")
OFF_TOPIC = Hit("chung.md", "chung.md#0", 0.95, "Giới thiệu",
    "Bệnh viện Âu Lạc là bệnh viện đa khoa hạng I với hơn 800 giường bệnh. Khám bệnh từ thứ Hai đến thứ Bảy.")  # fmt: skip


def _answer(question: str, hits: list[Hit] = HITS, **kw: object) -> str:
    prompt = PromptBuilder().run(question, hits)
    return "".join(ExtractiveGenerator(**kw).stream(prompt))


def _quoted(answer: str) -> str:
    assert answer.endswith(f"\n\n{QUOTE_NOTE}"), answer
    return strip_quote_note(answer)


class TestExtractive:
    def test_defaults(self) -> None:
        gen = ExtractiveGenerator()
        assert (gen.name, gen.mode, gen.model, gen.max_sentences) == ("extractive", "extractive", "extractive", 3)
        assert isinstance(load_generator(GenerationConfig(extractive_sentences=2)), ExtractiveGenerator)
        assert load_generator(GenerationConfig(extractive_sentences=2)).max_sentences == 2

    @pytest.mark.parametrize(
        ("kw", "needle"), [({"max_sentences": 0}, "max_sentences"), ({"min_overlap": 2}, "min_overlap")]
    )
    def test_invalid(self, kw: dict, needle: str) -> None:
        with pytest.raises(ConfigError, match=needle):
            ExtractiveGenerator(**kw)

    def test_quotes_the_best_sentence_with_its_number(self) -> None:
        answer = _answer("Mức đóng hằng tháng là bao nhiêu?", max_sentences=1)
        assert answer == f"Mức đóng hằng tháng bằng 4,5% tiền lương [1].\n\n{QUOTE_NOTE}"

    def test_diacritics_insensitive(self) -> None:
        answer = _answer("muc dong hang thang bao nhieu", max_sentences=1)
        assert _quoted(answer) == "Mức đóng hằng tháng bằng 4,5% tiền lương [1]."

    def test_cites_the_right_context(self) -> None:
        assert _quoted(_answer("thuế thu nhập cá nhân nộp thế nào", max_sentences=1)).endswith("[2].")

    def test_says_the_answer_is_quoted(self) -> None:
        answer = _answer("Trẻ em dưới 6 tuổi có được cấp thẻ không?")
        assert answer.startswith("Trẻ em dưới 6 tuổi")  # the most direct sentence first, no preamble
        assert answer.splitlines()[-1] == QUOTE_NOTE == "(Các câu trên được trích nguyên văn từ tài liệu.)"
        assert answer.count(QUOTE_NOTE) == 1

    def test_not_found_has_no_quote_note(self) -> None:
        assert QUOTE_NOTE not in _answer("Cách nấu phở bò?")

    @pytest.mark.parametrize(
        "question",
        [
            "Giá khám ở bệnh viện tuyến tỉnh là bao nhiêu?",
            "khám ngoài giờ trả thêm bao nhiêu",
            "Người bệnh có quyền gì khi khám ở tuyến huyện?",
            "Bao lâu thì được cấp bản sao hồ sơ bệnh án?",
            "Điều trị nội trú tính chi phí thế nào?",
        ],
    )
    def test_never_starts_with_a_lower_case_fragment(self, question: str) -> None:
        answer = _answer(question, [PRICES, ARTICLE, OFF_TOPIC])
        if answer == NOT_FOUND_ANSWER:  # only the cut fragment matched: nothing to quote
            return
        quoted = _quoted(answer)
        sentences = [s.strip() for s in quoted.split("].") if s.strip()]
        assert sentences and all(s[0].isupper() for s in sentences), quoted
        assert "điều trị nội trú thì" not in quoted.lower()  # the tail of a sentence cut at the chunk's start

    def test_sentences_are_whole_never_cut_at_a_semicolon(self) -> None:
        quoted = _quoted(_answer("Khám ngoài giờ hành chính ở tuyến tỉnh trả thêm bao nhiêu?", [PRICES]))
        assert "người bệnh đến khám ngoài giờ hành chính trả thêm 20.000 đồng [1]." in quoted

    def test_the_lead_in_condition_comes_with_the_sentence(self) -> None:
        quoted = _quoted(_answer("Giá một lần khám là bao nhiêu?", [PRICES, OFF_TOPIC], max_sentences=1))
        assert quoted == "Tại bệnh viện tuyến tỉnh: giá một lần khám là 45.000 đồng [1]."

    def test_a_clause_lead_in_comes_with_its_points(self) -> None:
        quoted = _quoted(_answer("Bản sao hồ sơ bệnh án được cấp trong bao lâu?", [ARTICLE], max_sentences=1))
        assert quoted.startswith("Khi khám bệnh tại bệnh viện tuyến huyện, người bệnh có các quyền sau đây: ")
        assert "5 ngày làm việc [1]." in quoted

    def test_amount_asked_for_appears(self) -> None:
        # the question's words match the sentence about the price list best; the price is in another one
        hits = [Hit("gia.md", "gia.md#0", 0.9, "Phí", "Phí cấp lại thẻ bảo hiểm y tế do cơ quan bảo hiểm xã hội thu khi "
                    "người tham gia làm mất thẻ bảo hiểm y tế. Mức thu là 20.000 đồng một lần.")]  # fmt: skip
        quoted = _quoted(_answer("Phí cấp lại thẻ bảo hiểm y tế khi làm mất thẻ là bao nhiêu?", hits, max_sentences=1))
        assert "20.000 đồng" in quoted

    def test_most_direct_sentence_first_and_off_topic_dropped(self) -> None:
        quoted = _quoted(_answer("Giá khám ở bệnh viện tuyến tỉnh là bao nhiêu?", [OFF_TOPIC, PRICES]))
        assert quoted.startswith("Tại bệnh viện tuyến tỉnh: giá một lần khám là 45.000 đồng [2].")
        assert "800 giường" not in quoted and "[1]" not in quoted

    def test_same_lead_in_said_once(self) -> None:
        question = "Ở bệnh viện tuyến tỉnh giá khám và khám ngoài giờ hành chính bao nhiêu tiền?"
        quoted = _quoted(_answer(question, [PRICES], keep_ratio=0.3))
        assert quoted.count("Tại bệnh viện tuyến tỉnh:") == 1 and "45.000" in quoted and "20.000" in quoted

    def test_nothing_matches(self) -> None:
        assert _answer("Cách nấu phở bò?") == NOT_FOUND_ANSWER

    def test_follow_up_focus_wins(self) -> None:
        prompt = PromptBuilder().run(
            "Mức đóng hằng tháng là bao nhiêu? Còn trẻ em thì sao?", HITS, focus="Còn trẻ em thì sao?"
        )
        answer = "".join(ExtractiveGenerator().stream(prompt))
        assert _quoted(answer).startswith("Trẻ em dưới 6 tuổi")


class TestQuotes:
    def test_units_keep_their_lead_in_and_skip_the_cut_start(self) -> None:
        units = quotes(ARTICLE.text, ARTICLE.title)
        assert [u.sentence for u in units][0] == "Người bệnh có quyền được thông tin về chi phí khám bệnh."
        point = next(u for u in units if "bác sĩ" in u.sentence)
        assert point.lead == "Khi khám bệnh tại bệnh viện tuyến huyện, người bệnh có các quyền sau đây:"
        assert point.sentence == "được lựa chọn bác sĩ khám bệnh."  # the point's ";" ends it as a sentence

    def test_item_without_its_lead_in_gets_the_heading(self) -> None:
        units = quotes("a) được lựa chọn bác sĩ;\nb) được cấp bản sao hồ sơ.", "Điều 7. Quyền của người bệnh")
        assert units[0].text() == "Điều 7. Quyền của người bệnh: được lựa chọn bác sĩ."

    def test_inline_label_carries_over_to_the_next_sentences(self) -> None:
        units = quotes("Tại tuyến tỉnh: giá khám là 45.000 đồng. Ngoài giờ trả thêm 20.000 đồng.")
        assert units[1].text() == "Tại tuyến tỉnh: Ngoài giờ trả thêm 20.000 đồng."

    def test_hard_wrapped_lines_are_joined(self) -> None:
        text = "Người tham gia bảo hiểm y tế theo hộ gia đình phải đóng cho\ntất cả thành viên có tên trong sổ hộ khẩu."
        assert [u.sentence for u in quotes(text)] == [text.replace("\n", " ")]

    def test_abbreviations_do_not_end_sentences(self) -> None:
        units = quotes("Bệnh viện ở TP. Hồ Chí Minh nhận người bệnh. Giá khám là 45.000 đồng.")
        assert [u.sentence for u in units] == ["Bệnh viện ở TP. Hồ Chí Minh nhận người bệnh.", "Giá khám là 45.000 đồng."]


def test_a_heading_standing_for_the_lead_in_is_said_once() -> None:
    hits = [Hit("the.md", "the.md#2", 0.9, "Điều 2. Thời điểm thẻ bắt đầu có giá trị",
                "1. Người đóng lần đầu phải chờ 30 ngày kể từ ngày đóng mới được dùng thẻ.\n"
                "2. Người đóng liên tục từ lần thứ hai được dùng thẻ ngay từ ngày đóng.")]  # fmt: skip
    quoted = _quoted(_answer("Người đóng thẻ lần đầu hay lần thứ hai thì từ ngày nào được dùng thẻ?", hits, keep_ratio=0.3))
    assert quoted.startswith("Điều 2. Thời điểm thẻ bắt đầu có giá trị: Người đóng")
    assert quoted.count("Điều 2.") == 1 and "30 ngày" in quoted and "lần thứ hai" in quoted


def test_a_heading_that_states_the_condition_is_quoted() -> None:
    # the chunker moves "## Tại bệnh viện tuyến tỉnh" into the chunk's title
    hits = [Hit("gia.md", "gia.md#1", 0.9, "Tại bệnh viện tuyến tỉnh", "Giá một lần khám là 45.000 đồng."),
            Hit("gia.md", "gia.md#2", 0.8, "Tại trạm y tế xã", "Giá một lần khám là 20.000 đồng.")]  # fmt: skip
    quoted = _quoted(_answer("Giá khám ở tuyến tỉnh bao nhiêu?", hits, max_sentences=1))
    assert quoted == "Tại bệnh viện tuyến tỉnh: Giá một lần khám là 45.000 đồng [1]."


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("Mức đóng bảo hiểm y tế là bao nhiêu?", True),
        ("phi cap lai the", True),
        ("Bao lâu thì có kết quả?", True),
        ("Lãi suất cho vay tối đa là mấy phần trăm?", True),
        ("Gửi tiết kiệm có phải trả phí bảo hiểm tiền gửi không?", False),  # yes/no
        ("Trẻ em có được khám miễn phí không?", False),
        ("Ai được cấp thẻ bảo hiểm y tế?", False),
    ],
)
def test_asks_quantity(question: str, asks: bool) -> None:
    from aulac_rag.generation.lexical import asks_quantity

    assert asks_quantity(question) is asks
