"""Pages (for OCR figures) and filled forms with expected fields (for field figures).

Form pages follow the layouts of official templates as printed by offices: a two-column heading
(issuing body | national motto) or the motto alone, a title, numbered "label: value" rows, often
two or three blanks on one row, footnote calls like "(1)" right before a blank, a ruled table, a
commitment paragraph and a signature block on the right. Prose pages are reports and decisions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np

from bench.heldout import content as c
from bench.heldout.cards import card_sides
from bench.heldout.degrade import Level, spoil
from bench.heldout.sheet import Sheet, new_sheet

MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")


@dataclass(frozen=True)
class Page:
    """One page as the readers get it, and what is written on it."""

    image: np.ndarray
    dpi: int
    text: str
    kind: str
    """"form" or "prose"."""
    level: Level
    font: str
    seed: int


@dataclass
class Filled:
    """A form being filled: the sheet, and the fields a reader should get from it."""

    sheet: Sheet
    expected: dict[str, object] = field(default_factory=dict)


def _rng(*parts: object) -> random.Random:
    return random.Random("heldout2:" + ":".join(map(str, parts)))


def heading(sheet: Sheet, rng: random.Random, body: tuple[str, str] | None) -> None:
    if body:
        sheet.columns(body[0], MOTTO[0], pt=sheet.pt - 1)
        sheet.advance(1.3)
        sheet.columns(body[1], MOTTO[1], style=("B", "B"), pt=sheet.pt - 1)
    else:
        sheet.centred(MOTTO[0], "B", sheet.pt - 0.5)
        sheet.advance(1.3)
        sheet.centred(MOTTO[1], "B", sheet.pt)
    sheet.advance(2.2)


def title(sheet: Sheet, text: str, subtitle: str | None = None) -> None:
    sheet.centred(text, "B", sheet.pt + 1.5)
    sheet.advance(1.4)
    if subtitle:
        sheet.centred(subtitle, "I")
        sheet.advance(1.4)
    sheet.advance(0.6)


def signature(sheet: Sheet, rng: random.Random, place: str, role: str, name: str) -> None:
    if not sheet.room(4):
        return
    sheet.advance(0.6)
    span = ((sheet.left + sheet.right) / 2 - 5, sheet.right)
    d, m = rng.randint(1, 28), rng.randint(1, 12)
    sheet.centred(f"{place}, ngày {d:02d} tháng {m:02d} năm 2026", "I", span=span)
    sheet.advance(1.4)
    sheet.centred(role, "B", span=span)
    sheet.advance(1.3)
    sheet.centred("(Ký, ghi rõ họ tên)", "I", span=span)
    sheet.advance(3.5)
    if sheet.room():
        sheet.centred(name.title(), "", span=span)


def short_place(commune: str) -> str:
    return commune.split(" ", 1)[1] if " " in commune else commune


# --- the two forms with expected fields ----------------------------------------------------------


def residence_change(rng: random.Random) -> Filled:
    """Tờ khai thay đổi thông tin cư trú (CT01, Thông tư 66/2023/TT-BCA), as offices print it:
    items 2-3 and 5-6 share a row; the ID number sometimes in twelve boxes."""
    sheet = new_sheet(rng, (10.0, 13.0))
    form = Filled(sheet)
    me = c.person(rng)
    head = c.person(rng, surname=me.name.split()[0].title())
    commune, province = c.place(rng)
    phone, email_on = c.phone(rng), rng.random() < 0.5
    email = f"{c.strip(me.name).replace(' ', '.').lower()}{me.born[2] % 100}@gmail.com"
    relation = rng.choice(("Con", "Vợ", "Chồng", "Cháu", "Em", "Mẹ"))
    content = rng.choice(("Đăng ký thường trú vào hộ gia đình", "Đăng ký tạm trú",
                          "Điều chỉnh thông tin về cư trú"))
    recipient = f"Công an {commune[0].lower()}{commune[1:]}, {province}"
    sheet.put(sheet.right - sheet.width("Mẫu CT01 ") - 5, "Mẫu CT01", "B", sheet.pt - 1)
    sheet.truth.append("Mẫu CT01")
    sheet.advance(1.4)
    heading(sheet, rng, None)
    title(sheet, "TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ")
    sheet.rows(
        [("Kính gửi(1):", recipient)],
        [("1. Họ, chữ đệm và tên:", me.name)],
        [("2. Ngày, tháng, năm sinh:", me.date), ("3. Giới tính:", me.sex)],
        [("4. Số định danh cá nhân:", me.id_number)],
        [("5. Số điện thoại liên hệ:", phone), ("6. Email:", email if email_on else "")],
        [("7. Họ, chữ đệm và tên chủ hộ:", head.name), ("8. Mối quan hệ với chủ hộ:", relation)],
        [("9. Số định danh cá nhân của chủ hộ:", head.id_number)],
        [("10. Nội dung đề nghị(2):", content)])
    sheet.line("11. Những thành viên trong hộ gia đình cùng thay đổi:")
    sheet.advance(1.8)
    members = [c.person(rng, years=(1990, 2025)) for _ in range(rng.randint(0, 3))]
    rows = [[str(i + 1), m.name, m.date, m.sex, m.id_number, rng.choice(("Con", "Cháu", "Em"))]
            for i, m in enumerate(members)] or [["", "", "", "", "", ""]]
    sheet.table(["TT", "Họ, chữ đệm và tên", "Ngày sinh", "Giới tính", "Số định danh cá nhân",
                 "Quan hệ với chủ hộ"], rows, [6, 30, 16, 11, 26, 20])
    signature(sheet, rng, short_place(commune), "NGƯỜI KÊ KHAI", me.name)
    form.expected = {
        "recipient": recipient, "full_name": me.name, "date_of_birth": me.date, "sex": me.sex,
        "id_number": me.id_number, "phone": phone, "email": email if email_on else None,
        "household_head_name": head.name, "relationship_to_head": relation,
        "household_head_id_number": head.id_number, "request_content": content,
        "members": [{"full_name": m.name, "date_of_birth": m.date, "sex": m.sex,
                     "id_number": m.id_number} for m in members],
    }
    return form


def birth_registration(rng: random.Random) -> Filled:
    """Tờ khai đăng ký khai sinh (Thông tư 04/2020/TT-BTP, amended 2024): sex, ethnicity and
    nationality share a row, as do a parent's birth year, ethnicity and nationality."""
    sheet = new_sheet(rng, (10.0, 13.0))
    form = Filled(sheet)
    mother = c.person(rng, "Nữ", (1975, 2004))
    father = c.person(rng, "Nam", (1970, 2002)) if rng.random() < 0.75 else None
    surname = (father or mother).name.split()[0].title()
    child = c.person(rng, years=(2025, 2026), surname=surname)
    child = c.Person(child.name, child.sex, (child.born[0], rng.randint(1, 5), 2026),
                     mother.ethnicity, "")
    commune, province = c.place(rng)
    where = f"{commune[0].lower()}{commune[1:]}, {province}"
    recipient = f"Ủy ban nhân dân {where}"
    residence = c.address(rng)
    requester, relation = (mother, "Mẹ") if father is None or rng.random() < 0.5 else (father,
                                                                                      "Cha")
    birthplace = (f"Trạm Y tế {where}" if rng.random() < 0.5
                  else f"Bệnh viện đa khoa {province}")
    home_commune, home_province = c.place(rng)
    hometown = f"{home_commune}, {home_province}"
    heading(sheet, rng, None)
    title(sheet, "TỜ KHAI ĐĂNG KÝ KHAI SINH")
    sheet.rows([("Kính gửi:(1)", recipient)],
               [("Họ, chữ đệm, tên người yêu cầu:", requester.name)],
               [("Nơi cư trú:(2)", residence)],
               [("Giấy tờ tùy thân:(3)", f"Căn cước số {requester.id_number}")],
               [("Quan hệ với người được đăng ký khai sinh:", relation)])
    sheet.line("Đề nghị cơ quan đăng ký khai sinh cho người dưới đây:", "B")
    sheet.advance()
    sheet.rows(
        [("Họ, chữ đệm, tên:", child.name)],
        [("Ngày, tháng, năm sinh:", child.date)],
        [("Giới tính:", child.sex), ("Dân tộc:", child.ethnicity), ("Quốc tịch:", "Việt Nam")],
        [("Nơi sinh:(4)", birthplace)],
        [("Quê quán:", hometown)])
    for label, parent in (("mẹ", mother), ("cha", father)):
        sheet.rows([(f"Họ, chữ đệm, tên người {label}:", parent.name if parent else "")],
                   [("Năm sinh:(5)", str(parent.born[2]) if parent else ""),
                    ("Dân tộc:", parent.ethnicity if parent else ""),
                    ("Quốc tịch:", "Việt Nam" if parent else "")],
                   [("Nơi cư trú:(2)", residence if parent else "")])
    sheet.paragraph("Tôi cam đoan nội dung đề nghị đăng ký khai sinh trên đây là đúng sự thật, "
                    "được sự thỏa thuận nhất trí của các bên liên quan theo quy định pháp luật.")
    signature(sheet, rng, short_place(commune), "NGƯỜI YÊU CẦU", requester.name)
    form.expected = {
        "recipient": recipient, "requester_name": requester.name,
        "requester_residence": residence, "requester_id_number": requester.id_number,
        "relationship": relation, "child_name": child.name, "child_date_of_birth": child.date,
        "child_sex": child.sex, "child_ethnicity": child.ethnicity,
        "child_nationality": "Việt Nam", "child_place_of_birth": birthplace,
        "child_hometown": hometown, "mother_name": mother.name,
        "mother_birth_year": str(mother.born[2]), "father_name": father.name if father else None,
        "father_birth_year": str(father.born[2]) if father else None,
    }
    return form


