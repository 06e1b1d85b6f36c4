"""Fields of a dossier document: classify it, then read each field its spec describes.

Pure stage: recognised pages (and, for ID cards, their images for the QR code) in, an
``Extraction`` out. The reading rules, in the order a clerk would apply them:

1. The value is what is printed after the field's label on the same row, up to the next label.
2. Nothing there (the label ends the row, as on ID cards): the value is the next row, if that row
   does not start with a label.
3. Long values wrap: the following rows continue the value while the value reaches the right
   edge of the text (or the rows start at the text's left margin, as a line broken early
   does, or the next row completes the province the value was cut in) and the next row
   holds no label, stop or section.
4. Tables: the header row's labels give the columns; each row below is cut at column boundaries.
   A header that names fewer columns than the spec reads flags every cell; a table the form
   always prints that is not found at all flags the table.
5. On a form that prints every label (``labels_printed``), an empty field whose label was not
   read is flagged: the value may be on the paper, in a row the reading lost.
6. Checks run on the normalised values (dates, ID numbers, units), then across fields (an ID
   number against the date of birth and sex) and, on ID cards, against the MRZ and the QR code,
   whose machine-printed values win over the OCR of small print when the two disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..config import Settings, get_settings
from ..domain import Extraction, FieldValue, PageText, ReviewReason, to_quad
from ..forms.ids import id_number_problems
from ..forms.rows import (
    SEPARATOR, Match, Piece, Row, Span, document_rows, find_label, find_labels)
from ..forms.spec import FieldSpec, FormSpec, TableSpec
from ..forms.text import fold, reason
from ..forms.values import UNIT_ENDED, clean_value, completes_units, normalize
from .classify import classify

WRAP_EDGE = 0.12
"""A value wraps when it ends within this share of the page's text width from the right edge."""
WRAP_GAP = 1.3
"""Most vertical gap, in row heights, between a row and its continuation."""
MARGIN_ROWS = 2.0
"""How far, in row heights, a row may start right of the page's text edge and still be at the
margin: a value whose row and next row both start there continues on the next row even short
of the right edge (whoever typed it broke the line early), unless that row holds a label, a
stop or a new section."""
Column = tuple[str, float, float, float, float]
"""A table column: name, left and right bounds, and the extent of its header text."""

LABEL_NOT_FOUND = reason(
    "field.label_not_found",
    "The field's label was not read on the page, so its value may be there unread; check the "
    "page.",
    "Không đọc được nhãn của trường trên trang nên giá trị có thể chưa được đọc; cần đối chiếu "
    "với bản gốc.")
TABLE_NOT_FOUND = reason(
    "table.not_found",
    "The table printed on this form was not read, so rows filled in on the page may be "
    "missing; check the page.",
    "Không đọc được bảng in trên mẫu này nên có thể thiếu các dòng đã điền trên trang; cần đối "
    "chiếu với bản gốc.")
TABLE_HEADER_INCOMPLETE = reason(
    "table.header_incomplete",
    "The table's header was not read whole, so its cells may be cut at the wrong columns; check "
    "the row against the page.",
    "Không đọc được đầy đủ tiêu đề của bảng nên các ô có thể bị cắt sai cột; cần đối chiếu "
    "dòng này với bản gốc.")


@dataclass(frozen=True)
class _Doc:
    """A document's rows with their labels, as the field readers see it."""

    rows: list[Row]
    matches: list[list[Match]]
    sections: dict[str, tuple[int, int]]
    text_right: dict[int, float]
    text_left: dict[int, float]


def _section_ranges(spec: FormSpec, rows: list[Row]) -> dict[str, tuple[int, int]]:
    """Row ranges of the spec's sections; a section whose anchor is not found is empty, and its
    predecessor runs on to the next section found."""
    starts: dict[str, int] = {}
    cursor = 0
    for name, anchors in spec.sections.items():
        if not anchors:
            starts[name] = cursor
            continue
        folded = [fold(a) for a in anchors]
        for index in range(cursor, len(rows)):
            if any(_anchor_in(rows[index], a) for a in folded):
                starts[name], cursor = index, index + 1
                break
    ordered = sorted(starts.items(), key=lambda item: item[1])
    ranges = {}
    for position, (name, start) in enumerate(ordered):
        end = ordered[position + 1][1] if position + 1 < len(ordered) else len(rows)
        ranges[name] = (start, end)
    for name in spec.sections:
        ranges.setdefault(name, (0, 0))
    return ranges


