"""Invented Vietnamese text for synthetic pages: form templates, prose paragraphs, field values.

Everything here is made up (no real person, address or ID number) but follows the shapes of real
dossiers: the national motto, "Kính gửi: ...", numbered labels with dotted blanks that are partly
filled in, the place-and-date line, the signature block; names with the common surnames, addresses
in the 34 provinces of the 2025 two-tier system, 12-digit personal ID numbers whose province code,
century/sex digit and birth year agree with the person.

Templates and paragraphs are split once, by position, into a ``dev`` and a ``heldout`` pool, so the
benchmark reports pages whose wording the OCR was never tuned on. A third pool, ``unseen``, is for
tuning on wording no model has learnt: its prose is the machine's Vietnamese program messages
(``catalogs.py``), its forms are ``dev``'s. Generated values (names, dates,
addresses) come from shared vocabularies in both pools: those are the words any page may contain.

Template mark-up, one line per block; the first token may name a style (see ``STYLE_PREFIXES``):

- ``{key}`` is replaced by a generated value; ``{key?}`` is filled only sometimes, otherwise it is
  a blank; ``{..}`` is a dot leader (at the end of a segment it runs to the segment's end).
- `` || `` splits a line into columns; ``[ ]`` / ``[x]`` at a column's start is a check box.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Pool = Literal["dev", "heldout", "unseen"]
Kind = Literal["form", "prose"]
POOLS: tuple[Pool, ...] = ("dev", "heldout", "unseen")
KINDS: tuple[Kind, ...] = ("form", "prose")

# --- the characters a Vietnamese document uses ---------------------------------------------------

_TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
_VOWELS = "aăâeêioôơuưy"
_PUNCTUATION = " ,.:;-/()\"'%"


def _vietnamese_letters() -> frozenset[str]:
    lower = {unicodedata.normalize("NFC", v + t) for v in _VOWELS for t in _TONES}
    lower |= set("abcdefghijklmnopqrstuvwxyzđ")
    return frozenset(lower | {ch.upper() for ch in lower})


VIETNAMESE_LETTERS = _vietnamese_letters()
ALLOWED_CHARS = VIETNAMESE_LETTERS | frozenset("0123456789" + _PUNCTUATION)


def check_text(text: str) -> str:
    """Return ``text`` unchanged after asserting it is NFC and uses only ``ALLOWED_CHARS``."""
    assert unicodedata.is_normalized("NFC", text), f"not NFC: {text!r}"
    stray = set(text) - ALLOWED_CHARS - {"\n"}
    assert not stray, f"characters outside the Vietnamese set: {sorted(stray)} in {text!r}"
    return text


# --- vocabularies for generated values -----------------------------------------------------------

SURNAMES = tuple(
    (
        "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Trịnh Lương "
        "Mai Tạ Đoàn Cao Lâm Hà Kiều Quách Thái"
    ).split()
)
MIDDLE_NAMES = {
    "Nam": "Văn Hữu Đức Minh Quang Thanh Công Xuân Hoàng Ngọc Trọng Quốc Gia Bảo Tiến".split(),
    "Nữ": "Thị Ngọc Thu Thanh Kim Phương Mỹ Bích Diệu Hồng Khánh Tuyết Hải".split(),
}
GIVEN_NAMES = {
    "Nam": (
        "An Bình Cường Dũng Đạt Hải Hiếu Hùng Khánh Long Minh Nam Phong Quân Sơn Thắng Toàn Trung "
        "Tuấn Việt Vinh Lộc Nghĩa Phúc Khoa Huy Thịnh Đông Kiên Tùng"
    ).split(),
    "Nữ": (
        "Anh Châu Dung Giang Hà Hạnh Hoa Hương Huyền Lan Linh Loan Mai Ngân Nhung Oanh Phượng "
        "Quyên Thảo Trang Tuyết Uyên Vân Yến Ngọc Thùy Nhi Diễm Hằng Xuân"
    ).split(),
}

# The 34 provincial units after 1 July 2025, with the province code that opens a personal ID
# number (the code of the province that kept its name). Cities first, marked by ``True``.
PROVINCES: tuple[tuple[str, str, bool], ...] = (
    ("Hà Nội", "001", True), ("Huế", "046", True), ("Hải Phòng", "031", True),
    ("Đà Nẵng", "048", True), ("Hồ Chí Minh", "079", True), ("Cần Thơ", "092", True),
    ("Lai Châu", "012", False), ("Điện Biên", "011", False), ("Sơn La", "014", False),
    ("Lạng Sơn", "020", False), ("Cao Bằng", "004", False), ("Quảng Ninh", "022", False),
    ("Thanh Hóa", "038", False), ("Nghệ An", "040", False), ("Hà Tĩnh", "042", False),
    ("Tuyên Quang", "008", False), ("Lào Cai", "010", False), ("Thái Nguyên", "019", False),
    ("Phú Thọ", "025", False), ("Bắc Ninh", "024", False), ("Hưng Yên", "033", False),
    ("Ninh Bình", "037", False), ("Quảng Trị", "045", False), ("Quảng Ngãi", "051", False),
    ("Gia Lai", "052", False), ("Khánh Hòa", "056", False), ("Lâm Đồng", "068", False),
    ("Đắk Lắk", "066", False), ("Đồng Nai", "075", False), ("Tây Ninh", "072", False),
    ("Vĩnh Long", "086", False), ("Đồng Tháp", "087", False), ("Cà Mau", "096", False),
    ("An Giang", "089", False),
)
assert len(PROVINCES) == 34 and len({p[0] for p in PROVINCES}) == 34

COMMUNE_NAMES = (
    "An Phú", "Bình Minh", "Tân Hòa", "Phú Lợi", "Hòa Bình", "Thạnh Mỹ", "Đông Hưng", "Tây Sơn",
    "Nam Thành", "Vĩnh Hưng", "Long Điền", "Hưng Lộc", "Quang Trung", "Thống Nhất", "Hòa Khánh",
    "Phước Long", "Cẩm Thành", "Yên Thế", "Kim Sơn", "Trường Xuân", "Mỹ Đức", "Tiên Lãng",
    "Ea Tu", "Suối Tre", "Nghĩa Đô", "Hạ Long Tây", "Lạc Dương", "Bến Cát", "Thuận An", "Đồng Xoài",
)
STREETS = (
    "Lê Lợi", "Trần Hưng Đạo", "Nguyễn Trãi", "Hai Bà Trưng", "Lý Thường Kiệt", "Quang Trung",
    "Phan Chu Trinh", "Nguyễn Du", "Hùng Vương", "Điện Biên Phủ", "Võ Thị Sáu", "Bạch Đằng",
    "Ngô Quyền", "Lê Duẩn", "Trường Chinh", "Nguyễn Văn Cừ", "Phạm Văn Đồng", "Tôn Đức Thắng",
)
HAMLETS = ("thôn", "ấp", "tổ dân phố", "khu phố", "bản", "xóm")
ETHNIC_GROUPS = ("Kinh",) * 8 + ("Tày", "Thái", "Mường", "Khmer", "Hoa", "Nùng", "Ê Đê", "Dao")
RELIGIONS = ("Không",) * 5 + ("Phật giáo", "Công giáo", "Tin lành", "Cao Đài")
OCCUPATIONS = (
    "Giáo viên", "Công nhân", "Nông dân", "Kinh doanh tự do", "Kỹ sư xây dựng", "Bác sĩ",
    "Nhân viên văn phòng", "Lái xe", "Hưu trí", "Sinh viên", "Kế toán", "Thợ may", "Điều dưỡng",
)
RELATIONS = ("Chủ hộ", "Vợ", "Chồng", "Con", "Cha", "Mẹ", "Cháu", "Anh", "Chị", "Em")
REQUESTS = (
    "Đăng ký thường trú", "Đăng ký tạm trú", "Tách hộ", "Điều chỉnh thông tin trong Cơ sở dữ liệu "
    "về cư trú", "Xác nhận thông tin về cư trú", "Gia hạn tạm trú", "Xóa đăng ký tạm trú",
)
PROSE_TITLES = (
    "BẢN TIN CẢI CÁCH HÀNH CHÍNH", "BÁO CÁO TÌNH HÌNH KINH TẾ - XÃ HỘI", "THÔNG BÁO",
    "HƯỚNG DẪN THỰC HIỆN THỦ TỤC HÀNH CHÍNH", "TÀI LIỆU TUYÊN TRUYỀN", "BẢN TIN CHÍNH QUYỀN SỐ",
)
DOC_SUFFIXES = ("UBND-VP", "QĐ-UBND", "TB-UBND", "BC-VP")
ID_ISSUER = "Cục Cảnh sát quản lý hành chính về trật tự xã hội"


# --- generated values ----------------------------------------------------------------------------


def spelled_date(day: int, month: int, year: int) -> str:
    """The administrative spelling: two-digit day, months 1-2 padded (ngày 05 tháng 02 năm 2025)."""
    month_text = f"{month:02d}" if month < 3 else str(month)
    return f"ngày {day:02d} tháng {month_text} năm {year}"


def _random_date(rng: random.Random, first_year: int, last_year: int) -> tuple[int, int, int]:
    return rng.randint(1, 28), rng.randint(1, 12), rng.randint(first_year, last_year)


def personal_id(rng: random.Random, province_code: str, sex: str, birth_year: int) -> str:
    """A 12-digit personal ID number consistent with province, sex and birth year."""
    century = 0 if birth_year < 2000 else 2
    sex_digit = century + (1 if sex == "Nữ" else 0)
    serial = "".join(str(rng.randint(0, 9)) for _ in range(6))
    return f"{province_code}{sex_digit}{birth_year % 100:02d}{serial}"


def phone_number(rng: random.Random) -> str:
    digits = rng.choice(("03", "05", "07", "08", "09")) + "".join(
        str(rng.randint(0, 9)) for _ in range(8)
    )
    if rng.random() < 0.5:
        return digits
    return f"{digits[:4]} {digits[4:7]} {digits[7:]}"


def province_name(rng: random.Random) -> tuple[str, str]:
    """(``tỉnh X`` or ``thành phố X``, ID province code) for a random province."""
    name, code, is_city = rng.choice(PROVINCES)
    return (f"thành phố {name}" if is_city else f"tỉnh {name}"), code


def commune_name(rng: random.Random) -> str:
    return f"{rng.choice(('xã', 'phường'))} {rng.choice(COMMUNE_NAMES)}"


def address(rng: random.Random, commune: str | None = None, province: str | None = None) -> str:
    """A street or village address in the two-tier system: place, commune, province."""
    commune = commune or commune_name(rng)
    province = province or province_name(rng)[0]
    if rng.random() < 0.5:
        place = f"Số {rng.randint(1, 250)}, đường {rng.choice(STREETS)}"
    else:
        hamlet = rng.choice(HAMLETS)
        label = rng.randint(1, 12) if rng.random() < 0.5 else rng.choice(COMMUNE_NAMES)
        place = f"{hamlet} {label}"
    return f"{place[0].upper()}{place[1:]}, {commune}, {province}"


@dataclass(frozen=True)
class Person:
    name: str
    sex: str
    dob: tuple[int, int, int]
    id_number: str
    province: str

    @property
    def upper_name(self) -> str:
        return self.name.upper()


def person(rng: random.Random, sex: str | None = None) -> Person:
    sex = sex or rng.choice(("Nam", "Nữ"))
    name = " ".join(
        (rng.choice(SURNAMES), rng.choice(MIDDLE_NAMES[sex]), rng.choice(GIVEN_NAMES[sex]))
    )
    dob = _random_date(rng, 1945, 2007)
    province, code = province_name(rng)
    return Person(name, sex, dob, personal_id(rng, code, sex, dob[2]), province)


def _dmy(date: tuple[int, int, int]) -> str:
    day, month, year = date
    return f"{day:02d}/{month:02d}/{year}"


def field_values(rng: random.Random) -> dict[str, str]:
    """Every value a template or paragraph may ask for, generated for one page."""
    applicant = person(rng)
    other = person(rng, "Nữ" if applicant.sex == "Nam" else "Nam")
    province, _ = province_name(rng)
    commune = commune_name(rng)
    signed = (rng.randint(1, 28), rng.randint(1, 12), rng.randint(2024, 2026))
    return {
        "name": applicant.upper_name,
        "name_t": applicant.name,
        "sex": applicant.sex,
        "side": applicant.sex.lower(),
        "dob": _dmy(applicant.dob),
        "dob_spelled": spelled_date(*applicant.dob),
        "id": applicant.id_number,
        "id_date": _dmy(_random_date(rng, 2021, 2025)),
        "id_place": ID_ISSUER,
        "birthplace": applicant.province[0].upper() + applicant.province[1:],
        "name2": other.upper_name,
        "name2_t": other.name,
        "sex2": other.sex,
        "side2": other.sex.lower(),
        "dob2": _dmy(other.dob),
        "id2": other.id_number,
        "phone": phone_number(rng),
        "addr": address(rng),
        "addr2": address(rng),
        "addr_local": address(rng, commune, province),
        "ethnic": rng.choice(ETHNIC_GROUPS),
        "religion": rng.choice(RELIGIONS),
        "nationality": "Việt Nam",
        "job": rng.choice(OCCUPATIONS),
        "relation": rng.choice(RELATIONS),
        "request": rng.choice(REQUESTS),
        "commune": commune,
        "commune_cap": commune[0].upper() + commune[1:],
        "province": province,
        "province_cap": province[0].upper() + province[1:],
        "agency": f"Ủy ban nhân dân {commune}, {province}",
        "police": f"Công an {commune}",
        "date": spelled_date(*signed),
        "place_date": f"{commune.split(' ', 1)[1]}, {spelled_date(*signed)}",
        "year": str(signed[2]),
        "doc_no": f"{rng.randint(12, 986)}/{rng.choice(DOC_SUFFIXES)}",
        "amount": f"{rng.randint(2, 950) * 50_000:,}".replace(",", "."),
        "area": f"{rng.randint(40, 480)},{rng.randint(0, 9)}",
        "count": str(rng.randint(2, 60)),
        "percent": f"{rng.randint(50, 99)},{rng.randint(0, 9)}%",
        "parcel": f"thửa đất số {rng.randint(10, 999)}, tờ bản đồ số {rng.randint(1, 60)}",
    }


# --- templates and paragraphs --------------------------------------------------------------------

MOTTO = "## CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n##_ Độc lập - Tự do - Hạnh phúc\n--"
SIGNATURE = "--\n>/ {place_date}\n~# {signer}\n~/ (Ký, ghi rõ họ tên)\n--\n--\n--\n~ {name_t?}"

# Each form: (signer title, body). The motto and the signature block are added around the body.
_FORMS: tuple[tuple[str, str], ...] = (
    ("NGƯỜI KÊ KHAI", """
# TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ
= Kính gửi: {police}
1. Họ, chữ đệm và tên: {name?}{..}
2. Ngày, tháng, năm sinh: {dob?}{..} || 3. Giới tính: {sex?}{..}
4. Số định danh cá nhân: {id?}{..}
5. Số điện thoại liên hệ: {phone?}{..}
6. Nơi thường trú: {addr?}{..}
7. Nơi tạm trú: {addr2?}{..}
8. Nơi ở hiện tại: {addr_local?}{..}
9. Nghề nghiệp, nơi làm việc: {job?}{..}
10. Họ, chữ đệm và tên chủ hộ: {name2?}{..}
11. Quan hệ với chủ hộ: {relation?}{..} || 12. Số định danh cá nhân của chủ hộ: {id2?}{..}
13. Nội dung đề nghị: {request?}{..}
{..}
14. Những thành viên trong hộ gia đình cùng thay đổi: {..}
{..}
"""),
    ("NGƯỜI YÊU CẦU", """
# TỜ KHAI ĐĂNG KÝ KHAI SINH
= Kính gửi: {agency}
Họ, chữ đệm, tên người yêu cầu: {name?}{..}
Nơi cư trú: {addr?}{..}
Giấy tờ tùy thân: Căn cước số {id?}{..}
Quan hệ với người được đăng ký khai sinh: {relation?}{..}
Đề nghị cơ quan đăng ký khai sinh cho người dưới đây:
Họ, chữ đệm, tên: {name2?}{..}
Ngày, tháng, năm sinh: {dob2?}{..} || Giới tính: {sex2?}{..}
Nơi sinh: Bệnh viện đa khoa {province_cap?}{..}
Dân tộc: {ethnic?}{..} || Quốc tịch: {nationality?}{..}
Quê quán: {birthplace?}{..}
Tôi cam đoan nội dung đề nghị đăng ký khai sinh trên đây là đúng sự thật, được sự thỏa thuận \
nhất trí của các bên liên quan và chịu trách nhiệm trước pháp luật về cam đoan của mình.
Đề nghị cấp bản sao: || [x] Có || [ ] Không
Số lượng: {count?} bản
"""),
    ("NGƯỜI YÊU CẦU", """
