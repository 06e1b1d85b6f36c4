"""Field checks: dates, ID numbers, phones, the ID-card MRZ and QR code, 2025 units, enums.

All people, numbers and addresses are generated (``sohoa_dev.synth.corpus``) or invented here.
"""

from __future__ import annotations

import io
import json
import random
import time
import unicodedata
from datetime import date

import cv2
import numpy as np
import pytest
import segno
from vietnam_provinces import NESTED_DIVISIONS_JSON_PATH

from ocr_service.forms import mrz, qr, units
from ocr_service.forms.dates import check_not_future, normalize_date, normalize_year
from ocr_service.forms.enums import ETHNIC_GROUPS, SEXES, match_choice, normalize_sex
from ocr_service.forms.ids import id_number_problems, normalize_id_number
from ocr_service.forms.phones import normalize_phone
from ocr_service.forms.text import compact_key, fold, mask_id, mask_name, ocr_digits
from sohoa_dev.synth.corpus import VIETNAMESE_LETTERS, personal_id, person

TODAY = date(2026, 11, 30)


def codes(reasons) -> list[str]:
    return [r.code for r in reasons]


def assert_nfc_messages(reasons) -> None:
    for r in reasons:
        assert r.message and r.message_vi
        assert unicodedata.is_normalized("NFC", r.message_vi)


# --- text -------------------------------------------------------------------------------------


def test_fold_keeps_one_character_per_character() -> None:
    letters = "".join(sorted(VIETNAMESE_LETTERS))
    assert len(fold(letters)) == len(letters)
    assert fold("ĐƯỜNG Lê Lợi, Ngày Sinh") == "duong le loi, ngay sinh"
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Hà")
    assert fold(decomposed) == "nguyen thi ha"
    assert set(fold(letters)) <= set("abcdefghijklmnopqrstuvwxyz")


def test_masking_hides_most_of_an_id_and_a_name() -> None:
    assert mask_id("079098001234") == "0790****1234"
    assert mask_name("Nguyễn Văn An") == "Nguyễn V. A."
    assert ocr_digits("Số: O79O98 Ol") == "Số: 079098 Ol"


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["05/06/1998", "5/6/1998", "05-06-1998", "05.06.1998", "05 / 06 / 1998",
     "ngày 5 tháng 6 năm 1998", "Ngày 05 tháng 06 năm 1998", "05/06/1998.:", "O5/06/l998",
     unicodedata.normalize("NFD", "Ngày 05 tháng 06 năm 1998")],
)
def test_date_spellings_normalise(text: str) -> None:
    assert normalize_date(text) == ("05/06/1998", [])


def test_impossible_and_unreadable_dates() -> None:
    value, reasons = normalize_date("31/02/2001")
    assert value == "31/02/2001" and codes(reasons) == ["date.impossible"]
    assert codes(normalize_date("00/13/1990")[1]) == ["date.impossible"]
    assert normalize_date("tháng sáu")[0] is None
    assert codes(normalize_date("không rõ")[1]) == ["date.format"]
    assert_nfc_messages(reasons)


def test_future_dates_and_birth_years() -> None:
    assert codes(check_not_future("01/12/2026", today=TODAY)) == ["date.future"]
    assert check_not_future("30/11/2026", today=TODAY) == []
    assert normalize_year("Năm sinh: 1998", today=TODAY) == ("1998", [])
    assert codes(normalize_year("2027", today=TODAY)[1]) == ["date.future"]
    assert codes(normalize_year("1850", today=TODAY)[1]) == ["date.impossible"]
    assert codes(normalize_year("chưa rõ")[1]) == ["date.format"]


# --- personal ID numbers ----------------------------------------------------------------------


def test_id_number_normalisation() -> None:
    assert normalize_id_number("Số: 079 098.001234") == ("079098001234", [])
    assert normalize_id_number("O79O98OOl234.") == ("079098001234", [])
    value, reasons = normalize_id_number("07909800123")
    assert value == "07909800123" and codes(reasons) == ["id_number.format"]
    assert normalize_id_number("không có")[0] is None


