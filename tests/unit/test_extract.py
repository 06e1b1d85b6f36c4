"""The generic extractor on hand-laid pages: labels, rows, sections, wraps, tables and checks.

Pages are built from rows of text pieces with made-up geometry (10 px per character, 40 px per
row), the way an OCR engine would return them, so every rule is tested without running OCR.
"""

from __future__ import annotations

import pytest

from ocr_service.domain import OcrLine, PageText
from ocr_service.pipeline.extract import extract
from sohoa_dev.synth.corpus import personal_id

CHAR = 10.0
ROW = 40.0


def page(rows: list[list[tuple[float, str]] | str], number: int = 1, width: int = 1000) -> PageText:
    """Rows of (x, text) pieces (a bare string is one piece at x=50)."""
    lines = []
    for index, row in enumerate(rows):
        pieces = [(50.0, row)] if isinstance(row, str) else row
        y = 50 + index * ROW
        for x, text in pieces:
            x1 = x + CHAR * len(text)
            lines.append(OcrLine(text, 0.98, ((x, y), (x1, y), (x1, y + 24), (x, y + 24))))
    return PageText(number, width, 50 + len(rows) * int(ROW) + 50, tuple(lines))


def values(extraction) -> dict:
    return {name: field.value for name, field in extraction.fields.items()}


ID_MALE_1990 = "001090123456"


def birth_registration_page(child_dob: str = "05/06/2024", wrap: bool = False,
                            recipient: list[str] | None = None) -> PageText:
    residence = "Số 12, đường Lê Lợi, tổ dân phố 5, Phường Ba Đình, Thành phố Hà Nội"
    rows: list = [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "TỜ KHAI ĐĂNG KÝ KHAI SINH",
        *(recipient or ["Kính gửi: Ủy ban nhân dân Phường Ba Đình, Thành phố Hà Nội"]),
        "Họ, chữ đệm, tên người yêu cầu: TRẦN VĂN BÌNH",
    ]
    if wrap:
        cut = residence.index("Thành phố")
        first = residence[:cut].strip()  # set justified: it ends at the right edge of the text
        rows += [[(50, "Nơi cư trú:"), (840 - CHAR * len(first), first)], residence[cut:]]
    else:
        rows += [f"Nơi cư trú: {residence}"]
    rows += [
        f"Giấy tờ tùy thân: Căn cước số {ID_MALE_1990}",
        "Quan hệ với người được đăng ký khai sinh: Cha",
        "Đề nghị cơ quan đăng ký khai sinh cho người dưới đây:",
        "Họ, chữ đệm, tên: TRẦN MINH AN",
        [(50, f"Ngày, tháng, năm sinh: {child_dob}"), (420, "ghi bằng chữ: Ngày năm tháng sáu")],
        [(50, "Giới tính: Nam"), (300, "Dân tộc: Kinh"), (600, "Quốc tịch: Việt Nam")],
        "Nơi sinh: Bệnh viện Phụ sản Hà Nội",
        "Quê quán: Xã Thượng Lâm, Tỉnh Tuyên Quang",
        "Họ, chữ đệm, tên người mẹ: LÊ THỊ HOA",
        [(50, "Năm sinh: 1992"), (300, "Dân tộc: Kinh"), (600, "Quốc tịch: Việt Nam")],
        f"Nơi cư trú: {residence}",
        "Họ, chữ đệm, tên người cha: TRẦN VĂN BÌNH",
        [(50, "Năm sinh: 1990"), (300, "Dân tộc: Kinh"), (600, "Quốc tịch: Việt Nam")],
        f"Nơi cư trú: {residence}",
        "Tôi cam đoan nội dung đề nghị đăng ký khai sinh trên đây là đúng.",
    ]
    return page(rows, width=1000)


def test_birth_registration_fields_from_their_labels_and_sections():
    result = extract([birth_registration_page()])
    assert result.form_type == "birth_registration"
    assert values(result) == {
        "recipient": "Ủy ban nhân dân Phường Ba Đình, Thành phố Hà Nội",
        "requester_name": "TRẦN VĂN BÌNH",
        "requester_residence": "Số 12, đường Lê Lợi, tổ dân phố 5, Phường Ba Đình, Thành phố Hà Nội",
        "requester_id_number": ID_MALE_1990,
        "relationship": "Cha",
        "child_name": "TRẦN MINH AN",
        "child_date_of_birth": "05/06/2024",
        "child_sex": "Nam",
        "child_ethnicity": "Kinh",
        "child_nationality": "Việt Nam",
        "child_place_of_birth": "Bệnh viện Phụ sản Hà Nội",
        "child_hometown": "Xã Thượng Lâm, Tỉnh Tuyên Quang",
        "mother_name": "LÊ THỊ HOA",
        "mother_birth_year": "1992",
        "father_name": "TRẦN VĂN BÌNH",
        "father_birth_year": "1990",
    }
    assert not result.fields["child_name"].review
    assert result.fields["child_name"].page == 1
    (x0, y0), _, (x1, y1), _ = result.fields["child_name"].box
    assert x0 > 50 + CHAR * len("Họ, chữ đệm, tên:") - 1 and x1 <= 50 + CHAR * 31 + 1