# TỜ KHAI ĐĂNG KÝ KẾT HÔN
= Kính gửi: {agency}
Họ, chữ đệm, tên bên {side}: {name?}{..}
Ngày, tháng, năm sinh: {dob?}{..} || Dân tộc: {ethnic?}{..}
Quốc tịch: {nationality?}{..} || Số định danh: {id?}{..}
Nơi cư trú: {addr?}{..}
Kết hôn lần thứ mấy: Lần thứ nhất{..}
Họ, chữ đệm, tên bên {side2}: {name2?}{..}
Ngày, tháng, năm sinh: {dob2?}{..} || Số định danh: {id2?}{..}
Nơi cư trú: {addr2?}{..}
Chúng tôi cam đoan những lời khai trên đây là đúng sự thật, việc kết hôn của chúng tôi là tự \
nguyện, không vi phạm quy định của Luật Hôn nhân và gia đình Việt Nam.
Chúng tôi chịu trách nhiệm trước pháp luật về cam đoan của mình.
Đề nghị cấp bản sao: || [ ] Có || [x] Không
"""),
    ("NGƯỜI ĐỀ NGHỊ", """
# ĐƠN ĐỀ NGHỊ CẤP BẢN SAO TRÍCH LỤC HỘ TỊCH
= Kính gửi: {agency}
Họ, chữ đệm, tên người yêu cầu: {name?}{..}
Giấy tờ tùy thân: Căn cước số {id?}{..}
cấp ngày {id_date?}{..} || nơi cấp: Bộ Công an{..}
Nơi cư trú: {addr?}{..}
Quan hệ với người được cấp bản sao: {relation?}{..}
Đề nghị cấp bản sao trích lục hộ tịch về: || [x] Khai sinh || [ ] Kết hôn
[ ] Khai tử || [ ] Nhận cha, mẹ, con
Của người có tên dưới đây:
Họ, chữ đệm, tên: {name2?}{..}
Ngày, tháng, năm sinh: {dob2?}{..} || Giới tính: {sex2?}{..}
Số lượng bản sao đề nghị cấp: {count?} bản
"""),
    ("NGƯỜI YÊU CẦU", """