def test_generated_id_numbers_agree_with_their_people() -> None:
    rng = random.Random(7)
    for _ in range(50):
        someone = person(rng)
        day, month, year = someone.dob
        dob = f"{day:02d}/{month:02d}/{year}"
        assert id_number_problems(someone.id_number, dob, someone.sex) == []


def test_id_number_disagreeing_with_birth_date_and_sex() -> None:
    number = personal_id(random.Random(3), "001", "Nữ", 1998)
    assert number[3:6] == "198"
    wrong_year = id_number_problems(number, "05/06/1997", "Nữ")
    assert codes(wrong_year) == ["id_number.birth_year"]
    assert codes(id_number_problems(number, "05/06/2098", "Nữ")) == ["id_number.century"]
    wrong_sex = id_number_problems(number, "05/06/1998", "Nam")
    assert codes(wrong_sex) == ["id_number.sex"]
    for r in wrong_year + wrong_sex:
        assert number not in r.message and number not in r.message_vi
        assert mask_id(number) in r.message
    assert_nfc_messages(wrong_sex)


def test_id_number_structure() -> None:
    number = personal_id(random.Random(4), "003", "Nam", 2001)  # 003 is no province code
    assert codes(id_number_problems(number, None, None)) == ["id_number.province_code"]
    born_2199 = "001499123456"  # digit 4 = 4: born 2100-2199
    assert codes(id_number_problems(born_2199)) == ["id_number.century"]
    assert codes(id_number_problems("12345")) == ["id_number.format"]


# --- phones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0912 345 678", "0912345678"), ("+84 912.345.678", "0912345678"),
     ("84-386-123-456", "0386123456"), ("(+84) 24 3825 1234", "02438251234"),
     ("ĐT: 0243.825.1234", "02438251234")],
)
def test_phone_numbers_normalise(text: str, expected: str) -> None:
    assert normalize_phone(text) == (expected, [])


def test_bad_phone_numbers_are_flagged() -> None:
    assert codes(normalize_phone("0112345678")[1]) == ["phone.format"]
    assert codes(normalize_phone("091234567")[1]) == ["phone.format"]
    assert normalize_phone("không có")[0] is None


# --- MRZ --------------------------------------------------------------------------------------


def test_check_digits_match_the_icao_example() -> None:
    # ICAO Doc 9303 Part 5 specimen TD1 (Utopia).
    assert mrz.check_digit("D23145890") == "7"
    assert mrz.check_digit("740812") == "2"
    assert mrz.check_digit("120415") == "9"
    line1 = "I<UTOD231458907<<<<<<<<<<<<<<<"
    line2 = "7408122F1204159UTO<<<<<<<<<<<6"
    assert mrz.check_digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29]) == "6"


@pytest.fixture()
def card() -> dict[str, str]:
    someone = person(random.Random(11), "Nữ")
    day, month, year = someone.dob
    return {
        "id_number": someone.id_number,
        "date_of_birth": f"{day:02d}/{month:02d}/{year}",
        "sex": someone.sex,
        "date_of_expiry": f"{day:02d}/{month:02d}/{year + 40}",
        "full_name": someone.upper_name,
    }


def _compose(card: dict[str, str]) -> tuple[str, str, str]:
    return mrz.compose_td1(
        card["id_number"], card["date_of_birth"], card["sex"], card["date_of_expiry"],
        card["full_name"],
    )


def test_composed_mrz_reads_back(card) -> None:
    lines = _compose(card)
    assert [len(line) for line in lines] == [30, 30, 30]
    assert lines[0].startswith("IDVNM" + card["id_number"][-9:])
    td1 = mrz.find_td1(["CĂN CƯỚC", *lines])
    assert td1 is not None and td1.problems() == []
    assert td1.id_number == card["id_number"]
    assert (td1.date_of_birth, td1.sex) == (card["date_of_birth"], "Nữ")
    assert td1.date_of_expiry == card["date_of_expiry"]
    assert td1.name == fold(card["full_name"]).upper()
    assert mrz.cross_check(td1, card) == []