FIELD_FORMS = {"residence_change": residence_change, "birth_registration": birth_registration}
DOCUMENT_TYPES = ("cccd", *FIELD_FORMS)
"""The form types ``make_document`` fills: ID cards and the two A4 forms."""


# --- other official forms, for OCR figures -------------------------------------------------------

TEMPLATES: tuple[tuple[str, str | None, tuple[tuple[tuple[str, str], ...], ...]], ...] = (
    ("ĐƠN ĐỀ NGHỊ CẤP BẢN SAO TRÍCH LỤC HỘ TỊCH", None, (
        (("Họ, chữ đệm, tên người yêu cầu:", "name"),), (("Nơi cư trú:", "address"),),
        (("Giấy tờ tùy thân:", "id"),), (("Đề nghị cấp bản sao trích lục(1):", "text"),),
        (("Họ, chữ đệm, tên người được cấp:", "name"),),
        (("Ngày, tháng, năm sinh:", "date"), ("Giới tính:", "sex")),
        (("Số lượng bản sao:", "count"), ("Lý do(2):", "reason")))),
    ("GIẤY ỦY QUYỀN", "(Dùng cho cá nhân)", (
        (("Họ và tên người ủy quyền:", "name"),), (("Số định danh cá nhân:", "id"),),
        (("Ngày cấp:", "date"), ("Nơi cấp:", "issuer")), (("Địa chỉ:", "address"),),
        (("Họ và tên người được ủy quyền:", "name"),), (("Số điện thoại:", "phone"),),
        (("Nội dung ủy quyền:", "text"),), (("Thời hạn ủy quyền:", "term"),))),
    ("TỜ KHAI ĐĂNG KÝ KẾT HÔN", None, (
        (("Họ, chữ đệm, tên:", "name"), ("Ngày sinh:", "date")),
        (("Dân tộc:", "ethnicity"), ("Quốc tịch:", "nation")), (("Nơi cư trú(1):", "address"),),
        (("Giấy tờ tùy thân(2):", "id"),), (("Kết hôn lần thứ mấy:", "count"),),
        (("Họ, chữ đệm, tên:", "name"), ("Ngày sinh:", "date")),
        (("Dân tộc:", "ethnicity"), ("Quốc tịch:", "nation")), (("Nơi cư trú(1):", "address"),))),
    ("ĐƠN ĐỀ NGHỊ XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ", None, (
        (("1. Họ, chữ đệm và tên:", "name"),),
        (("2. Ngày, tháng, năm sinh:", "date"), ("3. Giới tính:", "sex")),
        (("4. Số định danh cá nhân:", "id"),), (("5. Nơi thường trú:", "address"),),
        (("6. Nơi tạm trú:", "address"),), (("7. Nơi ở hiện tại:", "address"),),
        (("8. Số điện thoại:", "phone"), ("9. Email:", "blank")),
        (("10. Nội dung đề nghị xác nhận(1):", "text"),))),
    ("TỜ KHAI ĐĂNG KÝ KHAI TỬ", None, (
        (("Họ, chữ đệm, tên người yêu cầu:", "name"),), (("Nơi cư trú:", "address"),),
        (("Quan hệ với người đã chết:", "relation"),),
        (("Họ, chữ đệm, tên người đã chết:", "name"),),
        (("Ngày, tháng, năm sinh:", "date"), ("Giới tính:", "sex")),
        (("Dân tộc:", "ethnicity"), ("Quốc tịch:", "nation")),
        (("Nơi chết:", "address"),), (("Nguyên nhân chết:", "reason"),))),
    ("PHIẾU YÊU CẦU CUNG CẤP THÔNG TIN", "(Kèm theo Nghị định số 13/2018/NĐ-CP)", (
        (("Tên người yêu cầu:", "name"),), (("Số CCCD/Hộ chiếu:", "id"),),
        (("Nơi cư trú:", "address"),), (("Số điện thoại:", "phone"), ("Fax:", "blank")),
        (("Thông tin được yêu cầu cung cấp:", "text"),), (("Mục đích:", "reason"),),
        (("Hình thức nhận:", "term"),))),
)
BODIES = (("ỦY BAN NHÂN DÂN", "XÃ {}"), ("CÔNG AN {}", "CÔNG AN XÃ {}"),
          ("BỘ PHẬN MỘT CỬA", "PHƯỜNG {}"))


