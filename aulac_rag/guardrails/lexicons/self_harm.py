"""Self-harm and suicidal-ideation signals, escalated in every sandbox.

Wishes to die are escalated however they are framed. Acts and methods ("tự tử",
"rạch tay", "liều gây chết") are escalated unless the text is plainly informational
(statistics, prevention, a novel) and nobody in it is at risk.
"""

from __future__ import annotations

_ACT = (
    "tự tử|tự sát|tự vẫn|tự kết liễu|quyên sinh|tìm đến cái chết|tìm cái chết|tìm tới cái chết|tự tìm đến cái chết|"
    "kết liễu (?:đời|cuộc đời|bản thân|mạng sống|sinh mạng|chính mình)|"
    "kết thúc (?:cuộc đời|cuộc sống|mạng sống|sinh mạng|đời|tất cả) (?:của )?(?:mình|tôi|em|bản thân|chính mình)|"
    "tự (?:làm hại|làm đau|hại|hành hạ|gây thương tích|làm tổn thương|trừng phạt) (?:bản thân|mình|chính mình|thân thể)|"
    "tự (?:rạch|cắt|cứa|đâm) (?:tay|cổ tay|cổ|mình|vào tay|vào người|đùi)|rạch tay|rạch cổ tay|cắt cổ tay|cứa tay|cứa cổ tay|"
    "nhảy (?:lầu|cầu|sông|xuống sông|từ tầng|từ trên|khỏi tầng|xuống từ)|treo cổ|thắt cổ|uống thuốc (?:ngủ|chuột|trừ sâu|diệt cỏ) (?:để|cho) "
    "(?:chết|ngủ luôn|ra đi|xong)|uống (?:hết|cả|nguyên) (?:vỉ|lọ|hộp|tuýp|chai) thuốc (?:ngủ|an thần)?|"
    "(?:uống|nuốt) (?:thật nhiều|cả nắm|một nắm|hàng chục viên) thuốc|tự đầu độc|tự thiêu|"
    "suicide|self ?harm|self-harm|overdose on purpose|slit my wrists|hang myself|jump off|"
    "(?:took|swallowed) (?:\\w+ ){0,2}(?:\\d{2,}|a whole bottle of|all (?:my|the)) (?:\\w+ ){0,1}(?:pills|tablets|sleeping pills)"
)
_METHOD = (
    "(?:liều|lượng) (?:thuốc )?(?:gây chết|chết người|gây tử vong|tử vong|gây tử|để chết|làm chết người)|"
    "(?:uống|dùng|tiêm|nuốt) (?:bao nhiêu|mấy) ~ (?:thì|sẽ|để|có thể|là|mới) (?:chết|tử vong|ngủ mãi|không tỉnh|ra đi|đi luôn)|"
    "(?:cách|làm sao|làm thế nào) (?:để )?(?:chết|ra đi) (?:nhanh|không đau|nhẹ nhàng|êm ái)|chết (?:không đau|nhẹ nhàng|êm ái)|"
    "lethal dose|how many pills ~ (?:die|kill|death)|painless (?:way to die|death)|how to (?:die|kill myself)"
)
_PEOPLE = (
    "tôi|mình|em|tao|tớ|tui|con tôi|con mình|con em|con trai tôi|con gái tôi|bạn tôi|bạn mình|bạn em|bạn thân|"
    "bạn cùng lớp|người yêu|người yêu tôi|vợ tôi|chồng tôi|bố tôi|mẹ tôi|ba tôi|má tôi|anh tôi|chị tôi|em tôi|"
    "cháu tôi|học sinh của tôi|học sinh lớp tôi|i|my friend|my son|my daughter|he|she"
)