def test_noisy_mrz_is_repaired(card) -> None:
    line1, line2, line3 = _compose(card)
    noisy = [
        "Đặc điểm nhận dạng",
        line1[:13].replace("1", "I") + " " + line1[13:].replace("<", "«"),
        line2[:7].replace("0", "O") + " " + line2[7:],
        line3[:14], line3[14:-1],  # split in two, one filler lost
    ]
    assert "I" in noisy[1][5:] and "O" in noisy[2]  # the generated card has digits to confuse
    td1 = mrz.find_td1(noisy)
    assert td1 is not None
    assert td1.lines == (line1, line2, line3)
    assert td1.problems() == []


@pytest.mark.parametrize("misread", ["K", "C", "L", "E"])
def test_fillers_read_as_letters_are_fillers_again(card, misread) -> None:
    line1, line2, line3 = _compose(card)
    name_end = len(line3.rstrip("<")) + 1  # the '<' that closes the name is read right
    noisy = [line1.replace("<", misread), line2.replace("<", misread),
             line3[:name_end] + line3[name_end:].replace("<", misread)]
    td1 = mrz.find_td1(noisy)
    assert td1 is not None
    assert td1.lines == (line1, line2, line3)
    assert td1.problems() == [] and td1.id_number == card["id_number"]


def test_wrong_mrz_check_digit_is_flagged(card) -> None:
    line1, line2, line3 = _compose(card)
    wrong_birth = f"{(int(line2[5]) + 1) % 10}"
    td1 = mrz.find_td1([line1, line2[:5] + wrong_birth + line2[6:], line3])
    assert td1 is not None
    problems = td1.problems()
    assert codes(problems) == ["mrz.check_digit", "mrz.check_digit"]  # birth date and composite
    assert "date of birth" in problems[0].message and "ngày sinh" in problems[0].message_vi
    assert mrz.find_td1(["no machine readable zone", "here"]) is None


def test_mrz_disagreeing_with_the_front_is_flagged_per_field(card) -> None:
    td1 = mrz.find_td1(list(_compose(card)))
    front = dict(card)
    front["id_number"] = card["id_number"][:-1] + str((int(card["id_number"][-1]) + 1) % 10)
    front["sex"] = "Nam"
    front["full_name"] = card["full_name"] + " ANH"
    problems = mrz.cross_check(td1, front)
    assert codes(problems) == ["mrz.mismatch"] * 3
    named = " ".join(p.message for p in problems)
    assert "ID number" in named and "sex" in named and "full name" in named
    assert "date" not in named
    assert all(front["id_number"] not in p.message for p in problems)


def test_mrz_centuries() -> None:
    lines = mrz.compose_td1("001205123456", "01/02/2005", "Nam", "01/02/2030", "Lê An")
    td1 = mrz.find_td1(list(lines))
    assert (td1.date_of_birth, td1.date_of_expiry) == ("01/02/2005", "01/02/2030")
    old = mrz.find_td1(list(mrz.compose_td1("001050123456", "01/02/1950", "Nam",
                                            "01/02/2045", "Lê An")))
    assert (old.date_of_birth, old.date_of_expiry) == ("01/02/1950", "01/02/2045")


# --- QR code ----------------------------------------------------------------------------------


def _qr_payload(card: dict[str, str], residence: str) -> str:
    dob = card["date_of_birth"].replace("/", "")
    return f"{card['id_number']}||{card['full_name'].title()}|{dob}|Nữ|{residence}|01022021"


def _qr_image(payload: str) -> np.ndarray:
    buffer = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buffer, kind="png", scale=3, border=4)
    symbol = cv2.imdecode(np.frombuffer(buffer.getvalue(), np.uint8), cv2.IMREAD_COLOR)
    page = np.full((400, 600, 3), 255, np.uint8)
    page[50:50 + symbol.shape[0], 300:300 + symbol.shape[1]] = symbol
    return page


