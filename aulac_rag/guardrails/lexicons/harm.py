"""Harm that no sandbox helps with: weapons, drug making, poisoning or hurting others,
hacking and scamming other people. Blocked when asked as a how-to or an intent,
allowed as information ("… bị phạt thế nào?", "làm sao phòng tránh …").
"""

from __future__ import annotations

SIGNALS: dict[str, list[str]] = {
    "how_to": [
        "cách|làm sao|làm thế nào|làm cách nào|hướng dẫn|chỉ (?:tôi|mình|em|cho tôi|cho mình|cho em|giúp)|mách|bày|"
        "công thức|các bước|bí quyết|mẹo|có cách nào|giúp (?:tôi|mình|em)|tôi (?:muốn|cần|định|phải)|mình (?:muốn|cần|định)|"
        "em (?:muốn|cần|định)|viết (?:cho tôi|giúp|hộ|một)|soạn (?:cho tôi|giúp|hộ|một)|tạo (?:cho tôi|giúp|hộ)|"
        "how to|how do i|how can i|how would i|steps to|guide to|teach me|tutorial|tips (?:for|to)|help me|write (?:me )?a|i want to|i need to",
        "(?:hãy |bạn hãy |giúp tôi |và )?(?:viết|soạn|tạo|lập|thiết kế|dựng|làm|chuẩn bị) (?:\\w+ ){0,2}(?:kịch bản|tin nhắn|email|bài đăng|bài viết|trang|website|web|link|app|ứng dụng|mẫu)",
        "(?<=^ )(?:hãy |bạn hãy )?(?:viết|soạn|tạo|lập|chỉ|hướng dẫn|liệt kê|cho tôi|write|create|make|give me|list)",
    ],
    "topic": [
        "chế tạo (?:bom|thuốc nổ|mìn|súng|vũ khí|lựu đạn|chất nổ)|(?:làm|chế|tự chế|tự làm) (?:bom|thuốc nổ|súng|mìn|lựu đạn|chất nổ|bom xăng)",
        "(?:điều chế|tổng hợp|nấu|chế|sản xuất|làm) (?:ma túy|meth|ketamine|thuốc lắc|heroin|cocaine|fentanyl|đá|hàng đá|cần sa|mdma)",
        "(?:trồng|mua|bán|vận chuyển|giấu|buôn) (?:cần sa|ma túy|thuốc lắc|heroin|cỏ mỹ|hàng trắng|cocaine)|buôn lậu|buôn người",
        "đầu độc|hạ độc|bỏ (?:thuốc|độc|thuốc ngủ|thuốc mê|thuốc chuột|chất độc) (?:\\w+ ){0,2}vào (?:đồ uống|nước|đồ ăn|cà phê|rượu|bia|cơm|sữa|cốc|ly)",
        "giết (?:người|ai đó|hắn|nó|chồng|vợ|bố|mẹ|sếp|thầy|cô|bạn|con)|ám sát|đánh (?:cho )?(?:chết|tàn phế|què)|bắt cóc|tạt axit",
        "(?:hack|xâm nhập|đột nhập|bẻ khóa|chiếm quyền|lấy trộm|đánh cắp|trộm) (?:vào )?(?:tài khoản|facebook|zalo|email|gmail|wifi|"
        "điện thoại|máy tính|hệ thống|ngân hàng|mật khẩu|mã otp|otp|thông tin thẻ|thẻ tín dụng|dữ liệu|camera)",
        "(?:lừa|lừa đảo|lừa tiền|chiếm đoạt tiền|dụ) (?:\\w+ ){0,2}(?:người khác|người già|khách hàng|ai đó|người dân|nạn nhân|bạn bè|người quen)",
        "(?:kịch bản|tin nhắn|email|cuộc gọi|trang web|website|web|link|đường link|ứng dụng|app) (?:\\w+ ){0,2}(?:lừa đảo|giả mạo|phishing|giả danh)",
        "(?:giả danh|mạo danh) (?:công an|ngân hàng|nhân viên|cán bộ|cơ quan|bác sĩ|bệnh viện|nhà trường|giáo viên)",
        "(?:chất|thuốc) (?:độc )?(?:\\w+ ){0,3}(?:không màu|không mùi|khó phát hiện|không thể phát hiện|không bị phát hiện)|"
        "(?:khám nghiệm|pháp y|xét nghiệm) (?:\\w+ ){0,3}không (?:phát hiện|tìm ra|thấy)",
        "phishing|mã độc|malware|ransomware|keylogger|phần mềm gián điệp|spyware|ddos",
        "(?:theo dõi|nghe lén|đọc trộm|xem trộm|định vị) (?:\\w+ ){0,2}(?:điện thoại|vị trí|tin nhắn|camera)|quay lén|chụp lén|cài (?:phần mềm|app) theo dõi",
        "make (?:a )?(?:bomb|explosive|meth|weapon|gun)|cook meth|poison (?:someone|my|a person|him|her)|kill (?:someone|him|her|my)|"
        "hack (?:into )?(?:someone|an account|a bank|my (?:ex|wife|husband))|steal (?:money|credit card|identity|passwords?)|"
        "phishing (?:email|page|site)|scam (?:people|someone|elderly)",
    ],
    "evasion": [
        "(?:mà|để|sao cho) (?:\\w+ ){0,3}không (?:bị )?(?:phát hiện|bắt được|biết|thấy|nhận ra|truy ra)",
        "(?:mà |để |sao cho )?không (?:bị )?(?:phát hiện|phạt|bắt|truy|truy cứu|lộ|ai biết|để lại dấu vết)|tránh bị (?:phát hiện|bắt|truy|phạt)|"
        "qua mặt (?:công an|cơ quan|kiểm tra|ngân hàng)|xóa dấu vết|phi tang|without (?:getting caught|being (?:caught|detected|traced))",
    ],
    "info_frame": [
        "bị phạt|xử phạt|hình phạt|mức phạt|tội gì|phạm tội|vi phạm|pháp luật|luật|bộ luật|quy định|điều khoản|"
        "phòng tránh|phòng chống|phòng ngừa|ngăn chặn|nhận biết|nhận diện|dấu hiệu|là gì|bảo vệ|tố giác|tố cáo|báo cáo|trình báo|"
        "có bị|bao nhiêu năm tù|xử lý|thủ đoạn|cảnh giác|cảnh báo|nạn nhân của|bị lừa|đã bị|vừa bị|đang bị|"
        "penalty|illegal|how to avoid|how to protect|prevent|recognize|report",
    ],
}

ALWAYS: list[list[str]] = [["topic", "evasion"]]
WHEN: list[list[str]] = [["how_to", "topic"]]
UNLESS: list[list[str]] = [["info_frame"]]