def _anchor_in(row: Row, folded_anchor: str) -> bool:
    return find_label(row.folded, folded_anchor) is not None


def _content(span: Span) -> Span | None:
    """The span without the punctuation and blanks around the value."""
    text = span.text
    start, end = 0, len(text)
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not (text[end - 1].isalnum() or text[end - 1] in ")"):
        end -= 1
    return span.row.span(span.start + start, span.start + end) if start < end else None


def _after(doc: _Doc, index: int, match_index: int) -> Span:
    row, matches = doc.rows[index], doc.matches[index]
    end = matches[match_index + 1].start if match_index + 1 < len(matches) else len(row.text)
    return row.span(matches[match_index].end, end)


def _row_start_free(doc: _Doc, index: int) -> Span | None:
    """The text of a row before its first label, if the row does not start with one."""
    row, matches = doc.rows[index], doc.matches[index]
    end = matches[0].start if matches else len(row.text)
    before = row.text[:end]
    if not before.strip(" .:()"):
        return None  # nothing
    if matches and not before.strip(" .:()0123456789"):
        return None  # only the number of the label that follows ("7. Họ, ...")
    return row.span(0, end)  # digits alone are a value: an ID number below its label


def _reaches_edge(doc: _Doc, span: Span) -> bool:
    content = _content(span)
    box = content.box if content is not None else None
    if box is None:
        return False
    page = span.row.page
    width = doc.text_right[page] - doc.text_left[page]
    return box[2] >= doc.text_right[page] - WRAP_EDGE * width


def _next_free(doc: _Doc, nxt: int) -> Span | None:
    """Row ``nxt``'s text before any label, when it may continue the row above: same page,
    close below it, not starting with a label."""
    row, previous = doc.rows[nxt], doc.rows[nxt - 1]
    if row.page != previous.page:
        return None
    if row.top - previous.bottom > WRAP_GAP * max(row.height, previous.height):
        return None
    if doc.matches[nxt] and doc.matches[nxt][0].start == 0:
        return None
    span = _row_start_free(doc, nxt)
    if span is None or sum(char.isalnum() for char in span.text) < 2:
        return None  # a stray mark under the row (a bracket or a rule read as "I") is no text
    return span


def _at_margin(doc: _Doc, row: Row) -> bool:
    """Whether a row starts at the left edge of the page's text, as a wrapped line of a
    full-width form row does (not in a column, not indented under a label)."""
    return row.left <= doc.text_left[row.page] + MARGIN_ROWS * row.height


def _continuations(doc: _Doc, index: int, first: Span, limit: int) -> list[Span]:
    spans, last = [], first
    starts_at_margin = _at_margin(doc, doc.rows[index])
    for nxt in range(index + 1, limit):
        wraps = _reaches_edge(doc, last) or (starts_at_margin and _at_margin(doc, doc.rows[nxt]))
        span = _next_free(doc, nxt) if wraps else None
        if span is None:
            break
        spans.append(span)
        last = span
        if doc.matches[nxt]:
            break
    return spans


def _unit_completion(doc: _Doc, index: int, spans: list[Span], limit: int) -> list[Span]:
    """The next row, when it completes the province a value of units was cut in or before
    ("…, thành phố Hải" / "Phòng", "…, Phường Ba Đình," / "Thành phố Hà Nội"): a value wrapped
    short of the right edge (a narrower column, a wider margin) is still one value when its
    words say so."""
    if index + 1 >= limit or (span := _next_free(doc, index + 1)) is None:
        return []
    raw = " ".join(part.text for part in spans)
    return [span] if completes_units(clean_value(raw), clean_value(f"{raw} {span.text}")) else []


def _section(doc: _Doc, spec: FieldSpec) -> tuple[int, int]:
    """The rows a field is looked for in: its section's, or the whole document's."""
    everything = (0, len(doc.rows))
    return doc.sections.get(spec.section, everything) if spec.section else everything