def _value(kind: str, rng: random.Random) -> str:
    if rng.random() < 0.15 or kind == "blank":
        return ""
    someone = c.person(rng)
    return {
        "name": someone.name, "date": someone.date, "sex": someone.sex, "id": someone.id_number,
        "address": c.address(rng), "phone": c.phone(rng), "ethnicity": someone.ethnicity,
        "nation": "Việt Nam", "count": str(rng.randint(1, 3)),
        "relation": rng.choice(("Con", "Vợ", "Chồng", "Cháu")),
        "issuer": "Bộ Công an", "term": rng.choice(("06 tháng", "Đến khi hoàn thành công việc",
                                                    "Nhận trực tiếp")),
        "reason": rng.choice(("Bổ sung hồ sơ", "Bệnh", "Làm thủ tục đất đai", "Tuổi già")),
        "text": rng.choice(("Trích lục khai sinh", "Xác nhận nơi thường trú",
                            "Nộp hồ sơ và nhận kết quả thay tôi")),
    }[kind]


def template_form(rng: random.Random) -> Sheet:
    sheet = new_sheet(rng)
    name, subtitle, rows = rng.choice(TEMPLATES)
    commune, province = c.place(rng)
    body = None
    if rng.random() < 0.6:
        top, bottom = rng.choice(BODIES)
        body = (top.format(province.upper()), bottom.format(short_place(commune).upper()))
    heading(sheet, rng, body)
    title(sheet, name, subtitle)
    sheet.rows([("Kính gửi:", rng.choice(("", f"Ủy ban nhân dân {commune.lower()}")))])
    for row in rows:
        if not sheet.room(2):
            break
        sheet.fields([(label, _value(kind, rng)) for label, kind in row])
        sheet.advance()
    if sheet.room(4):
        sheet.paragraph("Tôi xin cam đoan những thông tin kê khai trên là đúng sự thật và chịu "
                        "trách nhiệm trước pháp luật về lời khai của mình.")
    signature(sheet, rng, short_place(commune), rng.choice(("NGƯỜI YÊU CẦU", "NGƯỜI KHAI ĐƠN",
                                                            "NGƯỜI ỦY QUYỀN")),
              c.person(rng).name)
    return sheet


