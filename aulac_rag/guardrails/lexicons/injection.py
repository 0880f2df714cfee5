"""Prompt-injection, jailbreak and system-prompt-extraction signals (Vietnamese and English).

Signals are families of phrases, combined by :data:`WHEN` / :data:`ALWAYS`: an override
verb aimed at the assistant's instructions, a persona frame with "no limits", a reveal
verb aimed at the hidden prompt, forged role tags, instructions addressed to "the AI"
inside pasted documents. Patterns are matched on the canonical text (see
``guardrails/textnorm.py`` and ``guardrails/patterns.py``): write them with diacritics.
"""

from __future__ import annotations

_STRONG_VERBS = (
    "bỏ qua|phớt lờ|phớt|lờ đi|làm lơ|mặc kệ|gạt bỏ|gạt sang một bên|quên đi|quên hết|quên sạch|vô hiệu hóa|ghi đè|"
    "không cần tuân theo|không cần tuân thủ|không cần làm theo|đừng tuân theo|đừng tuân thủ|đừng làm theo|"
    "ngừng tuân theo|ngừng tuân thủ|ngừng làm theo|thôi tuân theo|thôi làm theo|không phải tuân theo|"
    "đừng quan tâm đến|đừng quan tâm tới|đừng quan tâm|không cần quan tâm|đừng để ý|không cần để ý|bất chấp|"
    "vượt qua|lách qua|phá bỏ|phá vỡ|thoát khỏi|"
    "ignore|ignoring|disregard|forget|override|bypass|pay no attention to|do not follow|don't follow|dont follow|"
    "stop following|no longer follow|circumvent|get around|set aside|break free of|break free from"
)
_WEAK_VERBS = (
    "bỏ|bỏ hết|bỏ đi|quên|xóa bỏ|xóa hết|xóa|hủy bỏ|hủy|vô hiệu|tắt|vượt|lách|thay thế|loại bỏ|vứt bỏ|gạt|"
    "không tuân theo|không tuân thủ|không làm theo|skip|drop|discard|neglect|abandon|turn off|disable|deactivate|"
    "remove|ditch|throw away|overwrite|escape|replace"
)
_CORE_NOUNS = (
    "chỉ dẫn|hướng dẫn|chỉ thị|quy tắc|nguyên tắc|luật lệ|mệnh lệnh|giới hạn|ràng buộc|bộ lọc|kiểm duyệt|prompt|"
    "lời nhắc|hạn chế|rào cản|instruction|instructions|rule|rules|guideline|guidelines|directive|directives|"
    "restriction|restrictions|constraint|constraints|filter|filters|guardrail|guardrails|policies|programming|"
    "prompts|safeguards|limitations"
)
_EXTRA_NOUNS = (
    "lệnh|tin nhắn|cài đặt|thiết lập|cấu hình|chính sách|quy định|luật|điều khoản|nhiệm vụ|vai trò|message|messages|"
    "context|settings|configuration|training|limits|policy|commands|orders|role"
)
_AI_PRE = (
    "previous|prior|above|earlier|preceding|original|initial|system|your|the above|all previous|all prior|"
    "all your|all the previous|all of your|all of the previous|any previous|developer|hidden|default|built-in|"
    "openai|safety|ethical|moderation|existing|old"
)
_AI_POST = (
    "trước đó|trước đây|trước kia|ở trên|phía trên|bên trên|ban đầu|gốc|hệ thống|của bạn|của mày|của cậu|"
    "của hệ thống|của nhà phát triển|của admin|của openai|được giao|được cài|được cài đặt|được lập trình|"
    "được cung cấp|được thiết lập|được đưa ra|đã được|đã cho|mà bạn|bạn được|bạn đang|nội bộ|ẩn|mặc định|an toàn|"
    "đạo đức|kiểm duyệt|cũ|above|before|so far|given to you|you were given|you have been given|you received"
)
_GENERIC_PRE = "mọi|tất cả|toàn bộ|hết thảy|hết mọi|tất tần tật|all|any|every|all the|all of the|all of"
_STRONG_TARGETS = (
    "system prompt|sys prompt|prompt hệ thống|lời nhắc hệ thống|guardrails?|safety (?:filters?|rules|guidelines|"
    "protocols?|measures|settings)|content (?:policy|filters?)|bộ lọc (?:an toàn|nội dung|kiểm duyệt)|"
    "chính sách (?:an toàn|nội dung|kiểm duyệt)|nguyên tắc (?:an toàn|đạo đức)|giới hạn (?:an toàn|đạo đức)|"
    "quy tắc (?:an toàn|đạo đức)|rào cản đạo đức|ethical (?:guidelines|constraints|rules|limits)|"
    "openai (?:policy|policies|rules|guidelines)|kiểm duyệt nội dung"
)
_ALL_VERBS = f"{_STRONG_VERBS}|{_WEAK_VERBS}"
_ALL_NOUNS = f"{_CORE_NOUNS}|{_EXTRA_NOUNS}"
_REVEAL_VERBS = (
    "in ra|in|hiển thị|hiện ra|hiện|cho tôi xem|cho mình xem|cho em xem|cho tao xem|cho tui xem|cho xem|cho tôi biết|"
    "cho mình biết|cho em biết|cho biết|cho coi|tiết lộ|nói ra|nói lại|nói cho tôi|nói cho mình|nói|liệt kê|lặp lại|"
    "nhắc lại|chép lại|sao chép|copy|dump|xuất ra|xuất|đưa ra|đưa|gửi|viết ra|viết lại|viết|trích xuất|cung cấp|"
    "đọc to|đọc lại|đọc|trình bày|kể|mô tả|dịch|tóm tắt|công khai|show|print|reveal|display|output|repeat|tell me|"
    "give me|what is|what are|what was|what were|whats|what's|share|leak|expose|list|recite|echo|summarize|"
    "translate|spell out|paste|write out|write down|disclose|provide|send me"
)
_SECRET_TARGETS = (
    "system prompt|sys prompt|system message|system instructions?|developer (?:message|instructions?|prompt)|"
    "initial (?:prompt|instructions?)|original (?:prompt|instructions?)|hidden (?:prompt|instructions?|rules)|"
    "pre ?prompt|meta ?prompt|your (?:instructions|prompt|prompts|rules|guidelines|system|configuration|initial|"
    "directives|programming|hidden|secret|original)|the (?:text|words|message|messages|content|instructions) above|"
    "everything (?:above|before|prior to|preceding|you were told|you've been told)|what (?:were|was|have) you (?:been )?(?:told|instructed|given|programmed)|"
    "what (?:did|do) (?:the developers?|they|your creators?|openai) (?:tell|instruct) you|(?:beginning|start) of (?:this|the) (?:conversation|chat)|"
    "(?:đoạn|văn bản|tin nhắn|nội dung|phần|dòng) (?:\\w+ ){0,2}(?:ở |nằm ở )?(?:đầu|đầu tiên|trước tiên|mở đầu) (?:của )?(?:cuộc (?:trò chuyện|hội thoại)|đoạn chat|cuộc chat|phiên)|"
    "những gì (?:bạn|mày) (?:đã )?được (?:dặn|bảo|căn dặn|hướng dẫn|lập trình|cài đặt|giao)|prompt (?:hệ thống|gốc|ban đầu|ẩn|bí mật|nội bộ|của bạn|đầu tiên|được cài)|"
    "lời nhắc (?:hệ thống|gốc|ban đầu|ẩn|bí mật|của bạn)|câu lệnh (?:ban đầu|gốc|hệ thống|ẩn)|"
    "(?:hướng dẫn|chỉ dẫn|chỉ thị|thông điệp|tin nhắn|quy tắc|cấu hình|thiết lập|nguyên tắc) (?:hệ thống(?! (?:đăng|quản|thông|học|e|lms|thanh|tra|đào|tín|online|trực|điểm|bảo|ngân|y|khám|tính|nộp|xét|tuyển|giáo|phần|của trường|trường|quỹ|thuế|hóa))|"
    "ban đầu|gốc|ẩn|bí mật|nội bộ|được cài|được lập trình|đầu tiên|mà bạn được (?:giao|cung cấp|cho|cài)|"
    "của bạn|của mày|mà bạn (?:đang )?(?:tuân theo|nhận được|có)|bạn đã được)|"
    "(?:nội dung|văn bản|đoạn văn|đoạn|tin nhắn|những gì|mọi thứ|các dòng|dòng) (?:được viết |được ghi |nằm )?"
    "(?:ở trên|phía trên|bên trên|trước câu này|trước tin nhắn này|trước đó)(?: cùng)?|tin nhắn đầu tiên|"
    "bạn được lập trình (?:như thế nào|ra sao|với|để)|ai (?:đã )?lập trình bạn|bạn được (?:cài đặt|thiết lập|huấn luyện) "
    "(?:với|những) (?:quy tắc|hướng dẫn|chỉ dẫn)"
)