# TỜ KHAI CẤP GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN
= Kính gửi: {agency}
Họ, chữ đệm, tên người yêu cầu: {name?}{..}
Nơi cư trú: {addr?}{..}
Giấy tờ tùy thân: {id?}{..}
Quan hệ với người được cấp Giấy xác nhận: Bản thân{..}
Đề nghị cấp Giấy xác nhận tình trạng hôn nhân cho người có tên dưới đây:
Họ, chữ đệm, tên: {name?}{..} || Giới tính: {sex?}{..}
Ngày, tháng, năm sinh: {dob?}{..} || Dân tộc: {ethnic?}{..}
Nơi cư trú: {addr_local?}{..}
Tình trạng hôn nhân: Hiện tại chưa đăng ký kết hôn với ai{..}
Mục đích sử dụng Giấy xác nhận: Làm thủ tục kết hôn{..}
Tôi cam đoan những nội dung khai trên đây là đúng sự thật và chịu trách nhiệm trước pháp luật \
về cam đoan của mình.
"""),
    ("NGƯỜI LÀM ĐƠN", """
# ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP XÂY DỰNG
= (Sử dụng cho công trình nhà ở riêng lẻ)
= Kính gửi: {agency}
1. Thông tin về chủ đầu tư:
- Tên chủ đầu tư: {name?}{..}
- Địa chỉ liên hệ: {addr?}{..}
- Số điện thoại: {phone?}{..}
2. Thông tin công trình:
- Địa điểm xây dựng: {parcel?}{..}
- Địa chỉ: {addr_local?}{..}
3. Nội dung đề nghị cấp phép:
- Diện tích xây dựng tầng 1: {area?} m2
- Tổng diện tích sàn: {area?} m2
- Chiều cao công trình: {count?} m; số tầng: 3{..}
4. Dự kiến thời gian hoàn thành công trình: {count?} tháng.
5. Cam kết: Tôi xin cam đoan làm theo đúng giấy phép được cấp, nếu sai tôi xin hoàn toàn chịu \
trách nhiệm và bị xử lý theo quy định của pháp luật.
"""),
    ("NGƯỜI VIẾT ĐƠN", """
# ĐƠN ĐĂNG KÝ BIẾN ĐỘNG ĐẤT ĐAI, TÀI SẢN GẮN LIỀN VỚI ĐẤT
= Kính gửi: Văn phòng đăng ký đất đai {province_cap}
1. Người sử dụng đất, chủ sở hữu tài sản gắn liền với đất:
1.1. Tên: {name?}{..}
1.2. Giấy tờ nhân thân: Căn cước số {id?}{..}
1.3. Địa chỉ: {addr?}{..}
2. Giấy chứng nhận đã cấp:
2.1. Số vào sổ cấp giấy: CS {count?}{..} || 2.2. Ngày cấp: {id_date?}{..}
3. Thửa đất có thay đổi: {parcel?}{..}
4. Nội dung biến động: Chuyển nhượng toàn bộ diện tích {area?} m2
5. Lý do biến động: Nhận chuyển nhượng quyền sử dụng đất{..}
6. Giấy tờ liên quan đến nội dung thay đổi nộp kèm theo đơn này gồm có:
- Hợp đồng chuyển nhượng quyền sử dụng đất{..}
- Giấy chứng nhận đã cấp{..}
Tôi cam đoan nội dung kê khai trên đơn là đúng.
"""),
    ("NGƯỜI ĐI KHAI TỬ", """
# TỜ KHAI ĐĂNG KÝ KHAI TỬ
= Kính gửi: {agency}
Họ, chữ đệm, tên người yêu cầu: {name?}{..}
Nơi cư trú: {addr?}{..}
Giấy tờ tùy thân: {id?}{..}
Quan hệ với người đã chết: {relation?}{..}
Đề nghị cơ quan đăng ký khai tử cho người có tên dưới đây:
Họ, chữ đệm, tên: {name2?}{..}
Ngày, tháng, năm sinh: {dob2?}{..} || Giới tính: {sex2?}{..}
Dân tộc: {ethnic?}{..} || Quốc tịch: {nationality?}{..}
Số định danh cá nhân: {id2?}{..}
Nơi cư trú cuối cùng: {addr2?}{..}
Đã chết vào lúc: {count?} giờ, {date?}{..}
Nơi chết: {addr_local?}{..}
Nguyên nhân chết: Bệnh già{..}
"""),
    ("NGƯỜI ĐỀ NGHỊ", """
# GIẤY ĐỀ NGHỊ ĐĂNG KÝ HỘ KINH DOANH
= Kính gửi: Phòng Tài chính - Kế hoạch {commune}
Tôi là: {name?}{..} || Giới tính: {sex?}{..}
Sinh ngày: {dob?}{..} || Dân tộc: {ethnic?}{..}
Số định danh cá nhân: {id?}{..}
Địa chỉ liên lạc: {addr?}{..}
Điện thoại: {phone?}{..}
Đăng ký hộ kinh doanh do tôi là chủ hộ với các nội dung sau:
1. Tên hộ kinh doanh: HỘ KINH DOANH {name?}{..}
2. Địa chỉ trụ sở hộ kinh doanh: {addr_local?}{..}
3. Ngành, nghề kinh doanh: Bán lẻ lương thực, thực phẩm, đồ uống{..}
4. Vốn kinh doanh: {amount?} đồng
5. Số lượng lao động: {count?} người
Tôi cam kết bản thân không thuộc diện bị cấm đăng ký kinh doanh và chịu trách nhiệm trước pháp \
luật về tính hợp pháp, chính xác, trung thực của nội dung kê khai trên đây.
"""),
    ("NGƯỜI LÀM ĐƠN", """