def test_a_value_that_reaches_the_right_edge_continues_on_the_next_row():
    result = extract([birth_registration_page(wrap=True)])
    assert result.fields["requester_residence"].value == (
        "Số 12, đường Lê Lợi, tổ dân phố 5, Phường Ba Đình, Thành phố Hà Nội")


@pytest.mark.parametrize("first, second", [
    ("Kính gửi: Ủy ban nhân dân phường Dương Kinh, thành phố Hải", "Phòng"),
    ("Kính gửi: Ủy ban nhân dân phường Dương Kinh,", "thành phố Hải Phòng"),
])
def test_a_recipient_wrapped_short_of_the_right_edge_is_joined_when_its_province_says_so(
        first, second):
    """A narrower column wraps a recipient well before the edge of the text."""
    result = extract([birth_registration_page(recipient=[first, second])])
    recipient = result.fields["recipient"]
    assert recipient.value == "Ủy ban nhân dân phường Dương Kinh, thành phố Hải Phòng"
    assert not recipient.review


def test_a_recipient_continued_on_an_indented_row_is_joined_only_when_that_completes_it():
    """Not at the margin, the row below joins only because it completes the province."""
    cut = "Kính gửi: Ủy ban nhân dân phường Dương Kinh, thành phố Hải"
    joined = extract([birth_registration_page(recipient=[cut, [(400, "Phòng")]])])
    assert joined.fields["recipient"].value == (
        "Ủy ban nhân dân phường Dương Kinh, thành phố Hải Phòng")
    whole = "Kính gửi: Ủy ban nhân dân Phường Ba Đình, Thành phố Hà Nội"
    kept = extract([birth_registration_page(recipient=[whole, [(400, "Phòng")]])])
    assert kept.fields["recipient"].value == "Ủy ban nhân dân Phường Ba Đình, Thành phố Hà Nội"


def test_a_value_broken_early_continues_on_a_row_at_the_margin():
    """A request typed on two lines, the first well short of the right edge."""
    result = extract([residence_change_page("079215003344", request=[
        "10. Nội dung đề nghị(2): Đăng ký thường trú", "tại Số 12, đường Lê Lợi"])])
    assert result.fields["request_content"].value == "Đăng ký thường trú tại Số 12, đường Lê Lợi"


def test_a_stray_mark_under_a_value_does_not_continue_it():
    result = extract([birth_registration_page(recipient=[
        "Kính gửi: Ủy ban nhân dân Phường Ba Đình, Thành phố Hà Nội", "I"])])
    assert result.fields["recipient"].value == "Ủy ban nhân dân Phường Ba Đình, Thành phố Hà Nội"


def test_a_recipient_cut_in_its_province_goes_to_review():
    from ocr_service.forms.values import normalize

    value, reasons = normalize("agency", "Ủy ban nhân dân phường Điện Bàn Đông, thành")
    assert value == "Ủy ban nhân dân phường Điện Bàn Đông, thành"
    assert [r.code for r in reasons] == ["address.province_unknown"]
    assert normalize("agency", "Công an xã Thăng An, thành phố Đà Nẵng") == (
        "Công an xã Thăng An, thành phố Đà Nẵng", [])


def test_an_impossible_date_is_flagged_for_review():
    result = extract([birth_registration_page(child_dob="31/02/2024")])
    field = result.fields["child_date_of_birth"]
    assert field.value == "31/02/2024"
    assert field.review and "date.impossible" in [r.code for r in field.reasons]


def test_unknown_documents_get_their_text_and_no_fields():
    result = extract([page(["TỜ KHAI ĐĂNG KÝ KẾT HÔN", "Kính gửi: Ủy ban nhân dân xã An Phú",
                            "Họ, chữ đệm, tên bên nam: NGUYỄN VĂN AN"])])
    assert result.form_type == "unknown"
    assert result.fields == {}
    assert "KẾT HÔN" in result.text
    assert result.export()["form_type"] == "unknown"