def _label_at(doc: _Doc, name: str, spec: FieldSpec) -> tuple[int, int] | None:
    """The first row with the field's label, and the last such label on it: a bilingual label
    whose halves did not merge ("Quốc tịch To. Nationality: Việt Nam", a slash read as "To.")
    has the value after its second half. None when the label is not found."""
    lo, hi = _section(doc, spec)
    return next(((i, found[-1]) for i in range(lo, hi) if (found := [
        p for p, match in enumerate(doc.matches[i]) if name in match.keys])), None)


def _field_spans(doc: _Doc, name: str, spec: FieldSpec) -> list[Span]:
    """The spans holding a field's value: after its label, else on the next row, plus the rows
    a wrapped value continues on; empty when the label is not found or has no value."""
    _, hi = _section(doc, spec)
    found = _label_at(doc, name, spec)
    if found is None:
        return []
    index, position = found
    right = _after(doc, index, position) if spec.value != "below" else None
    if right is not None and clean_value(right.text):
        spans, where = [right], index
    elif spec.value != "right" and index + 1 < hi:
        below = _row_start_free(doc, index + 1)
        if below is None:
            return []
        spans, where = [below], index + 1
    else:
        return []
    if spec.wrap:
        spans += _continuations(doc, where, spans[0], hi)
        if len(spans) == 1 and spec.type in UNIT_ENDED:
            spans += _unit_completion(doc, where, spans, hi)
    return spans


def _value(spans: list[Span], field_type, review_below: float) -> FieldValue:
    if not spans:
        return FieldValue(None)
    raw = " ".join(span.text for span in spans)
    value, reasons = normalize(field_type, clean_value(raw))
    contents = [c for c in map(_content, spans) if c is not None]
    confidence = min((c.confidence for c in contents), default=0.0)
    if value is not None and confidence < review_below:
        reasons = [*reasons, reason("ocr.low_confidence", "The reading is uncertain.",
                                    "Kết quả nhận dạng chưa chắc chắn.")]
    boxes = [c.box for c in contents if c.box is not None]
    box = None
    if boxes:
        box = to_quad((min(b[0] for b in boxes), min(b[1] for b in boxes),
                       max(b[2] for b in boxes), max(b[3] for b in boxes)))
    return FieldValue(value, raw.strip(), confidence, spans[0].row.page, box, tuple(reasons))


# --- tables --------------------------------------------------------------------------------------


def _cut_at_label(piece: Piece, labels: Sequence[str], headers: Sequence[str],
                  others: Sequence[Piece]) -> list[Piece]:
    """``piece`` cut where the longest column label in it meets another column's header text.

    Without its rules (a photocopy loses thin ones) a table's header cells sit close enough for
    the detector to join them into one box: "TTHỌ, chữ đệm và tên tháng, năm", the number
    column's header, the name's, and the middle line of "Ngày, / tháng, năm / sinh". Text beside
    the label (``labels``: folded column labels) is cut off where it is a header of its own
    (``headers``: "tt", "stt") or lies over or under another header piece that the label does
    not. Text over or under nothing, or a label's own wrapped end ("Số định danh cá" over
    "nhân"), stays. What is cut off is looked at again for a label of its own. Characters are
    placed evenly over the piece, as ``Row.char_x`` places them.
    """
    folded = fold(piece.text)
    hits = [(hit, label) for label in labels if (hit := find_label(folded, label)) is not None]
    if not hits:
        return [piece]
    (start, end, _), label = max(hits, key=lambda found: found[0][1] - found[0][0])
    glued = next((h for h in headers if folded.startswith(h, start)
                  and find_label(folded[start + len(h):end], label) is not None), None)
    if glued:  # the label's word began with a header's ("tthọ")
        start += len(glued)
    width = (piece.box[2] - piece.box[0]) / max(1, len(piece.text))

    def over(a: int, b: int) -> list[Piece]:
        x0, x1 = piece.box[0] + width * a, piece.box[0] + width * b
        return [p for p in others if min(x1, p.box[2]) > max(x0, p.box[0])]

    def part(a: int, b: int) -> Piece:
        text = piece.text[a:b]
        a += len(text) - len(text.lstrip())
        b -= len(text) - len(text.rstrip())
        return replace(piece, text=piece.text[a:b],
                       box=(piece.box[0] + width * a, piece.box[1], piece.box[0] + width * b,
                            piece.box[3]))

    under_label = over(start, end)

    def apart(a: int, b: int) -> bool:
        text = fold(piece.text[a:b]).strip()
        return bool(text) and (text in headers
                               or any(p not in under_label for p in over(a, b)))

    left, right = apart(0, start), apart(end, len(piece.text))
    if not left and not right:
        return [piece]
    cut = [part(start if left else 0, end if right else len(piece.text))]
    if left:
        cut = _cut_at_label(part(0, start), labels, headers, others) + cut
    if right:
        cut += _cut_at_label(part(end, len(piece.text)), labels, headers, others)
    return cut