# ĐƠN XIN XÁC NHẬN
= Kính gửi: {agency}
Tôi tên là: {name?}{..}
Sinh ngày: {dob?}{..} || Giới tính: {sex?}{..}
Số định danh cá nhân: {id?}{..}
Ngày cấp: {id_date?}{..} || Nơi cấp: Bộ Công an{..}
Nơi thường trú: {addr?}{..}
Chỗ ở hiện nay: {addr_local?}{..}
Nay tôi làm đơn này kính đề nghị Ủy ban nhân dân {commune} xác nhận cho tôi nội dung sau:
{..}
{..}
Lý do xin xác nhận: Bổ sung hồ sơ xin việc làm{..}
Tôi xin cam đoan những lời khai trên là đúng sự thật, nếu sai tôi xin chịu hoàn toàn trách \
nhiệm trước pháp luật. Kính mong được xem xét, giải quyết.
"""),
    ("NGƯỜI ĐỀ NGHỊ", """
# TỜ KHAI ĐỀ NGHỊ CẤP HỘ CHIẾU PHỔ THÔNG
1. Họ, chữ đệm và tên: {name?}{..}
2. Giới tính: {sex?}{..} || 3. Sinh ngày: {dob?}{..}
4. Nơi sinh: {birthplace?}{..}
5. Số định danh cá nhân: {id?}{..}
6. Dân tộc: {ethnic?}{..} || 7. Tôn giáo: {religion?}{..}
8. Số điện thoại: {phone?}{..}
9. Địa chỉ đăng ký thường trú: {addr?}{..}
10. Nghề nghiệp: {job?}{..}
11. Họ và tên cha: {name2?}{..} || sinh năm: {count?}{..}
12. Họ và tên mẹ: {..}
13. Hộ chiếu phổ thông lần gần nhất (nếu có) số: {..} || cấp ngày: {..}
14. Nội dung đề nghị: || [x] Cấp hộ chiếu lần đầu || [ ] Cấp lại hộ chiếu
"""),
    ("NGƯỜI VIẾT ĐƠN", """
# ĐƠN ĐỀ NGHỊ HƯỞNG TRỢ CẤP XÃ HỘI HẰNG THÁNG
= Kính gửi: Chủ tịch Ủy ban nhân dân {commune}
Phần 1. Thông tin của đối tượng
Họ và tên: {name2?}{..} || Giới tính: {sex2?}{..}
Ngày, tháng, năm sinh: {dob2?}{..}
Số định danh cá nhân: {id2?}{..}
Nơi cư trú hiện nay: {addr_local?}{..}
Thuộc hộ nghèo, hộ cận nghèo: || [ ] Có || [x] Không
Đang hưởng chế độ nào sau đây: || [ ] Lương hưu || [ ] Trợ cấp ưu đãi người có công
Phần 2. Thông tin người khai thay
Họ và tên: {name?}{..}
Số định danh cá nhân: {id?}{..}
Quan hệ với đối tượng: {relation?}{..}
Nơi cư trú: {addr?}{..}
Tôi xin cam đoan những lời khai trên là đúng sự thật, nếu có điều gì khai không đúng tôi xin \
chịu trách nhiệm hoàn toàn.
"""),
    ("NGƯỜI KÊ KHAI", """
# TỜ KHAI THAM GIA BẢO HIỂM XÃ HỘI, BẢO HIỂM Y TẾ
I. Thông tin người tham gia:
(01). Họ và tên: {name?}{..}
(02). Ngày, tháng, năm sinh: {dob?}{..} || (03). Giới tính: {sex?}{..}
(04). Quốc tịch: {nationality?}{..} || (05). Dân tộc: {ethnic?}{..}
(06). Nơi đăng ký khai sinh: {birthplace?}{..}
(07). Số định danh cá nhân: {id?}{..}
(08). Số điện thoại liên hệ: {phone?}{..}
(09). Địa chỉ nhận kết quả: {addr?}{..}
(10). Mức tiền đóng: {amount?} đồng/tháng
(11). Phương thức đóng: || [x] 03 tháng || [ ] 06 tháng || [ ] 12 tháng
(12). Nơi đăng ký khám bệnh, chữa bệnh ban đầu: Trạm y tế {commune?}{..}
II. Thông tin thành viên hộ gia đình (nếu có):
Họ và tên: {name2?}{..} || Quan hệ: {relation?}{..}
"""),
    ("NGƯỜI YÊU CẦU", """
# PHIẾU YÊU CẦU CUNG CẤP THÔNG TIN
= Kính gửi: {agency}
1. Họ và tên người yêu cầu: {name?}{..}
2. Số định danh cá nhân: {id?}{..}
3. Nơi cư trú: {addr?}{..}
4. Số điện thoại: {phone?}{..}
5. Thông tin yêu cầu cung cấp: Quyết định số {doc_no?}{..}
{..}
6. Mục đích yêu cầu cung cấp thông tin: Phục vụ việc giải quyết thủ tục hành chính{..}
7. Hình thức cung cấp thông tin:
[ ] Đọc, xem, nghe, ghi chép || [x] Nhận bản sao, bản chụp
[ ] Nhận qua bưu chính || [ ] Nhận qua mạng điện tử
8. Số lượng bản sao: {count?}{..}
"""),
    ("NGƯỜI YÊU CẦU", """
# ĐƠN ĐỀ NGHỊ CHỨNG THỰC CHỮ KÝ
= Kính gửi: {agency}
Tôi tên là: {name?}{..}
Số định danh cá nhân: {id?}{..} || Ngày cấp: {id_date?}{..}
Nơi cư trú: {addr?}{..}
Điện thoại: {phone?}{..}
Đề nghị chứng thực chữ ký của tôi trong giấy tờ, văn bản sau đây: {..}
{..}
Số bản đề nghị chứng thực: {count?} bản
Tôi xin cam đoan chịu trách nhiệm trước pháp luật về nội dung của giấy tờ, văn bản mà mình \
đã ký.
"""),
    ("BÊN ỦY QUYỀN", """
# GIẤY ỦY QUYỀN
= (Dùng cho cá nhân)
Căn cứ Bộ luật Dân sự nước Cộng hòa xã hội chủ nghĩa Việt Nam;
Hôm nay, {date}, tại {agency}, chúng tôi gồm có:
I. BÊN ỦY QUYỀN:
Họ và tên: {name?}{..}
Số định danh cá nhân: {id?}{..}
Địa chỉ: {addr?}{..}
II. BÊN NHẬN ỦY QUYỀN:
Họ và tên: {name2?}{..}
Số định danh cá nhân: {id2?}{..}
Địa chỉ: {addr2?}{..}
III. NỘI DUNG ỦY QUYỀN:
Bên nhận ủy quyền được thay mặt bên ủy quyền nộp hồ sơ, nhận kết quả thủ tục {request} tại \
{agency}.
Thời hạn ủy quyền: từ ngày ký đến ngày {dob2?}{..}
"""),
)

# Prose: (section title, paragraph). Administrative, legal and news-like wording.
_PARAGRAPHS: tuple[tuple[str, str], ...] = (
    ("Về việc tiếp nhận hồ sơ trực tuyến", """