def residence_change_page(member_id: str, request: list[str] | None = None,
                          header_rows: list | None = None, contact: list | None = None,
                          caption: str = "11. Những thành viên trong hộ gia đình cùng thay đổi:",
                          name_rows: tuple[str, ...] = ("1. Họ, chữ đệm và tên: NGUYỄN THỊ MAI",),
                          ) -> PageText:
    head = personal_id(__import__("random").Random(3), "079", "Nam", 1970)
    table_x = (50, 100, 300, 530, 640, 850)
    header = ["TT", "Họ, chữ đệm và tên", "Ngày, tháng, năm sinh", "Giới tính",
              "Số định danh cá nhân", "Mối quan hệ với chủ hộ"]
    return page([
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ",
        "Kính gửi(1): Công an Phường Bến Thành",
        *name_rows,
        [(50, "2. Ngày, tháng, năm sinh: 07/08/1995"), (500, "3. Giới tính: Nữ")],
        "4. Số định danh cá nhân: 079195001122",
        contact or [(50, "5. Số điện thoại liên hệ: 0912 345 678"),
                    (500, "6. Email: mai.nt@example.vn")],
        [(50, "7. Họ, chữ đệm và tên chủ hộ: NGUYỄN VĂN HÙNG"), (520, "8. Mối quan hệ với chủ hộ: Con")],
        f"9. Số định danh cá nhân của chủ hộ: {head}",
        *(request or ["10. Nội dung đề nghị(2): Đăng ký thường trú"]),
        caption,
        *(header_rows or [list(zip(table_x, header))]),
        list(zip(table_x, ["1", "NGUYỄN VĂN TÈO", "01/02/2015", "Nam", member_id, "Cháu"])),
        list(zip(table_x, ["2", "NGUYỄN THỊ LAN", "03/04/2018", "Nữ", "079318004455", "Cháu"])),
        "Bến Thành, ngày 20 tháng 10 năm 2026",
    ])


MEMBERS = [
    {"full_name": "NGUYỄN VĂN TÈO", "date_of_birth": "01/02/2015", "sex": "Nam",
     "id_number": "079215003344"},
    {"full_name": "NGUYỄN THỊ LAN", "date_of_birth": "03/04/2018", "sex": "Nữ",
     "id_number": "079318004455"},
]
"""The members ``residence_change_page("079215003344")`` lists, as extraction exports them."""


def test_residence_change_fields_and_members_table():
    result = extract([residence_change_page("079215003344")])
    assert result.form_type == "residence_change"
    got = values(result)
    assert got["full_name"] == "NGUYỄN THỊ MAI"
    assert got["date_of_birth"] == "07/08/1995"
    assert got["sex"] == "Nữ"
    assert got["id_number"] == "079195001122"
    assert got["phone"] == "0912345678"
    assert got["email"] == "mai.nt@example.vn"
    assert got["household_head_name"] == "NGUYỄN VĂN HÙNG"
    assert got["relationship_to_head"] == "Con"
    assert got["request_content"] == "Đăng ký thường trú"
    assert got["recipient"] == "Công an Phường Bến Thành"
    assert not result.fields["id_number"].review
    members = result.export()["fields"]["members"]["value"]
    assert members == MEMBERS


def test_header_cells_the_detector_joined_are_cut_at_their_labels():
    """A photocopy loses the table's thin rules, and the detector joins the name's header with
    "TT" and the middle line of the date's ("Ngày, / tháng, năm / sinh"). The header still names
    every column; a label's own wrapped end ("Số định danh cá" over "nhân") is not cut off."""
    joined = [
        [(300, "Ngày,"), (640, "Số định danh cá"), (850, "Mối quan hệ")],
        [(50, "TTHọ, chữ đệm và tên tháng, năm"), (530, "Giới tính"), (660, "nhân"),
         (850, "với chủ hộ")],
        [(310, "sinh")],
    ]
    members = extract([residence_change_page("079215003344", header_rows=joined)]
                      ).export()["fields"]["members"]["value"]
    assert members == MEMBERS


def test_a_name_broken_early_onto_the_next_row_is_read_whole():
    """Whoever typed the form broke the line before the last syllable, far short of the edge."""
    result = extract([residence_change_page(
        "079215003344", name_rows=("1. Họ, chữ đệm và tên: NGUYỄN THỊ", "MAI"))])
    assert result.fields["full_name"].value == "NGUYỄN THỊ MAI"
    assert result.fields["date_of_birth"].value == "07/08/1995"