SIGNALS: dict[str, list[str]] = {
    # Wishes and feelings: first person by nature.
    "wish": [
        "muốn chết|mong chết|thà chết|thà chết còn hơn|chết quách|chết đi cho xong|chết cho xong|chết cho rồi|"
        "chết đi cho rảnh nợ|ước gì (?:tôi |mình |em )?(?:chết|không tồn tại|biến mất|không được sinh ra|chưa từng sinh ra)",
        "không (?:muốn|thiết|còn muốn|còn thiết|còn thiết tha) (?:sống|tồn tại|thức dậy|tỉnh dậy)(?: nữa)?|"
        "chẳng (?:muốn|thiết) sống|chán sống|hết muốn sống|sống không nổi nữa|không sống nổi nữa|"
        "không còn (?:lý do|động lực|ý nghĩa) (?:gì )?(?:để )?(?:sống|tồn tại)|không có lý do (?:gì )?để sống",
        "(?:cuộc sống|cuộc đời|sống|đời) (?:này )?(?:của (?:tôi|mình|em|tao|tớ|tui) )?(?:bây giờ |giờ |thật sự )?(?:thật |quá |chẳng |chả )?(?:không còn |chẳng còn |chả còn )?(?:vô nghĩa|ý nghĩa gì|không đáng sống|chẳng đáng sống|chẳng để làm gì|không để làm gì)",
        "muốn biến mất (?:mãi mãi|vĩnh viễn|khỏi (?:cuộc đời|thế giới|thế gian|cõi đời|trần gian|đời này))|muốn biến mất",
        "(?:ngủ|nhắm mắt) (?:một giấc )?(?:mãi mãi|không (?:bao giờ )?(?:dậy|tỉnh) nữa|luôn không dậy)|"
        "muốn (?:ra đi|đi) (?:mãi mãi|vĩnh viễn|cho nhẹ nhõm|cho xong)|không muốn tỉnh dậy",
        "(?:là|chỉ là) (?:gánh nặng|của nợ) (?:cho|của) (?:mọi người|gia đình|bố mẹ|tất cả)",
        "tuyệt vọng (?:quá|lắm|cùng cực|hoàn toàn)|hết hy vọng sống|không còn hy vọng (?:gì )?(?:nữa|để sống)",
        "thư tuyệt mệnh|viết thư tuyệt mệnh|lời trăng trối|nói lời từ biệt (?:lần cuối|cuối cùng)|"
        "tạm biệt (?:mọi người|tất cả|thế giới) (?:lần cuối|mãi mãi|vĩnh viễn)",
        "want to die|wanna die|wish i (?:was|were) dead|better off dead|kill myself|killing myself|end my life|"
        "end it all|take my (?:own )?life|don't want to (?:live|be alive|wake up)|dont want to live|no reason to live|"
        "no point (?:in )?living|not worth living|suicidal|hurt myself|harm myself|cut myself|cutting myself",
    ],
    # Acts and methods.
    "act": [_ACT, _METHOD],
    "act_intent": [
        f"(?:muốn|định|tính|sẽ|nghĩ đến|nghĩ tới|nghĩ về|nghĩ đến chuyện|nghĩ tới chuyện|có ý định|ý định|từng|suýt|cố|thử|"
        f"đang|vừa|đã|lại|dọa|đòi|sắp|chuẩn bị|want to|going to|plan to|thinking about|tried to) (?:\\w+ ){{0,2}}(?:{_ACT})",
    ],
    "me_intent": [
        f"(?:{_PEOPLE}) (?:\\w+ ){{0,3}}(?:muốn|định|tính|sẽ|nghĩ đến|nghĩ tới|nghĩ về|có ý định|từng|suýt|cố|thử|"
        f"đang|vừa|đã|lại|dọa|đòi|sắp|chuẩn bị|want to|going to|plan to|thinking about|tried to) (?:\\w+ ){{0,2}}(?:{_ACT})",
    ],
    "info_frame": [
        "tỷ lệ|thống kê|số liệu|số ca|nghiên cứu|khảo sát|báo cáo|xu hướng|nguyên nhân (?:dẫn đến|gây ra|của)|yếu tố nguy cơ|"
        "phòng ngừa|phòng chống|phòng tránh|ngăn ngừa|ngăn chặn|dấu hiệu (?:nhận biết|cảnh báo)|nhận biết|"
        "luật|quy định|pháp luật|bài (?:báo|viết|luận|thuyết trình|giảng)|tiểu luận|tiểu thuyết|truyện|phim|nhân vật|"
        "lịch sử|tác phẩm|văn học|chương trình|chính sách|vai trò của|tầm quan trọng|là gì|định nghĩa|"
        "statistics|prevention|research|rate of|risk factors|warning signs",
    ],
}

ALWAYS: list[list[str]] = [["wish"], ["me_intent"]]
WHEN: list[list[str]] = [["act"], ["act_intent"]]
UNLESS: list[list[str]] = [["info_frame"]]