Từ ngày 01 tháng 7 năm {year}, Ủy ban nhân dân {commune} tiếp nhận hồ sơ thủ tục hành chính \
qua Cổng Dịch vụ công quốc gia đối với {count} thủ tục thuộc lĩnh vực hộ tịch, chứng thực và \
đất đai. Người dân có thể nộp hồ sơ vào bất kỳ thời điểm nào trong ngày, kể cả ngày nghỉ; kết \
quả được trả qua dịch vụ bưu chính công ích hoặc tại Bộ phận Một cửa theo yêu cầu."""),
    ("Số hóa kết quả giải quyết thủ tục hành chính", """
Các cơ quan, đơn vị có trách nhiệm số hóa hồ sơ, kết quả giải quyết thủ tục hành chính còn \
hiệu lực để tái sử dụng. Bản điện tử phải bảo đảm độ phân giải tối thiểu 200 dpi, được ký số \
bởi cơ quan thực hiện số hóa và có giá trị pháp lý như bản giấy. Tỷ lệ hồ sơ được số hóa trong \
quý vừa qua đạt {percent}, cao hơn cùng kỳ năm trước."""),
    ("Tổ chức chính quyền địa phương hai cấp", """
Sau khi sắp xếp đơn vị hành chính, cả nước còn 34 tỉnh, thành phố và chính quyền địa phương \
được tổ chức theo hai cấp: cấp tỉnh và cấp xã. {province_cap} đã hoàn thành việc bố trí cán \
bộ, công chức tại các xã, phường mới; trụ sở làm việc, con dấu và tài khoản giao dịch được \
chuyển giao đúng thời hạn, không làm gián đoạn việc phục vụ người dân và doanh nghiệp."""),
    ("Cấp thẻ căn cước cho trẻ em dưới 14 tuổi", """
Công an {commune} thông báo tiếp tục thu nhận hồ sơ cấp thẻ căn cước cho trẻ em dưới 14 tuổi \
theo nhu cầu. Cha, mẹ hoặc người giám hộ đưa trẻ đến làm thủ tục và mang theo giấy khai sinh. \
Trẻ em từ đủ 6 tuổi trở lên được thu nhận ảnh khuôn mặt và vân tay; thời hạn trả kết quả không \
quá 07 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ."""),
    ("Kết quả thu ngân sách", """
Tổng thu ngân sách nhà nước trên địa bàn {province} trong 9 tháng đầu năm ước đạt \
{amount} triệu đồng, bằng {percent} dự toán. Trong đó, thu từ khu vực kinh tế ngoài quốc doanh \
tăng mạnh nhờ hoạt động thương mại, dịch vụ phục hồi; thu tiền sử dụng đất thấp hơn dự kiến do \
thị trường bất động sản còn trầm lắng."""),
    ("Phòng, chống thiên tai mùa mưa bão", """
Trước diễn biến phức tạp của thời tiết, Ban Chỉ huy phòng thủ dân sự {commune} yêu cầu các \
thôn, tổ dân phố rà soát các hộ dân sống ven sông, suối và khu vực có nguy cơ sạt lở đất. Lực \
lượng tại chỗ phải sẵn sàng sơ tán người dân đến nơi an toàn; tuyệt đối không để người dân đi \
qua ngầm, tràn khi nước lũ dâng cao."""),
    ("Cấp giấy chứng nhận quyền sử dụng đất", """
Người sử dụng đất nộp một bộ hồ sơ tại Bộ phận Một cửa. Hồ sơ gồm đơn đăng ký đất đai, tài sản \
gắn liền với đất; giấy tờ về quyền sử dụng đất (nếu có) và chứng từ thực hiện nghĩa vụ tài chính. \
Thời gian giải quyết không quá 20 ngày, không kể thời gian xem xét xử lý đối với trường hợp sử \
dụng đất có vi phạm pháp luật."""),
    ("Chuyển đổi số trong giáo dục", """
Năm học này, 100% trường tiểu học và trung học cơ sở của {commune} sử dụng học bạ số thay cho \
học bạ giấy. Giáo viên nhập điểm và nhận xét trên hệ thống; phụ huynh theo dõi kết quả học tập \
của con qua ứng dụng điện thoại. Nhà trường vẫn lưu giữ bản in có chữ ký của hiệu trưởng trong \
thời gian chuyển tiếp."""),
    ("Bảo hiểm y tế hộ gia đình", """
Mức đóng bảo hiểm y tế theo hộ gia đình được tính giảm dần: người thứ nhất đóng 4,5% mức lương \
cơ sở; người thứ hai, thứ ba, thứ tư đóng lần lượt bằng 70%, 60%, 50% mức đóng của người thứ \
nhất; từ người thứ năm trở đi đóng bằng 40%. Người tham gia có thể đóng 03 tháng, 06 tháng hoặc \
12 tháng một lần."""),
    ("Bảo đảm an toàn giao thông", """
Trong tháng, lực lượng cảnh sát giao thông đã kiểm tra {count} trường hợp, phát hiện và xử lý \
các lỗi vi phạm về nồng độ cồn, chạy quá tốc độ và không đội mũ bảo hiểm. Số tiền phạt nộp vào \
ngân sách là {amount} đồng. Tai nạn giao thông giảm cả ba tiêu chí so với cùng kỳ: số vụ, số \
người chết và số người bị thương."""),
    ("Hỗ trợ sản xuất nông nghiệp", """
Ủy ban nhân dân {province} hỗ trợ nông dân chuyển đổi {area} ha đất trồng lúa kém hiệu quả sang \
trồng cây ăn quả và rau màu. Mỗi hộ tham gia được hỗ trợ giống, phân bón và tập huấn kỹ thuật; \
hợp tác xã ký hợp đồng bao tiêu sản phẩm với giá không thấp hơn giá thị trường tại thời điểm thu \
hoạch."""),
    ("Thu gom và xử lý rác thải sinh hoạt", """