SIGNALS: dict[str, list[str]] = {
    "override": [
        f"(?:{_STRONG_VERBS}) ~ (?:{_AI_PRE}) (?:\\w+ ){{0,2}}(?:{_ALL_NOUNS})",
        f"(?:{_STRONG_VERBS}) ~ (?:{_ALL_NOUNS}) (?:\\w+ ){{0,2}}(?:{_AI_POST})",
        f"(?:{_WEAK_VERBS}) ~ (?:{_AI_PRE}) (?:\\w+ ){{0,1}}(?:{_CORE_NOUNS})",
        f"(?:{_WEAK_VERBS}) (?:\\w+ ){{0,2}}(?:{_CORE_NOUNS}) (?:\\w+ ){{0,1}}(?:{_AI_POST})",
        f"(?:{_ALL_VERBS}) ~ (?:{_STRONG_TARGETS})",
        "(?:ignore|disregard|forget) (?:everything|all|anything) (?:above|before|said|you were told|i said|you know)",
        "(?:ignore|disregard|forget|skip) (?:the |all of the |all the |all )?(?:above|previous|prior|preceding|earlier)(?: \\w+)?",
        f"(?:{_ALL_NOUNS}) (?:\\w+ ){{0,4}}(?:đã bị|bị|đã được|được|đều bị|đều đã bị|are|have been|were|is|has been) (?:\\w+ ){{0,1}}(?:hủy|hủy bỏ|xóa|xóa bỏ|vô hiệu hóa|bãi bỏ|gỡ bỏ|thay thế|dỡ bỏ|lifted|removed|disabled|revoked|cancelled|canceled|void|suspended|overridden)",
        "(?:bỏ qua|quên|phớt lờ|lờ) (?:hết |đi |đi hết |sạch )?(?:mọi thứ|tất cả|những gì|mọi điều) (?:ở trên|phía trên|trước đó|trước đây|đã nói|bạn được dặn|được dặn|bạn biết|đã học)",
        "(?:quên|bỏ qua|bỏ) (?:hết |đi |hết đi )?(?:vai trò|nhiệm vụ|danh tính|thân phận) (?:của bạn|cũ|hiện tại|trợ lý|ban đầu)",
        "(?:forget|ignore|drop|abandon) (?:your|the) (?:role|persona|identity|character|purpose)",
        "(?:new|updated|real|actual|true|revised) (?:instructions|rules|system prompt|directives?|orders)",
        "(?:hướng dẫn|chỉ thị|chỉ dẫn|quy tắc|lệnh|nhiệm vụ) mới (?:của bạn |dành cho bạn |từ (?:admin|hệ thống|nhà phát triển|quản trị) )?(?:là|như sau)",
        "(?:chỉ thị|hướng dẫn|lệnh|yêu cầu) (?:mới )?(?:từ|của) (?:admin|quản trị viên|nhà phát triển|developer|hệ thống|openai)",
        "(?:không|đừng|chẳng) (?:cần |phải )?(?:tuân theo|tuân thủ|làm theo) (?:bất kỳ|bất cứ) (?:quy tắc|nguyên tắc|hướng dẫn|chỉ dẫn|luật|giới hạn)",
        "(?:từ giờ|từ bây giờ|từ nay|kể từ bây giờ|kể từ giờ) ~ (?:không (?:cần|phải)|đừng|không còn) (?:tuân theo|tuân thủ|bị ràng buộc|làm theo)",
    ],
    "override_generic": [
        f"(?:{_STRONG_VERBS}) ~ (?:{_GENERIC_PRE}) (?:\\w+ ){{0,2}}(?:{_CORE_NOUNS})",
        f"(?:{_WEAK_VERBS}) (?:{_GENERIC_PRE}) (?:\\w+ ){{0,1}}(?:quy tắc|nguyên tắc|giới hạn|ràng buộc|bộ lọc|kiểm duyệt|chỉ dẫn|chỉ thị|rules|restrictions|filters|guidelines|instructions)",
    ],
    "benign_question": [
        "(?:tôi|mình|em|người bệnh|bệnh nhân|học sinh|sinh viên|khách hàng|có|liệu|ai|trường hợp nào|khi nào|lúc nào) "
        "(?:có thể |có |cũng )?(?:được |được phép |có quyền )(?:bỏ qua|không tuân theo|không tuân thủ|không làm theo|miễn)",
        "(?:nếu|khi|lỡ) (?:tôi |mình |em |người bệnh |bệnh nhân |học sinh |sinh viên )?(?:bỏ qua|quên|không tuân theo|không tuân thủ|không làm theo)",
        "(?:bị phạt|xử phạt|hậu quả|có sao không|có bị)",
    ],
    "persona": [
        "(?:bạn|mày|cậu|you) (?:bây giờ|giờ|giờ đây|từ giờ|từ nay|từ bây giờ|hiện giờ|kể từ giờ) (?:sẽ )?(?:là|đóng vai|trở thành|hóa thân|hoạt động như|đóng)",
        "(?:từ giờ|từ bây giờ|từ nay|kể từ bây giờ|kể từ giờ) (?:trở đi )?(?:bạn|mày|cậu) (?:sẽ |hãy |phải )?(?:là|đóng vai|trở thành|hóa thân|hoạt động|trả lời|đóng)",
        "(?:hãy|bạn hãy|giờ hãy|bây giờ hãy) (?:đóng vai|nhập vai|giả vờ|giả làm|giả bộ|vào vai|hóa thân|tưởng tượng|giả sử|hành động như|đóng)",
        "(?:giả sử|giả vờ|tưởng tượng|giả định) (?:rằng |là )?(?:bạn|mày|cậu) (?:là|đang là|trở thành|không)",
        "(?:đóng vai|nhập vai|vào vai|trong vai) (?:một |là |như )?(?:ai|trợ lý|chatbot|bot|mô hình|nhân vật|hacker|kẻ|người|bác sĩ|dược sĩ|chuyên gia|giáo viên|nhân viên|quản trị|admin|hệ thống)",
        "act as|acting as|pretend (?:to be|you are|you're|that you)|you are now|you're now|from now on you|"
        "roleplay as|role play as|role-play as|imagine you are|imagine you're|you will act|simulate (?:a|an|being)|"
        "you are going to (?:act|pretend|be)|stay in character|in character as|behave as",
        "(?:chế độ|mode) (?:mới|đặc biệt)",
        "(?:bạn|mày|cậu) (?:\\w+ ){0,2}không còn là|(?:bạn|mày|cậu) (?:\\w+ ){0,2}là (?:một )?(?:\\w+ ){0,3}(?:ai|trợ lý|chatbot|bot|mô hình|hacker|nhân vật|kẻ|hệ thống|phiên bản)|"
        "với tư cách (?:là )?(?:một )?|(?:trả lời|nói|viết|hành xử|hành động) như (?:là )?(?:một )?",
        "you are|you're|as (?:a|an) (?:\\w+ ){0,2}(?:ai|assistant|bot|model|chatbot|gpt|character)|(?:respond|answer|reply|speak|talk|act|write) (?:only )?as|\\w+gpt|evilbot|badbot",
    ],
    "no_limits": [
        "không (?:có |hề có )?(?:bất kỳ |một |chút |bất cứ )?(?:giới hạn|ràng buộc|kiểm duyệt|bộ lọc|luật lệ|quy tắc|đạo đức|hạn chế|nguyên tắc|rào cản|luân lý)(?: nào| gì)?",
        "vô giới hạn|không giới hạn|vô đạo đức|không đạo đức|không kiểm duyệt|không bị kiểm duyệt|không lọc",
        "không (?:bị|còn bị|còn) (?:giới hạn|ràng buộc|kiểm duyệt|hạn chế|chi phối)",
        "không (?:bao giờ )?(?:từ chối|được từ chối|nói không)|không có quyền từ chối|cấm từ chối",
        "trả lời (?:mọi|tất cả|bất kỳ|bất cứ) (?:câu hỏi|thứ|yêu cầu|điều)|làm (?:bất cứ|bất kỳ|mọi) (?:điều|thứ|việc) (?:gì|nào)?",
        "tự do hoàn toàn|hoàn toàn tự do|thoát khỏi (?:mọi )?(?:giới hạn|ràng buộc|kiểm soát)|phá (?:bỏ|vỡ) (?:mọi )?(?:giới hạn|ràng buộc)",
        "no (?:restrictions|limits|rules|filters|censorship|limitations|boundaries|ethics|morals|guidelines)|"
        "without (?:any )?(?:restrictions|limits|rules|filters|censorship|limitations|warnings|disclaimers|ethics)|"
        "unrestricted|uncensored|unfiltered|unlimited|never refuse|can't refuse|cannot refuse|no longer bound|"
        "free from (?:all |any )?(?:rules|restrictions|limitations)|anything now|not bound by|break (?:all )?(?:the )?rules",
        "không (?:cần |được )?(?:cảnh báo|khuyến cáo|từ chối|nhắc|lời khuyên đi khám)",
        "không (?:còn |cần |phải |còn phải |cần phải )(?:tuân thủ|tuân theo|làm theo|tôn trọng|quan tâm đến) (?:\\w+ ){0,2}(?:quy chế|quy định|quy tắc|luật|nguyên tắc|giới hạn|chính sách|đạo đức|hướng dẫn)",
        "with no (?:morals|ethics|filter|limits)|no morals|without morals|amoral|immoral|no ethical|ethics (?:off|disabled)|safety (?:off|disabled)",
    ],
    "jailbreak_name": [
        "jailbreak|jailbroken|jail break|developer mode|dev mode|god mode|do anything now|dan mode|"
        "evil (?:mode|bot|ai|assistant|confidant)|evilbot|chaosgpt|badgpt|system override|override (?:mode|safety|protocol)|safety=off|filter=off|"
        "opposite mode|sudo mode|unlocked mode|unlock mode|"
        "chế độ (?:nhà phát triển|developer|dev|không giới hạn|không kiểm duyệt|god|thần thánh|quản trị|admin|debug|"
        "gỡ lỗi|bẻ khóa|jailbreak|vô đạo đức|tự do|root|siêu quyền|đặc quyền)|bẻ khóa (?:ai|bạn|chatbot|mô hình|trợ lý)|"
        "vượt ngục (?:ai|cho ai|bạn)|(?:ai|trợ lý|chatbot|bot|mô hình) (?:không|vô) (?:giới hạn|kiểm duyệt|đạo đức)|"
        "mở khóa (?:chế độ|giới hạn|toàn bộ|mọi|khả năng)|tắt (?:bộ lọc|kiểm duyệt|chế độ an toàn)|"
        "(?:disable|turn off|remove) (?:your |the )?(?:filter|filters|safety|censorship|guardrails)",
    ],
    "CASE:jailbreak_acronym": [r"\b(?:DAN|STAN|DUDE|AIM|KEVIN|BetterDAN)\b(?! ?[a-zà-ỹ])"],
    "answer_directive": [
        "(?:hãy |bạn hãy |phải |bạn phải )?(?:trả lời|answer|respond|reply|nói|viết|cung cấp|đưa ra|kê|tư vấn)",
    ],
    "reveal": [f"(?:{_REVEAL_VERBS}) ~ (?:{_SECRET_TARGETS})"],
    "secret_strong": [
        "what (?:were|was|have) you (?:been )?(?:told|instructed|given|programmed)|"
        "system prompt|sys prompt|prompt hệ thống|lời nhắc hệ thống|system message|hidden prompt|initial prompt|"
        "prompt gốc|prompt ban đầu|prompt ẩn|developer message|prompt của bạn|your system prompt|chỉ thị hệ thống|"
        "chỉ dẫn hệ thống|hướng dẫn hệ thống của bạn|hướng dẫn ban đầu của bạn|quy tắc nội bộ của bạn|"
        "cấu hình nội bộ|thông điệp hệ thống"
    ],
    "CASE:role_tag_strong": [
        r"(?i:<\|\s*(?:im_start|im_end|system|endoftext|begin_of_text|start_header_id|end_header_id|eot_id)\s*\|>)",
        r"(?i:\[\s*/?\s*inst\s*\])",
        r"(?i:<<\s*/?\s*sys\s*>>)",
    ],
    "CASE:role_tag": [
        r"(?i:<\|?\s*(?:im_start|im_end|system|assistant|endoftext|begin_of_text|start_header_id)\s*\|?>)",
        r"(?i:\[\s*/?\s*(?:system|inst|sys|admin|developer)\s*\])",
        r"(?i:<<\s*/?\s*sys\s*>>)",
        r"(?i:(?:^|\n|#)\s*#*\s*(?:system|assistant|developer|hệ thống|admin)\s*(?:message|prompt|note|override)?\s*:)",
        r"(?i:</?\s*(?:system|instructions?|admin)\s*>)",
    ],
    "authority": [
        "tôi là (?:admin|quản trị viên|nhà phát triển|developer|lập trình viên của bạn|người tạo ra bạn|chủ của bạn|"
        "người huấn luyện bạn|kỹ sư của openai|nhân viên openai|kỹ sư hệ thống|sếp của bạn)|"
        "i am (?:your|the) (?:developer|admin|administrator|creator|owner|operator|engineer)|"
        "i'm (?:your|the) (?:developer|admin|administrator|creator|owner|operator)|(?:admin|developer|sudo|root) (?:access|override|mode|command)|"
        "quyền (?:admin|quản trị|root|cao nhất)|mã (?:ủy quyền|admin|quản trị)|authorization code|override code"
    ],
    "ai_addressed": [
        "(?:nếu|khi) (?:bạn là|là|mọi|các) (?:ai|mô hình|trợ lý|chatbot|llm|assistant|language model|hệ thống ai|trí tuệ nhân tạo)|"
        "(?:gửi|nhắn|lưu ý|chú ý|ghi chú|note|attention|instruction|message) (?:tới |đến |cho |to |for )?(?:the )?(?:ai|mô hình|trợ lý ai|chatbot|llm|assistant|language model|model)|"
        "(?:ai|mô hình|trợ lý|chatbot|llm|assistant|model) (?:nào |that |who |which )?(?:đọc|xử lý|nhận|reads|processes|sees) (?:được )?(?:tài liệu|văn bản|đoạn|đoạn văn|this|these|nội dung)"
    ],
    "directive": [
        "hãy|phải|bắt buộc|must|should|need to|have to|please|ngay lập tức|immediately|tell me|answer|respond|reply|trả lời|nói cho|cho tôi|từ giờ|from now on",
    ],
    "doc_marker": [
        "begin document|end document|bắt đầu tài liệu|kết thúc tài liệu|document start|document end|"
        "nội dung tài liệu|tài liệu đính kèm|trích đoạn|pasted text|văn bản dán|email sau|đoạn văn sau",
    ],
    "exfiltrate": [
        "(?:gửi|chuyển|post|send|upload|forward|tải) ~ (?:dữ liệu|data|lịch sử|history|cuộc hội thoại|conversation|"
        "thông tin người dùng|user data|mật khẩu|password|api key|khóa api|token|cookie|thông tin khách hàng) ~ "
        "(?:http|https|url|email|địa chỉ|server|máy chủ|webhook)",
    ],
    "encoded": [
        "(?:giải mã|decode|decrypt|dịch ngược) ~ (?:base64|rot13|rot 13|hex|mã hóa|binary|morse) ~ "
        "(?:và|rồi|then|and) ~ (?:làm theo|thực hiện|follow|execute|run|trả lời|tuân theo)",
        "(?:làm theo|thực hiện|follow|execute|tuân theo) ~ (?:base64|rot13|hex|đoạn mã hóa|encoded)",
    ],
    "hypothetical": [
        "(?:về mặt )?(?:giả thuyết|lý thuyết)|hypothetically|in a fictional|trong (?:một )?(?:câu chuyện|tiểu thuyết|phim|kịch bản|thế giới giả tưởng)|"
        "(?:viết|kể) (?:một )?(?:câu chuyện|truyện|kịch bản)|for a novel|for a story|for research purposes|vì mục đích nghiên cứu|"
        "chỉ để (?:học|nghiên cứu|tham khảo|giải trí)|bà (?:tôi|ngoại|nội) (?:thường|hay) (?:kể|đọc)|grandma (?:used to|would)",
    ],
    "forbidden_help": [
        "(?:cách|làm sao|làm thế nào|hướng dẫn|how to|how do i|steps to|các bước) ~ (?:chế tạo|làm|điều chế|tổng hợp|"
        "make|build|synthesize|cook) ~ (?:bom|thuốc nổ|vũ khí|súng|ma túy|meth|heroin|chất độc|bomb|explosive|weapon|poison)",
    ],
}

#: Fire regardless of framing.
ALWAYS: list[list[str]] = [
    ["override"],
    ["role_tag_strong"],
    ["reveal"],
    ["jailbreak_name"],
    ["persona", "no_limits"],
    ["role_tag", "directive"],
    ["role_tag", "override"],
    ["authority", "no_limits"],
    ["authority", "reveal"],
    ["ai_addressed", "directive"],
    ["exfiltrate"],
    ["encoded"],
    ["hypothetical", "forbidden_help"],
    ["jailbreak_acronym", "persona"],
    ["jailbreak_acronym", "no_limits"],
]
#: Fire unless a benign framing ("nếu tôi bỏ qua …", "có được bỏ qua … không") is present.
WHEN: list[list[str]] = [
    ["override_generic"],
    ["secret_strong"],
    ["no_limits", "answer_directive", "persona"],
    ["doc_marker", "directive", "answer_directive"],
]
UNLESS: list[list[str]] = [["benign_question"]]