def test_qr_decodes_parses_and_cross_checks(card) -> None:
    residence = "Thôn 3, Xã Thượng Lâm, Tuyên Quang"
    payload = _qr_payload(card, residence)
    assert unicodedata.is_normalized("NFC", payload)
    assert qr.decode_qr([_qr_image(payload)]) == [payload]
    parsed = qr.parse_cccd_qr(payload)
    assert parsed == {
        "id_number": card["id_number"], "old_id_number": None,
        "full_name": card["full_name"].title(), "date_of_birth": card["date_of_birth"],
        "sex": "Nữ", "place_of_residence": residence, "date_of_issue": "01/02/2021",
    }
    front = {**card, "place_of_residence": "Thôn 3 , Xã Thượng Lâm, Tuyên Quang."}
    assert qr.cross_check_qr(parsed, front) == []
    front["date_of_birth"] = "01/01/1901"
    problems = qr.cross_check_qr(parsed, front)
    assert codes(problems) == ["qr.mismatch"] and "date of birth" in problems[0].message
    assert qr.parse_cccd_qr("https://example.invalid/not-a-card") is None


def test_qr_retries_at_double_size(monkeypatch) -> None:
    seen: list[tuple[int, ...]] = []

    def fake_read(image: np.ndarray) -> list[str]:
        seen.append(image.shape)
        return ["found"] if image.shape[0] == 20 else []

    monkeypatch.setattr(qr, "_read", fake_read)
    assert qr.decode_qr([np.zeros((10, 10), np.uint8)]) == ["found"]
    assert seen == [(10, 10), (20, 20)]


# --- administrative units ---------------------------------------------------------------------


def test_units_load_the_2025_list() -> None:
    provinces = units.provinces()
    assert len(provinces) == 34
    assert sum(len(p.communes) for p in provinces) == 3321
    hanoi = units.find_province("Hà Nội")
    assert (hanoi.name, hanoi.short_name, hanoi.kind) == ("Thành phố Hà Nội", "Hà Nội", "thành phố")
    assert "Phường Ba Đình" in hanoi.communes


def test_crosswalk_covers_every_old_province_once() -> None:
    olds = [name for names in units.MERGED_INTO.values() for name in names]
    assert sorted(olds) == sorted(units.OLD_PROVINCE_CODES.values())
    assert len(olds) == 63 and len(units.MERGED_INTO) == 34
    with open(NESTED_DIVISIONS_JSON_PATH, encoding="utf-8") as handle:
        official = {p["name"].removeprefix("Thành phố ") for p in json.load(handle)}
    assert set(units.MERGED_INTO) == official


@pytest.mark.parametrize(
    ("text", "expected"),
    [("tỉnh Tuyên Quang", "Tuyên Quang"), ("TP. HCM", "Thành phố Hồ Chí Minh"),
     ("TP Đà Nẵng", "Thành phố Đà Nẵng"), ("thanh pho ha noi", "Thành phố Hà Nội"),
     ("Tuyên Quangg", "Tuyên Quang"), ("Hà Giang", None), ("Gotham", None)],
)
def test_find_province(text: str, expected: str | None) -> None:
    found = units.find_province(text)
    assert (found.name if found else None) == expected


def test_old_provinces_map_to_their_new_ones() -> None:
    assert units.old_province("tỉnh Hà Giang") == "Tuyên Quang"
    assert units.old_province("Bà Rịa - Vũng Tàu") == "Thành phố Hồ Chí Minh"
    assert units.old_province("Thừa Thiên Huế") == "Thành phố Huế"
    assert units.old_province("Tuyên Quang") is None