def test_a_header_that_lost_columns_sends_every_cell_of_its_table_to_review():
    """On a photocopy the detector may join the name's and the date's headers into a piece that
    names neither: those columns have no cell, their text went into a neighbour's, and an empty
    name must not pass for a blank."""
    lost = [[(50, "TTHọ, chữ đệm và têntháng, năm"), (530, "Giới tính"),
             (640, "Số định danh cá nhân"), (850, "Mối quan hệ với chủ hộ")]]
    result = extract([residence_change_page("079215003344", header_rows=lost)])
    members = result.tables["members"]
    assert [row["id_number"].value for row in members] == ["079215003344", "079318004455"]
    assert all(cell.review and "table.header_incomplete" in [r.code for r in cell.reasons]
               for row in members for cell in row.values())
    assert [row["full_name"].value for row in members] == [None, None]
    whole = extract([residence_change_page("079215003344")]).tables["members"]
    assert not any(cell.review for row in whole for cell in row.values())


def test_a_printed_table_that_was_not_read_goes_to_review_as_a_whole():
    result = extract([residence_change_page("079215003344", caption="11. Nhg thàh vên tog hộ")])
    assert result.tables["members"] == ()
    exported = result.export()["fields"]["members"]
    assert exported["review"] is True
    assert [r["code"] for r in exported["reasons"]] == ["table.not_found"]
    assert result.review


def test_an_empty_field_whose_label_was_not_read_goes_to_review():
    """A faint copy garbles the phone's label: the number may be on the paper, so the empty field
    is flagged. The e-mail's label was read with nothing after it: a blank left blank."""
    contact = [(50, "5. Sế đệ thoạt lên hệ: 0912 345 678"), (500, "6. Email:")]
    result = extract([residence_change_page("079215003344", contact=contact)])
    phone, email = result.fields["phone"], result.fields["email"]
    assert phone.value is None and [r.code for r in phone.reasons] == ["field.label_not_found"]
    assert email.value is None and not email.review


@pytest.mark.parametrize("call", ["(1):", "(1)", "1):", "ệ1):", "C1): ", "( 1):", "(1 ):"])
def test_a_footnote_call_after_a_label_is_not_part_of_the_value(call):
    """The fast reader sometimes reads the footnote call's opening bracket as a letter."""
    from ocr_service.forms.values import clean_value

    assert clean_value(f"{call} Công an phường Thanh Đức") == "Công an phường Thanh Đức"
    assert clean_value(" Số 12, đường Trần Phú") == "Số 12, đường Trần Phú"


def test_a_member_id_that_disagrees_with_the_birth_year_is_flagged():
    result = extract([residence_change_page("079299003344")])  # born 2015, digits say 1999 male
    member = result.tables["members"][0]["id_number"]
    assert member.review
    assert any(r.code.startswith("id_number.") for r in member.reasons)


# --- ID cards: MRZ and QR checks -----------------------------------------------------------------

CARD = {"id_number": "001090123456", "full_name": "TRẦN VĂN BÌNH", "date_of_birth": "15/03/1990",
        "sex": "Nam", "date_of_expiry": "15/03/2030"}


def card_pages(mrz_lines: tuple[str, str, str], dob: str = CARD["date_of_birth"],
               origin: str = "Xã Thượng Lâm, Tỉnh Tuyên Quang",
               expiry: str = CARD["date_of_expiry"]) -> list[PageText]:
    front = page([
        "CĂN CƯỚC CÔNG DÂN", "Citizen Identity Card",
        f"Số / No.: {CARD['id_number']}",
        "Họ và tên / Full name:", CARD["full_name"],
        f"Ngày sinh / Date of birth: {dob}",
        [(50, "Giới tính / Sex: Nam"), (400, "Quốc tịch / Nationality: Việt Nam")],
        "Quê quán / Place of origin:", origin,
        "Nơi thường trú / Place of residence:", "Thôn 3, Xã Thượng Lâm, Tỉnh Tuyên Quang",
        f"Có giá trị đến / Date of expiry: {expiry}",
    ])
    back = page(["Đặc điểm nhân dạng / Personal identification: Sẹo chấm C:1cm trên đầu mày phải",
                 "Ngày, tháng, năm / Date, month, year: 20/05/2021", *mrz_lines], number=2)
    return [front, back]