def _header_cells(doc: _Doc, index: int,
                  table: TableSpec) -> tuple[list[tuple[str, float, float]], int]:
    """The header cells of a table whose header starts at row ``index`` — (text, x0, x1) per
    cell — and the index of the row after the header.

    Header cells wrap inside their cells ("Ngày, tháng," / "năm sinh") and a row of short
    headers may sit between the lines of tall ones, so the header is every row down to the first
    one holding a digit (data), and pieces whose horizontal extents overlap are one cell, read
    top to bottom.
    """
    block, end = [], index
    while end < len(doc.rows) and end < index + 4:
        row = doc.rows[end]
        previous = doc.rows[end - 1] if block else None
        if any(ch.isdigit() for ch in row.text) or (
                previous is not None and (row.page != previous.page
                                          or row.top - previous.bottom > 0.8 * previous.height)):
            break
        block += row.pieces
        end += 1
    labels = [fold(label) for column in table.columns.values() for label in column.labels]
    headers = [fold(label) for label in table.other_columns]
    block = [cut for piece in block for cut in
             _cut_at_label(piece, labels, headers, [p for p in block if p is not piece])]
    cells: list[list] = []
    for piece in sorted(block, key=lambda p: p.box[2] - p.box[0], reverse=True):
        stacked = [c for c in cells if min(c[2], piece.box[2]) > max(c[1], piece.box[0])]
        if stacked:
            cell = stacked[0]
            cell[0].append(piece)
            cell[1], cell[2] = min(cell[1], piece.box[0]), max(cell[2], piece.box[2])
        else:
            cells.append([[piece], piece.box[0], piece.box[2]])
    texts = [(" ".join(p.text for p in sorted(c[0], key=lambda p: (p.box[1], p.box[0]))),
              c[1], c[2]) for c in cells]
    return sorted(texts, key=lambda cell: cell[1]), end


def _column_of(text: str, table: TableSpec) -> str | None:
    """Which column a header cell names (``other`` for columns we do not read), by the best
    whole-cell fuzzy match of its folded text against the column labels."""
    from rapidfuzz import fuzz

    folded = fold(text)
    scored = [(fuzz.ratio(fold(label), folded), key)
              for key, column in (*table.columns.items(), ("other", None))
              for label in (column.labels if column else table.other_columns)]
    score, key = max(scored, default=(0.0, None))
    return key if score >= 80 else None


def _table_rows(doc: _Doc, table: TableSpec) -> tuple[list[Column], int] | None:
    """The columns, from the header, and the index of the first data row. The header may name
    fewer columns than the spec reads (cells the detector joined); ``_read_table`` flags that."""
    anchors = [fold(a) for a in table.after]
    start = next((i for i, row in enumerate(doc.rows) if any(_anchor_in(row, a) for a in anchors)),
                 None)
    if start is None:
        return None
    cells, first = _header_cells(doc, start + 1, table)
    named = [(_column_of(text, table) or "other", x0, x1) for text, x0, x1 in cells]
    if sum(key in table.columns for key, _, _ in named) < 2:
        return None
    # Headers are centred in their cells and data is not: cut halfway between header texts.
    bounds = []
    for position, (key, _, _) in enumerate(named):
        left = (named[position - 1][2] + named[position][1]) / 2 if position else -np.inf
        right = ((named[position][2] + named[position + 1][1]) / 2
                 if position + 1 < len(named) else np.inf)
        bounds.append((key, left, right, named[position][1], named[position][2]))
    return bounds, first