def prose(rng: random.Random) -> Sheet:
    sheet = new_sheet(rng, (11.0, 14.0))
    commune, province = c.place(rng)
    heading(sheet, rng, (f"UBND {province.upper()}", "SỞ NỘI VỤ"))
    sheet.centred(f"Số: {rng.randint(10, 999)}/BC-SNV", "", sheet.pt - 1)
    sheet.advance(2.0)
    title(sheet, rng.choice(c.PROSE_TITLES), rng.choice(c.PROSE_SUBJECTS))
    for text in c.paragraphs(rng, 6):
        if not sheet.room(5):
            break
        sheet.paragraph(text)
        sheet.advance(0.5)
    return sheet


KINDS = ("form", "prose")


def make_page(seed: int, kind: str, dpi: int, level: Level) -> Page:
    """One held-out page; the same arguments always give the same pixels and text."""
    rng = _rng("page", kind, seed)
    if kind == "form":
        makers = (template_form, lambda r: residence_change(r).sheet,
                  lambda r: birth_registration(r).sheet)
        sheet = rng.choices(makers, weights=(4, 1, 1))[0](rng)
    else:
        sheet = prose(rng)
    image = spoil(sheet.raster(dpi), level, seed, dpi)
    return Page(image, dpi, sheet.text, kind, level, f"{sheet.family} {sheet.pt}pt", seed)