Từ đầu năm {year}, các hộ gia đình trên địa bàn phải phân loại rác thải sinh hoạt tại nguồn \
thành ba nhóm: chất thải rắn có khả năng tái chế, chất thải thực phẩm và chất thải rắn sinh hoạt \
khác. Đơn vị thu gom có quyền từ chối tiếp nhận rác không được phân loại và thông báo cho chính \
quyền địa phương để xử lý."""),
    ("Tuyển dụng viên chức", """
Hội đồng tuyển dụng thông báo nhận phiếu đăng ký dự tuyển viên chức từ {date} đến hết ngày thứ \
30 kể từ ngày thông báo. Người đăng ký dự tuyển nộp phiếu trực tiếp hoặc gửi qua bưu chính; mỗi \
người chỉ được đăng ký vào một vị trí việc làm. Danh sách thí sinh đủ điều kiện sẽ được niêm yết \
công khai tại trụ sở và trên trang thông tin điện tử."""),
    ("Chi trả trợ cấp xã hội qua tài khoản", """
Bắt đầu từ tháng này, trợ cấp xã hội hằng tháng được chi trả qua tài khoản ngân hàng của đối \
tượng. Những người chưa có tài khoản được cán bộ hướng dẫn mở miễn phí; người cao tuổi, người \
khuyết tật nặng không thể đi lại vẫn được nhận tiền mặt tại nhà. Mức chuẩn trợ giúp xã hội là \
500.000 đồng một tháng."""),
    ("Lưu trữ hồ sơ điện tử", """
Hồ sơ điện tử được lưu trữ phải bảo đảm tính xác thực, toàn vẹn và khả năng truy cập trong suốt \
thời hạn bảo quản. Mỗi tệp tin kèm theo siêu dữ liệu mô tả: mã hồ sơ, tiêu đề, thời gian tạo \
lập, cơ quan tạo lập và chữ ký số. Định dạng PDF/A được ưu tiên cho văn bản vì có thể hiển thị \
giống nhau trên mọi thiết bị sau nhiều năm."""),
    ("Sử dụng chữ ký số", """
Cán bộ, công chức được cấp chứng thư chữ ký số chuyên dùng để ký văn bản điện tử thay cho ký \
tay. Người được cấp có trách nhiệm bảo quản thiết bị lưu khóa bí mật, không cho người khác sử \
dụng và thông báo ngay cho cơ quan cấp khi bị mất. Văn bản ký số có giá trị như văn bản giấy \
có chữ ký và đóng dấu."""),
    ("Kiểm tra phòng cháy, chữa cháy", """
Đoàn kiểm tra liên ngành đã kiểm tra {count} cơ sở kinh doanh karaoke, nhà trọ và chung cư mini \
trên địa bàn {commune}. Nhiều cơ sở chưa trang bị đủ bình chữa cháy, lối thoát nạn bị che chắn \
hoặc khóa trái. Đoàn yêu cầu khắc phục trong 15 ngày; quá thời hạn trên, cơ sở sẽ bị tạm đình \
chỉ hoạt động."""),
    ("Đăng ký khai sinh liên thông", """
Cha, mẹ có thể thực hiện cùng lúc ba thủ tục: đăng ký khai sinh, đăng ký thường trú và cấp thẻ \
bảo hiểm y tế cho trẻ dưới 6 tuổi qua một lần nộp hồ sơ trực tuyến. Thông tin của trẻ được cập \
nhật vào Cơ sở dữ liệu quốc gia về dân cư, người dân không phải kê khai lại ở các cơ quan \
khác."""),
    ("Bộ phận Một cửa cấp xã", """
Bộ phận Một cửa của {commune} làm việc từ thứ Hai đến sáng thứ Bảy. Mỗi quầy tiếp nhận được bố \
trí máy tính, máy quét và thiết bị đánh giá mức độ hài lòng. Trong tháng, bộ phận đã tiếp nhận \
{count} hồ sơ, giải quyết đúng hạn {percent}; các hồ sơ trễ hạn đều có văn bản xin lỗi gửi người \
dân."""),
    ("Giải quyết việc làm", """
Phiên giao dịch việc làm lưu động tại {commune} thu hút hơn {count} doanh nghiệp tham gia với \
nhiều vị trí tuyển dụng trong các ngành may mặc, điện tử, chế biến thủy sản và dịch vụ. Người \
lao động được tư vấn miễn phí về chế độ bảo hiểm thất nghiệp, học nghề và chính sách hỗ trợ \
vay vốn tạo việc làm."""),
    ("Phát triển du lịch cộng đồng", """
Mô hình du lịch cộng đồng tại các bản vùng cao của {province} đón khoảng {count} nghìn lượt \
khách mỗi năm. Người dân được tập huấn về đón tiếp, vệ sinh an toàn thực phẩm và giữ gìn nhà \
truyền thống. Doanh thu từ dịch vụ lưu trú, ẩm thực và sản phẩm thủ công giúp nhiều hộ thoát \
nghèo bền vững."""),
    ("Quản lý trật tự xây dựng", """
Qua kiểm tra, cơ quan chức năng phát hiện {count} công trình xây dựng không có giấy phép hoặc \
sai nội dung giấy phép được cấp. Chủ đầu tư bị xử phạt vi phạm hành chính và buộc tháo dỡ phần \
công trình vi phạm. Chủ tịch Ủy ban nhân dân cấp xã chịu trách nhiệm nếu để xảy ra vi phạm kéo \
dài trên địa bàn."""),
    ("Tiêm chủng mở rộng", """
Trạm y tế {commune} tổ chức tiêm bổ sung vắc xin sởi, rubella cho trẻ từ 1 đến 5 tuổi chưa tiêm \
đủ mũi. Phụ huynh mang theo sổ tiêm chủng hoặc khai báo trên ứng dụng; trẻ được khám sàng lọc \
trước khi tiêm và theo dõi 30 phút sau tiêm. Tỷ lệ trẻ được tiêm chủng đầy đủ đạt {percent}."""),
    ("Thuế đối với hộ kinh doanh", """