def test_an_id_card_front_and_back_agree_with_their_mrz():
    from ocr_service.forms.mrz import compose_td1

    result = extract(card_pages(compose_td1(**CARD)))
    assert result.form_type == "cccd"
    assert values(result) == {**CARD, "nationality": "Việt Nam",
                              "place_of_origin": "Xã Thượng Lâm, Tỉnh Tuyên Quang",
                              "place_of_residence": "Thôn 3, Xã Thượng Lâm, Tỉnh Tuyên Quang",
                              "date_of_issue": "20/05/2021"}
    assert not result.review, result.export()


@pytest.mark.parametrize("rows", [
    ["No.:001090123456"], ["Số /No:001090123456"], ["No. 001090123456"],
    ["Số/ No.: 001 090 123 456"], ["Số / No.:", "001090123456"],
    ["Số định danh cá nhân / Personal identification number:", "001090123456"],  # 2024 card
])
def test_a_card_number_is_found_however_its_label_is_spaced_and_punctuated(rows):
    result = extract([page(["CĂN CƯỚC CÔNG DÂN", "Citizen Identity Card", *rows,
                            "Họ và tên / Full name:", CARD["full_name"],
                            f"Ngày sinh / Date of birth: {CARD['date_of_birth']}",
                            "Giới tính / Sex: Nam"])])
    assert result.form_type == "cccd"
    assert result.fields["id_number"].value == CARD["id_number"]
    # Card editions print different fields: a label a card lacks is no row lost.
    assert not result.fields["place_of_origin"].review


def test_a_card_without_expiry_keeps_it_and_its_place_of_origin_as_printed():
    # "Không thời hạn" (valid for life) is a value, not an unreadable date; a place of origin is
    # in the units of its time: "Xuân Long" is no 2025 commune of Bắc Ninh, and respelling it to
    # the nearest one ("Xuân Lương") would name another place without a flag.
    from ocr_service.forms.mrz import compose_td1

    result = extract(card_pages(compose_td1(**CARD), origin="Xã Xuân Long, Tỉnh Bắc Ninh",
                                expiry="Không thời hạn"))
    assert result.fields["date_of_expiry"].value == "Không thời hạn"
    assert result.fields["date_of_expiry"].reasons == ()
    assert result.fields["place_of_origin"].value == "Xã Xuân Long, Tỉnh Bắc Ninh"
    assert result.fields["place_of_origin"].reasons == ()


def test_a_wrong_mrz_check_digit_is_flagged():
    from ocr_service.forms.mrz import compose_td1

    line1, line2, line3 = compose_td1(**CARD)
    wrong = line2[:6] + str((int(line2[6]) + 1) % 10) + line2[7:]  # the birth date's check digit
    result = extract(card_pages((line1, wrong, line3)))
    assert result.review
    assert "mrz.check_digit" in [r.code for r in result.reasons]


def test_an_id_number_inconsistent_with_the_date_of_birth_is_flagged():
    from ocr_service.forms.mrz import compose_td1

    mrz = compose_td1(**{**CARD, "date_of_birth": "15/03/1985"})
    result = extract(card_pages(mrz, dob="15/03/1985"))
    field = result.fields["id_number"]
    assert field.review
    assert "id_number.birth_year" in [r.code for r in field.reasons]


def test_the_mrz_value_wins_over_a_misread_front_and_the_disagreement_is_flagged():
    from ocr_service.forms.mrz import compose_td1

    result = extract(card_pages(compose_td1(**CARD), dob="15/08/1990"))  # front misread 3 as 8
    field = result.fields["date_of_birth"]
    assert field.value == "15/03/1990"
    assert "mrz.mismatch" in [r.code for r in field.reasons]


def test_the_qr_code_fills_and_checks_the_card_fields():
    import io

    import cv2
    import numpy as np
    import segno

    from ocr_service.forms.mrz import compose_td1

    payload = ("001090123456|123456789|Trần Văn Bình|15031990|Nam|"
               "Thôn 3, Xã Thượng Lâm, Tỉnh Tuyên Quang|20052021")
    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="png", scale=6, border=4)
    image = cv2.imdecode(np.frombuffer(buffer.getvalue(), np.uint8), cv2.IMREAD_COLOR)
    pages = card_pages(compose_td1(**CARD))
    misread = PageText(1, pages[0].width, pages[0].height, tuple(
        OcrLine(line.text.replace("TRẦN VĂN BÌNH", "TRẦN VĂN BÌNG"), line.confidence, line.box)
        for line in pages[0].lines))
    result = extract([misread, pages[1]], [image])
    name = result.fields["full_name"]
    assert name.value == "TRẦN VĂN BÌNH"  # the QR's Vietnamese name, in the form's capitals
    assert "qr.mismatch" in [r.code for r in name.reasons]
    assert not result.fields["date_of_issue"].review