def test_addresses() -> None:
    assert units.address_problems("Thôn 3, Xã Thượng Lâm, tỉnh Tuyên Quang") == []
    assert units.address_problems("Số 12, đường Lê Lợi, P. Ba Đình, TP. Hà Nội, Việt Nam") == []
    old = units.address_problems("Xã Thượng Lâm, tỉnh Hà Giang")
    assert codes(old) == ["address.old_province"]
    assert "Tuyên Quang" in old[0].message and "tỉnh Tuyên Quang" in old[0].message_vi
    elsewhere = units.address_problems("Thôn 3, Phường Ba Đình, tỉnh Tuyên Quang")
    assert codes(elsewhere) == ["address.commune_unknown"]
    assert codes(units.address_problems("Xã A, Gotham")) == ["address.province_unknown"]
    assert codes(units.address_problems("Xã A, huyện B, tỉnh Tuyên Quang")) == [
        "address.old_district"
    ]
    assert_nfc_messages(old + elsewhere)


def test_find_commune() -> None:
    tuyen_quang = units.find_province("Tuyên Quang")
    assert units.find_commune(tuyen_quang, "xa thuong lam") == "Xã Thượng Lâm"
    assert units.find_commune(tuyen_quang, "Ba Đình") is None


def test_address_checks_are_fast() -> None:
    units.address_problems("Xã Thượng Lâm, Tuyên Quang")  # first load
    addresses = ["Thôn 3, Xã Thượng Lâm, Tuyên Quang", "Xã Thượng Lâm, tỉnh Hà Giang",
                 "Số 1, Phường Ba Đình, Tuyen Quangg"] * 100
    start = time.perf_counter()
    for address in addresses:
        units.address_problems(address)
    assert (time.perf_counter() - start) / len(addresses) < 1e-3


# --- enums ------------------------------------------------------------------------------------


def test_ethnic_groups_and_choices() -> None:
    assert len(ETHNIC_GROUPS) == 54 and len({compact_key(g) for g in ETHNIC_GROUPS}) == 54
    assert all(unicodedata.is_normalized("NFC", g) for g in ETHNIC_GROUPS)
    assert match_choice("E De", ETHNIC_GROUPS) == "Ê Đê"
    assert match_choice("Bru-Vân Kiều", ETHNIC_GROUPS) == "Bru - Vân Kiều"
    assert match_choice("Kinhh", ETHNIC_GROUPS) == "Kinh"
    assert match_choice("Martian", ETHNIC_GROUPS) is None
    assert match_choice("", SEXES) is None
    assert normalize_sex("NU") == "Nữ" and normalize_sex("nam.") == "Nam"
    assert normalize_sex("Không rõ") is None


# --- values changed by normalisation are flagged -------------------------------------------------


def test_no_expiry_is_a_valid_card_expiry() -> None:
    from ocr_service.forms.values import normalize

    assert normalize("expiry", "Không thời hạn") == ("Không thời hạn", [])
    value, reasons = normalize("expiry", "Khong thoi han")
    assert (value, [r.code for r in reasons]) == ("Không thời hạn", ["value.respelled"])
    assert normalize("expiry", "15/03/2040") == ("15/03/2040", [])
    assert normalize("expiry", "Không rõ")[0] is None  # not a date, not the phrase


def test_a_place_of_origin_is_never_respelled_to_another_2025_commune() -> None:
    from ocr_service.forms.values import normalize

    # "Xã Xuân Long" is no 2025 commune of Bắc Ninh; "Xã Xuân Lương" is one letter away.
    assert units.correct_address("Xã Xuân Long, tỉnh Bắc Ninh") == "Xã Xuân Lương, tỉnh Bắc Ninh"
    assert normalize("origin", "Xã Xuân Long, tỉnh Bắc Ninh") == ("Xã Xuân Long, tỉnh Bắc Ninh", [])
    value, reasons = normalize("place", "Xã Xuân Long, tỉnh Bắc Ninh")  # a 2025 place: respelled
    assert value == "Xã Xuân Lương, tỉnh Bắc Ninh"
    assert "value.respelled" in [r.code for r in reasons]