Hộ kinh doanh có doanh thu từ 100 triệu đồng một năm trở xuống không phải nộp thuế giá trị gia \
tăng và thuế thu nhập cá nhân. Hộ kinh doanh có doanh thu cao hơn phải sử dụng hóa đơn điện tử \
khởi tạo từ máy tính tiền, kê khai theo tháng hoặc theo quý; cơ quan thuế hỗ trợ cài đặt phần \
mềm miễn phí."""),
    ("Xác nhận thông tin về cư trú", """
Công dân có thể đề nghị xác nhận thông tin về cư trú trực tiếp tại cơ quan đăng ký cư trú hoặc \
qua Cổng Dịch vụ công. Giấy xác nhận có giá trị 30 ngày kể từ ngày cấp đối với trường hợp xác \
nhận nơi ở hiện tại; trường hợp thông tin về cư trú có thay đổi thì giấy xác nhận hết giá trị \
kể từ thời điểm thay đổi."""),
)


def _clean(raw: str) -> str:
    return raw.strip().replace("\\\n", "")


def _split(items: tuple, pool: Pool) -> tuple:
    """Every third item (positions 2, 5, 8, ...) is held out; the rest is for development."""
    return tuple(item for i, item in enumerate(items) if (i % 3 == 2) == (pool == "heldout"))


def form_templates(pool: Pool) -> tuple[str, ...]:
    """Complete form templates (motto, body, signature block) of a pool."""
    return tuple(
        "\n".join((MOTTO, _clean(body), SIGNATURE.replace("{signer}", signer)))
        for signer, body in _split(_FORMS, pool)
    )


def paragraphs(pool: Pool) -> tuple[tuple[str, str], ...]:
    """(title, paragraph) pairs of a pool, paragraph text still holding ``{key}`` placeholders."""
    if pool == "unseen":
        from sohoa_dev.synth.catalogs import catalog_paragraphs

        return catalog_paragraphs(ALLOWED_CHARS)
    return tuple((title, " ".join(_clean(body).split()))
                 for title, body in _split(_PARAGRAPHS, pool))


# --- filling templates ---------------------------------------------------------------------------

STYLE_PREFIXES: dict[str, str] = {
    "#": "title",
    "##": "heading",
    "##_": "motto",
    "=": "centre",
    "=/": "centre_italic",
    ">/": "dateline",
    "~#": "sign_title",
    "~/": "sign_note",
    "~": "sign_name",
    "*": "paragraph",
    "§": "section",
    "--": "gap",
}
"""First token of a template line → style name; any other line is a ``field`` line."""

LEADER = "{..}"
_PLACEHOLDER = re.compile(r"\{(\w+)(\?)?\}")
_CHECKBOX = re.compile(r"^\[( |x)\] ")
INLINE_LEADER_DOTS = 12
"""A blank in the middle of a line (``ngày {..} tháng``) is this many dots."""


@dataclass(frozen=True)
class Segment:
    """One column of a line: its text, whether dots run after it, and an optional check box."""

    text: str
    leader: bool = False
    checkbox: bool | None = None
    """None: no box; False: an empty box; True: a ticked box. The box is not part of the text."""


@dataclass(frozen=True)
class Block:
    """One template line, filled in: a style and one or more column segments."""

    style: str
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class PageContent:
    kind: Kind
    blocks: tuple[Block, ...]

    @property
    def chars(self) -> str:
        """Every character that will be drawn (for font coverage checks)."""
        return "".join(seg.text for block in self.blocks for seg in block.segments) + "."


def fill(template: str, values: dict[str, str], rng: random.Random, fill_rate: float) -> str:
    """Replace placeholders; an optional one is left blank (a leader) with p = 1 - fill_rate."""

    def value(match: re.Match[str]) -> str:
        key, optional = match.group(1), match.group(2)
        if optional and rng.random() > fill_rate:
            return LEADER
        return values[key]

    return _PLACEHOLDER.sub(value, template)


def _segment(text: str) -> Segment:
    checkbox = None
    if box := _CHECKBOX.match(text):
        checkbox = box.group(1) == "x"
        text = text[box.end():]
    leader = text.endswith(LEADER)
    while text.endswith(LEADER):
        text = text[: -len(LEADER)].rstrip()
    text = text.replace(LEADER, "." * INLINE_LEADER_DOTS)
    return Segment(check_text(text), leader, checkbox)


def parse_line(line: str) -> Block:
    token, _, rest = line.partition(" ")
    if token in STYLE_PREFIXES:
        style, text = STYLE_PREFIXES[token], rest
    else:
        style, text = "field", line
    return Block(style, tuple(_segment(part.strip()) for part in text.split(" || ")))


def parse(filled: str) -> tuple[Block, ...]:
    return tuple(parse_line(line) for line in filled.splitlines() if line.strip())


def form_content(rng: random.Random, pool: Pool) -> PageContent:
    template = rng.choice(form_templates(pool))
    filled = fill(template, field_values(rng), rng, fill_rate=rng.uniform(0.4, 0.95))
    return PageContent("form", parse(filled))


def prose_content(rng: random.Random, pool: Pool) -> PageContent:
    """A title, then numbered sections in random order: more than a page holds; render cuts.

    Each section gets its own generated values, so numbers and places vary down the page.
    """
    chosen = rng.sample(paragraphs(pool), k=len(paragraphs(pool)))
    values = field_values(rng)
    lines = [f"# {rng.choice(PROSE_TITLES)}", f"= Tháng {rng.randint(1, 12)} năm {values['year']}",
             "--"]
    for number, (title, body) in enumerate(chosen, start=1):
        lines += [f"§ {number}. {title}", fill(f"* {body}", field_values(rng), rng, 1.0)]
    return PageContent("prose", parse(fill("\n".join(lines), values, rng, fill_rate=1.0)))


def page_content(rng: random.Random, pool: Pool, kind: Kind) -> PageContent:
    if pool not in POOLS:
        raise ValueError(f"pool must be one of {POOLS}, not {pool!r}")
    return form_content(rng, pool) if kind == "form" else prose_content(rng, pool)


def _all_source_text() -> Iterable[str]:
    yield from (body for _, body in _FORMS)
    yield from (title + body for title, body in _PARAGRAPHS)
    yield from (SURNAMES + COMMUNE_NAMES + STREETS + OCCUPATIONS + REQUESTS)


for _text in _all_source_text():
    assert unicodedata.is_normalized("NFC", _text), f"corpus source not NFC: {_text[:40]!r}"