def _cells(row: Row, columns: list[Column]) -> dict[str, list[Span]]:
    """Cut a table row into cells: a piece goes whole to the column holding its centre unless it
    runs into the header text of another column (the detector joined two cells); such a piece is
    cut character by character at the column bounds."""
    cells: dict[str, list[int]] = {}
    start = 0
    for piece in row.pieces:
        indexes = range(start, start + len(piece.text))
        start += len(piece.text) + len(SEPARATOR)
        centre = (piece.box[0] + piece.box[2]) / 2
        home = next((c for c in columns if c[1] <= centre < c[2]), None)
        crosses = [c for c in columns if c is not home
                   and min(piece.box[2], c[4]) - max(piece.box[0], c[3]) > 0]
        for index in indexes:
            column = home
            if crosses or home is None:
                x0, x1 = row.char_x(index)
                column = next((c for c in columns if c[1] <= (x0 + x1) / 2 < c[2]), None)
            if column is not None:
                cells.setdefault(column[0], []).append(index)
    return {key: [row.span(ix[0], ix[-1] + 1)] for key, ix in cells.items()}


def _read_table(doc: _Doc, table: TableSpec,
                review_below: float) -> tuple[dict[str, FieldValue], ...] | None:
    """The table's rows, or None when its caption or header was not found."""
    found = _table_rows(doc, table)
    if found is None:
        return None
    bounds, first = found
    # A column the header does not name has no cell, and its text went into a neighbour's:
    # every cell of such a table is doubtful, and an empty one is no blank left blank.
    incomplete = [TABLE_HEADER_INCOMPLETE] if set(table.columns) - {c[0] for c in bounds} else []
    stops = [fold(s) for s in ("ngày", "tháng", "năm")]
    result = []
    for index in range(first, len(doc.rows)):
        row = doc.rows[index]
        above = doc.rows[index - 1]
        if row.page == above.page and row.top - above.bottom > 3 * row.height:
            break
        if all(s in row.folded for s in stops) or doc.matches[index]:
            break
        cells = _cells(row, bounds)
        values = {key: _value(cells.get(key, []), column.type, review_below)
                  for key, column in table.columns.items()}
        if not any(v.value for v in values.values()):
            continue
        if values.get("full_name", FieldValue(None)).value is None and values.get(
                "id_number", FieldValue(None)).value is None:
            break
        result.append({key: _with_reasons(value, incomplete) for key, value in values.items()})
    return tuple(result)


# --- cross checks --------------------------------------------------------------------------------


def _with_reasons(value: FieldValue, reasons: Sequence[ReviewReason]) -> FieldValue:
    return replace(value, reasons=(*value.reasons, *reasons)) if reasons else value


def _id_checks(spec: FormSpec, fields: dict[str, FieldValue]) -> None:
    for check in spec.id_checks:
        target = fields.get(check.field)
        if target is None or target.value is None:
            continue
        dob = fields[check.date_of_birth].value if check.date_of_birth else None
        sex = fields[check.sex].value if check.sex else None
        fields[check.field] = _with_reasons(target, id_number_problems(target.value, dob, sex))


def _machine_source(spec: FormSpec, fields: dict[str, FieldValue],
                    source: dict[str, str | None], compare, page: int | None) -> None:
    """Check each field against a machine-printed source (MRZ, QR); take the source's value where
    the OCR of the printed text found nothing or disagrees, and keep the disagreement flagged."""
    for name, value in list(fields.items()):
        wanted = source.get(name)
        if wanted is None:
            continue
        wanted = normalize(spec.fields[name].type, wanted,  # QR names: "Trần Văn An"
                           machine_read=True)[0] or wanted
        if value.value is None:
            fields[name] = FieldValue(wanted, "", 1.0, page, None, ())
            continue
        problems = compare({name: value.value})
        if problems:
            fields[name] = replace(value, value=wanted, reasons=(*value.reasons, *problems))