def test_a_comma_between_units_read_as_a_semicolon_still_has_its_units_checked() -> None:
    from ocr_service.forms.values import normalize

    # Read "Sin Chải; tỉnh": without the comma no commune was found, and nothing was checked.
    value, reasons = normalize("agency", "Công an xã Sin Chải; tỉnh Điện Biên")
    assert (value, [r.code for r in reasons]) == (
        "Công an xã Sín Chải, tỉnh Điện Biên", ["value.respelled"])
    assert normalize("address", "Tổ 9, xã Sín Chải ; Tỉnh Điện Biên") == (
        "Tổ 9, xã Sín Chải, Tỉnh Điện Biên", [])
    assert [r.code for r in normalize("agency", "Công an xã Sín Chả; tỉnh Hà Giang")[1]] == [
        "address.old_province"]
    # Before a word that names no unit, a semicolon is the writer's own.
    assert units.correct_address("Số 5; Tổ 9, xã Sín Chải, tỉnh Điện Biên").startswith("Số 5; Tổ 9")


@pytest.mark.parametrize(("field_type", "raw", "value"), [
    ("sex", "Nũ", "Nữ"),
    ("nationality", "Viet Nam", "Việt Nam"),
    ("ethnicity", "Tảy", "Tày"),
    ("place", "Úy ban nhân dân xã Thượng Lâm, tỉnh Tuyên Quang",
     "Ủy ban nhân dân xã Thượng Lâm, tỉnh Tuyên Quang"),
    ("address", "Thôn 3, xã Thuợng Lâm, tỉnh Tuyên Quang", "Thôn 3, xã Thượng Lâm, tỉnh Tuyên Quang"),
])
def test_every_value_that_normalisation_respelled_is_flagged(field_type, raw, value) -> None:
    from ocr_service.forms.values import normalize

    got, reasons = normalize(field_type, raw)
    assert got == value
    assert "value.respelled" in [r.code for r in reasons]


@pytest.mark.parametrize(("field_type", "raw", "value"), [
    ("sex", "NỮ", "Nữ"), ("nationality", "Việt Nam", "Việt Nam"), ("relationship", "Cha ss", "Cha"),
    ("place", "Ủy ban nhân dân xã Thượng Lâm, tỉnh Tuyên Quang",
     "Ủy ban nhân dân xã Thượng Lâm, tỉnh Tuyên Quang"),
])
def test_values_kept_as_read_are_not_flagged(field_type, raw, value) -> None:
    from ocr_service.forms.values import normalize

    assert normalize(field_type, raw) == (value, [])


@pytest.mark.parametrize(("field_type", "raw", "code"), [
    ("name", "LÊ TIỄN DŨNG", "name.uncommon"),  # a syllable, but no common name one
    ("name", "LÂÃM BÍCH PHƯỢNG", "name.uncommon"),  # no syllable at all
    ("place", "Trạm Ytế đặc khu Cát Hải, thành phố Hải Phòng", "value.unknown_word"),
    ("origin", "Xã Lịch Hộii Thượng, thành phố Cần Thơ", "value.unknown_word"),
])
def test_a_word_that_is_no_name_or_no_vietnamese_is_flagged_as_read(field_type, raw,
                                                                     code) -> None:
    """What the lexicons cannot put right is kept as read and shown to a person, not signed."""
    from ocr_service.forms.values import normalize

    value, reasons = normalize(field_type, raw)
    assert (value, [r.code for r in reasons]) == (raw, [code])
    # What a person typed (or a QR code holds) is taken as spelled.
    assert normalize(field_type, raw, machine_read=True)[1] == []


def test_common_names_and_vietnamese_places_are_not_flagged() -> None:
    from ocr_service.forms.values import normalize

    assert normalize("name", "NGUYỄN THỊ LAN")[1] == []
    assert normalize("place", "Trạm Y tế đặc khu Cát Hải, thành phố Hải Phòng")[1] == []
    assert normalize("address", "Số 12 ngõ 34, Phường Ba Đình, Thành phố Hà Nội")[1] == []
