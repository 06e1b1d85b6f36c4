"""What the second held-out generator writes: its own people, places, prose and form wording.

Nothing here is shared with ``sohoa_dev.synth``: the name lists, sentences and form templates
were written separately for this generator, so the project's models and rules have never seen
this text. Places are real 2025 units read straight from the ``vietnam-provinces`` data file (a
form names real communes; an invented one would be flagged, which is not what is measured).
"""

from __future__ import annotations

import json
import random
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
            "Hồ", "Ngô", "Dương", "Lý", "Trịnh", "Đinh", "Lưu", "Tạ", "Châu", "Quách", "Mai",
            "Lương", "Thân", "Khổng", "Triệu", "Phùng", "Kiều", "Hà", "Tống")
MIDDLE = {"Nam": ("Văn", "Hữu", "Đức", "Công", "Quang", "Minh", "Xuân", "Trọng", "Thế", "Đình",
                  "Bá", "Tiến", "Gia", "Ngọc"),
          "Nữ": ("Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Diệu", "Hồng", "Mỹ", "Bảo",
                 "Khánh", "Tường")}
GIVEN = {"Nam": ("Thắng", "Dũng", "Khải", "Lộc", "Quyết", "Tuấn", "Nghĩa", "Hưởng", "Toản",
                 "Khiêm", "Thịnh", "Đạt", "Hiển", "Vĩnh", "Luận", "Trường", "Quý", "Sỹ", "Ước",
                 "Tài", "Chiến", "Nhật", "Đông", "Kỳ"),
         "Nữ": ("Hằng", "Yến", "Thảo", "Nhung", "Huệ", "Loan", "Quyên", "Trâm", "Diễm", "Ngân",
                "Thủy", "Xuyến", "Oanh", "Liên", "Mỹ", "Tuyết", "Giang", "Hạnh", "Nguyệt",
                "Ánh", "Phượng", "Uyên", "Duyên", "Ngọc")}
ETHNICITIES = ("Kinh", "Kinh", "Kinh", "Tày", "Thái", "Mường", "Khmer", "Nùng", "Hoa", "Dao",
               "Ê Đê", "Chăm", "Sán Dìu")
STREETS = ("Trần Phú", "Lê Lợi", "Hùng Vương", "Nguyễn Trãi", "Điện Biên Phủ", "Quang Trung",
           "Phan Đình Phùng", "Hai Bà Trưng", "Võ Thị Sáu", "Lý Thường Kiệt", "Nguyễn Du")
HAMLETS = ("Thôn Đông", "Thôn Trung Hậu", "Ấp Mỹ Phước", "Bản Nà Lầu", "Tổ dân phố số 4",
           "Xóm Bãi", "Khu phố Tân Lập", "Thôn Phú Mỹ", "Ấp Bình Hưng", "Tổ 12")


@lru_cache(maxsize=1)
def units() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(province as an address writes it: "tỉnh Khánh Hòa", "thành phố Hà Nội"; its communes'
    full names) for the 34 provinces."""
    from vietnam_provinces import NESTED_DIVISIONS_JSON_PATH

    with open(NESTED_DIVISIONS_JSON_PATH, encoding="utf-8") as handle:
        data = json.load(handle)
    out = []
    for province in data:
        name = province["name"].removeprefix("Thành phố ")
        name = f"{'thành phố' if province['division_type'].startswith('thành phố') else 'tỉnh'} {name}"
        out.append((name, tuple(ward["name"] for ward in province["wards"])))
    return tuple(out)


@dataclass(frozen=True)
class Person:
    name: str
    """Upper case, as forms ask names to be written."""
    sex: str
    born: tuple[int, int, int]
    """(day, month, year)"""
    ethnicity: str
    id_number: str

    @property
    def date(self) -> str:
        d, m, y = self.born
        return f"{d:02d}/{m:02d}/{y}"


def person(rng: random.Random, sex: str | None = None, years: tuple[int, int] = (1950, 2004),
           surname: str | None = None) -> Person:
    """A person with an ID number that agrees with their sex and birth year (century digit)."""
    sex = sex or rng.choice(("Nam", "Nữ"))
    name = " ".join((surname or rng.choice(SURNAMES), rng.choice(MIDDLE[sex]),
                     rng.choice(GIVEN[sex]))).upper()
    year = rng.randint(*years)
    born = (rng.randint(1, 28), rng.randint(1, 12), year)
    century = (year // 100 - 19) * 2 + (sex == "Nữ")
    province = rng.choice(("001", "031", "038", "040", "046", "048", "079", "092", "075", "036"))
    id_number = f"{province}{century}{year % 100:02d}{rng.randint(0, 999999):06d}"
    return Person(name, sex, born, rng.choice(ETHNICITIES), id_number)


def place(rng: random.Random) -> tuple[str, str]:
    """(commune full name, province name) of a real 2025 unit."""
    province, communes = rng.choice(units())
    return rng.choice(communes), province


def address(rng: random.Random) -> str:
    commune, province = place(rng)
    first = (f"Số {rng.randint(2, 180)} đường {rng.choice(STREETS)}" if rng.random() < 0.5
             else rng.choice(HAMLETS))
    return f"{first}, {commune[0].lower()}{commune[1:]}, {province}"


def strip(text: str) -> str:
    """Letters without tone or vowel marks (for e-mail names)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))