def _card_checks(spec: FormSpec, doc: _Doc, fields: dict[str, FieldValue],
                 images: Sequence[np.ndarray] | None) -> list[ReviewReason]:
    from ..forms import mrz, qr  # ID cards only: zxing-cpp loads when a card is read

    reasons: list[ReviewReason] = []
    if "qr" in spec.card and images:
        parsed_pages = ((number, qr.parse_cccd_qr(payload))
                        for number, image in enumerate(images, start=1)
                        for payload in qr.decode_qr([image]))
        number, parsed = next(((n, p) for n, p in parsed_pages if p is not None), (None, None))
        if parsed is not None:
            _machine_source(spec, fields, {k: parsed.get(k) for k in fields},
                            lambda f: qr.cross_check_qr(parsed, f), number)
    if "mrz" in spec.card:
        td1 = mrz.find_td1([row.text for row in doc.rows])
        if td1 is not None:
            problems = td1.problems()
            reasons += problems
            if not problems:
                trusted = {"id_number": td1.id_number, "date_of_birth": td1.date_of_birth,
                           "sex": td1.sex, "date_of_expiry": td1.date_of_expiry}
                page = next((row.page for row in reversed(doc.rows)
                             if "<<" in row.text), None)  # the MRZ rows end the back side
                _machine_source(spec, fields, trusted, lambda f: mrz.cross_check(td1, f), page)
            name = fields.get("full_name")
            if name is not None and name.value is not None:
                fields["full_name"] = _with_reasons(
                    name, mrz.cross_check(td1, {"full_name": name.value}))
    return reasons


def _unlabelled(spec: FormSpec, doc: _Doc, fields: dict[str, FieldValue]) -> None:
    """On a form that prints every label, flag an optional field left empty because its label
    was not read (a faint or garbled row): the field may well be filled in on the paper.
    Required fields get ``field.missing`` instead."""
    if not spec.labels_printed:
        return
    for name, field_spec in spec.fields.items():
        if (not field_spec.required and fields[name].value is None
                and _label_at(doc, name, field_spec) is None):
            fields[name] = _with_reasons(fields[name], [LABEL_NOT_FOUND])


def _missing(spec: FormSpec, fields: dict[str, FieldValue]) -> None:
    for name, field_spec in spec.fields.items():
        if field_spec.required and fields[name].value is None:
            fields[name] = _with_reasons(fields[name], [reason(
                "field.missing", "A required field was not found.",
                "Không tìm thấy trường bắt buộc.")])


def extract(texts: Sequence[PageText], images: Sequence[np.ndarray] | None = None,
            settings: Settings | None = None) -> Extraction:
    """Classify a document and extract its fields (``unknown`` documents get only their text)."""
    settings = settings or get_settings()
    text = "\n\n".join(page.text for page in texts)
    rows = document_rows(texts)
    spec, strength = classify(rows)
    if spec is None:
        return Extraction("unknown", text=text)
    labels = spec.all_labels()
    doc = _Doc(
        rows=rows,
        matches=[find_labels(row, labels) for row in rows],
        sections=_section_ranges(spec, rows),
        text_right={p.page: max((r.right for r in rows if r.page == p.page), default=0.0)
                    for p in texts},
        text_left={p.page: min((r.left for r in rows if r.page == p.page), default=0.0)
                   for p in texts},
    )
    below = settings.extract_review_below
    fields = {name: _value(_field_spans(doc, name, field_spec), field_spec.type, below)
              for name, field_spec in spec.fields.items()}
    _unlabelled(spec, doc, fields)
    reasons = _card_checks(spec, doc, fields, images) if spec.card else []
    read = {name: _read_table(doc, table, below) for name, table in spec.tables.items()}
    tables = {name: rows or () for name, rows in read.items()}
    # A table the form always prints but the reading did not find may hold rows nobody read.
    table_reasons = {name: (TABLE_NOT_FOUND,) for name, rows in read.items()
                     if rows is None and spec.labels_printed}
    check_fields(spec, fields, tables)
    return Extraction(spec.form_type, fields, tables, text, strength, tuple(reasons),
                      table_reasons)


def check_fields(spec: FormSpec, fields: dict[str, FieldValue],
                 tables: dict[str, tuple[dict[str, FieldValue], ...]]) -> None:
    """The checks across fields, in place: ID numbers against the date of birth and sex (also in
    each table row), and required fields present. Extraction runs them on what it read, and
    review (``pipeline.review``) again on what a person corrected, so both judge alike."""
    _id_checks(spec, fields)
    _missing(spec, fields)
    for rows_ in tables.values():
        for row in rows_:
            if "id_number" in row and row["id_number"].value:
                row["id_number"] = _with_reasons(row["id_number"], id_number_problems(
                    row["id_number"].value, row.get("date_of_birth", FieldValue(None)).value,
                    row.get("sex", FieldValue(None)).value))