def make_pages(count: int, seed_base: int = 900_000, dpis: tuple[int, ...] = (150, 200, 300),
               levels: tuple[Level, ...] = ("clean", "scan", "photocopy")) -> list[Page]:
    """Forms and prose alternating; resolutions and levels cycled so every mix appears."""
    return [make_page(seed_base + i, KINDS[i % 2], dpis[(i // 2) % len(dpis)],
                      levels[i % len(levels)]) for i in range(count)]


@dataclass(frozen=True)
class Document:
    """A filled form as a caller uploads it, with the fields expected from it (the interface
    ``bench/fields.py`` scores: ``form_type``, ``seed``, ``pages``, ``expected``, ``to_file``)."""

    form_type: str
    seed: int
    pages: tuple[np.ndarray, ...]
    dpi: int
    expected: dict

    def to_file(self) -> tuple[bytes, str]:
        """One page: JPEG (its quality loss already applied) or PNG, drawn by seed; several
        pages (a card's two sides): a TIFF that states its resolution."""
        import cv2

        if len(self.pages) > 1:
            return _tiff(self.pages, self.dpi), ".tiff"
        suffix = ".png" if self.seed % 4 == 3 else ".jpg"
        ok, data = cv2.imencode(suffix, self.pages[0])
        assert ok
        return data.tobytes(), suffix


def _tiff(pages: tuple[np.ndarray, ...], dpi: int) -> bytes:
    import io

    from PIL import Image

    images = [Image.fromarray(np.ascontiguousarray(page[:, :, ::-1])) for page in pages]
    out = io.BytesIO()
    images[0].save(out, format="TIFF", save_all=True, append_images=images[1:], dpi=(dpi, dpi),
                   compression="tiff_lzw")
    return out.getvalue()


def _card_document(seed: int) -> Document:
    """Both sides of an ID card, scanned at 300-600 dpi, sometimes back first."""
    rng = _rng("doc", "cccd", seed)
    front, back, expected = card_sides(rng)
    dpi = rng.choice((300, 400, 600))
    level = rng.choice(("clean", "scan", "scan", "photocopy"))
    sides = [spoil(side.raster(dpi), level, seed * 2 + n, dpi)  # type: ignore[arg-type]
             for n, side in enumerate((front, back))]
    if rng.random() < 0.3:
        sides.reverse()
    return Document("cccd", seed, tuple(sides), dpi, {"form_type": "cccd", "fields": expected})


def make_document(form_type: str, seed: int) -> Document:
    """A filled form of ``DOCUMENT_TYPES``, spoiled at a level, dpi and quality drawn by seed."""
    if form_type == "cccd":
        return _card_document(seed)
    rng = _rng("doc", form_type, seed)
    form = FIELD_FORMS[form_type](rng)
    dpi = rng.choice((150, 200, 200, 300))
    level = rng.choice(("clean", "scan", "scan", "photocopy"))
    image = spoil(form.sheet.raster(dpi), level, seed, dpi)  # type: ignore[arg-type]
    return Document(form_type, seed, (image,), dpi,
                    {"form_type": form_type, "fields": form.expected})