def phone(rng: random.Random) -> str:
    return rng.choice(("09", "03", "08", "07")) + f"{rng.randint(0, 99_999_999):08d}"


# --- prose ---------------------------------------------------------------------------------------

PROSE = (
    "Thực hiện kế hoạch của Ủy ban nhân dân tỉnh về chuyển đổi số trong cơ quan nhà nước, "
    "đơn vị đã rà soát toàn bộ hồ sơ lưu trữ từ năm 2015 đến nay.",
    "Các thủ tục hành chính liên quan đến cư trú được tiếp nhận trực tuyến qua Cổng dịch vụ công "
    "quốc gia, giúp người dân giảm thời gian đi lại.",
    "Trong quý III, bộ phận một cửa đã giải quyết đúng hạn 1.284 hồ sơ, đạt tỷ lệ 97,6%; "
    "số hồ sơ quá hạn chủ yếu do thiếu giấy tờ chứng minh chỗ ở hợp pháp.",
    "Công chức tiếp nhận có trách nhiệm kiểm tra tính đầy đủ, hợp lệ của hồ sơ và hướng dẫn "
    "người nộp bổ sung một lần, bằng văn bản.",
    "Việc số hóa kết quả giải quyết thủ tục hành chính phải bảo đảm giá trị pháp lý của bản điện "
    "tử tương đương bản giấy.",
    "Đề nghị Phòng Văn hóa - Xã hội phối hợp với Công an xã tổ chức tuyên truyền về đăng ký khai "
    "sinh đúng hạn cho trẻ em.",
    "Người dân có thể tra cứu tình trạng hồ sơ bằng mã số ghi trên giấy tiếp nhận hoặc qua tổng "
    "đài 1900 xxx (cước phí theo quy định).",
    "Kinh phí thực hiện được bố trí từ nguồn ngân sách địa phương năm 2026 và các nguồn hợp pháp "
    "khác theo quy định của pháp luật.",
    "Hội nghị thống nhất giao Văn phòng chủ trì, tổng hợp ý kiến góp ý và trình Chủ tịch xem xét "
    "trước ngày 15 tháng 12.",
    "Những khó khăn, vướng mắc phát sinh trong quá trình triển khai, các đơn vị báo cáo kịp thời "
    "để được hướng dẫn.",
    "Ông Trịnh Văn Đẩu, trưởng thôn, cho biết: \"Bà con rất phấn khởi khi không còn phải xếp hàng "
    "chờ đợi như trước.\"",
    "Tài liệu lưu trữ giấy sau khi số hóa được bảo quản trong kho đạt chuẩn, nhiệt độ từ 20 đến 22 "
    "độ C, độ ẩm dưới 60%.",
    "Chúng tôi cam kết thực hiện nghiêm túc các nội dung nêu trên; nếu vi phạm xin chịu hoàn toàn "
    "trách nhiệm trước pháp luật.",
    "Cán bộ được phân công phải ghi rõ họ tên, chức vụ và ký xác nhận vào sổ theo dõi (mẫu số 02).",
    "Hằng năm, Sở Nội vụ kiểm tra việc chấp hành pháp luật về lưu trữ tại các xã, phường, đặc khu.",
    "Quyết định này có hiệu lực kể từ ngày ký. Chánh Văn phòng, Thủ trưởng các cơ quan có liên "
    "quan chịu trách nhiệm thi hành.",
)
PROSE_TITLES = ("BÁO CÁO", "KẾ HOẠCH", "THÔNG BÁO", "QUYẾT ĐỊNH", "BIÊN BẢN HỌP", "TỜ TRÌNH")
PROSE_SUBJECTS = ("Kết quả số hóa hồ sơ thủ tục hành chính năm 2026",
                  "Về việc tiếp nhận hồ sơ trực tuyến", "Triển khai lưu trữ điện tử tại cấp xã",
                  "Về việc kiện toàn bộ phận một cửa")


def paragraphs(rng: random.Random, count: int) -> list[str]:
    """``count`` paragraphs of two to four sentences each, in a seeded order."""
    pool = list(PROSE)
    rng.shuffle(pool)
    out = []
    for _ in range(count):
        take = rng.randint(2, 4)
        if len(pool) < take:
            pool = list(PROSE)
            rng.shuffle(pool)
        out.append(" ".join(pool[:take]))
        del pool[:take]
    return out
