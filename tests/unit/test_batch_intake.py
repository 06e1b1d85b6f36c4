"""Batch intake without a server: the manifest's rows and their line numbers, and the ZIPs that
are refused whole (bombs, traversal, links, not a ZIP) before anything is stored."""

from __future__ import annotations

import io
import stat
import unicodedata
import zipfile

import pytest

from ocr_service.batch_intake import (
    BatchRefused, check_entries, open_zip, parse_manifest, planned_pages, read_entry,
    read_manifest)
from ocr_service.config import Settings
from ocr_service.errors import InputError

HEADER = "file,dossier_ref,procedure_code,applicant_id_number,component\n"
SETTINGS = Settings(max_batch_entries=5, max_batch_uncompressed_bytes=50 << 20,
                    max_batch_ratio=100, max_upload_bytes=4 << 20)


def _zip(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_STORED) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def test_rows_are_checked_each_with_its_line_and_both_languages() -> None:
    text = HEADER + (
        "a.png,HS-1,1.001193,001187012345,Giấy khai sinh\n"
        "\n"                                            # line 3: blank, no row
        "b.png,,1.001193,001187012345,\n"              # line 4: no dossier_ref
        "c.png,HS-2,1.001193,12-34,\n"                  # line 5: bad ID number
        "gone.png,HS-3,1.001193,001187012345,\n"       # line 6: not in the ZIP
        '"d.png",HS-1,1.001193,001187012345,"Tờ khai, bản chính"\n')
    rows, errors = parse_manifest(text, {"a.png", "b.png", "c.png", "d.png"})
    assert [(r.line, r.file, r.dossier_ref) for r in rows] == [(2, "a.png", "HS-1"),
                                                              (7, "d.png", "HS-1")]
    assert rows[0].component == "Giấy khai sinh" and rows[1].component == "Tờ khai, bản chính"
    assert [(e.line, e.file, e.error.code) for e in errors] == [
        (4, "b.png", "missing_value"), (5, "c.png", "bad_value"), (6, "gone.png", "missing_file")]
    for error in errors:
        assert error.error.message and error.error.message_vi
        assert unicodedata.is_normalized("NFC", error.error.message_vi)
    assert "dossier_ref" in errors[0].error.message and "thiếu" in errors[0].error.message_vi


def test_a_header_without_a_column_refuses_the_manifest() -> None:
    with pytest.raises(BatchRefused) as refused:
        parse_manifest("file,dossier_ref,procedure_code\na.png,HS-1,1.001193\n", {"a.png"})
    assert refused.value.code == "bad_manifest"
    assert "applicant_id_number" in refused.value.message
    # Columns in another order, with a byte order mark and upper case, are fine.
    archive = zipfile.ZipFile(_zip({"manifest.csv": (
        "\ufeffCOMPONENT,Applicant_ID_Number,procedure_code,dossier_ref,file\n"
        ",001187012345,1.001193,HS-1,a.png\n").encode(), "a.png": b"x"}))
    rows, errors = parse_manifest(read_manifest(archive), set(archive.namelist()))
    assert errors == [] and rows[0].file == "a.png" and rows[0].applicant_id_number == (
        "001187012345")


def test_no_manifest_or_not_a_zip_is_refused_whole() -> None:
    with open_zip(_zip({"a.png": b"x"}), SETTINGS) as archive, pytest.raises(BatchRefused) as e:
        read_manifest(archive)
    assert e.value.code == "no_manifest"
    with pytest.raises(BatchRefused) as e, open_zip(io.BytesIO(b"%PDF-1.7 not a zip"), SETTINGS):
        pass
    assert e.value.code == "bad_zip" and "ZIP" in e.value.message_vi


@pytest.mark.parametrize("name", ["../etc/passwd", "/etc/passwd", "scans/../../x.png",
                                  "C:/windows/x.png", "scans\\..\\x.png"])
def test_path_traversal_is_refused(name: str) -> None:
    with pytest.raises(BatchRefused) as refused, open_zip(_zip({name: b"x"}), SETTINGS):
        pass
    assert refused.value.code == "zip_unsafe_path"


def test_symlinks_are_refused() -> None:
    link = zipfile.ZipInfo("scan.png")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(link, "/etc/shadow")
    buffer.seek(0)
    with pytest.raises(BatchRefused) as refused, open_zip(buffer, SETTINGS):
        pass
    assert refused.value.code == "zip_symlink"


def test_zip_bombs_are_refused_by_ratio_total_and_entries() -> None:
    zeros = b"\0" * (8 << 20)  # 8 MiB that deflate to about 8 KiB: a ratio near 1000
    with pytest.raises(BatchRefused) as refused, open_zip(
            _zip({"bomb.tif": zeros}, compression=zipfile.ZIP_DEFLATED), SETTINGS):
        pass
    assert refused.value.code == "zip_bomb" and "100" in refused.value.message
    # Declared sizes are what is checked: nothing is inflated to find out.
    big = [zipfile.ZipInfo(f"{n}.png") for n in range(3)]
    for info in big:
        info.file_size, info.compress_size = 20 << 20, 20 << 20
    with pytest.raises(BatchRefused) as refused:
        check_entries(big, SETTINGS)
    assert refused.value.code == "zip_bomb" and "GiB" in refused.value.message
    many = [zipfile.ZipInfo(f"{n}.png") for n in range(6)]
    with pytest.raises(BatchRefused) as refused:
        check_entries(many, SETTINGS)
    assert refused.value.code == "zip_too_many_entries"


def test_an_entry_is_read_within_the_upload_limit() -> None:
    archive = zipfile.ZipFile(_zip({"a.png": b"\x89PNG" + b"x" * 100, "big.pdf": b"%" * 200}))
    assert read_entry(archive, "a.png", 1000).startswith(b"\x89PNG")
    with pytest.raises(InputError) as refused:
        read_entry(archive, "big.pdf", 100)
    assert refused.value.code == "file_too_large"


def test_pages_are_planned_from_headers() -> None:
    import pypdfium2 as pdfium
    from PIL import Image

    pdf = pdfium.PdfDocument.new()
    for _ in range(3):
        pdf.new_page(595, 842)
    buffer = io.BytesIO()
    pdf.save(buffer)
    assert planned_pages(buffer.getvalue(), "three.pdf") == 3
    tiff = io.BytesIO()
    pages = [Image.new("L", (20, 20), 255) for _ in range(2)]
    pages[0].save(tiff, "TIFF", save_all=True, append_images=pages[1:])
    assert planned_pages(tiff.getvalue(), "two.tif") == 2
    assert planned_pages(b"\x89PNG\r\n\x1a\n" + b"garbage", "broken.png") == 1


def test_workers_take_counter_work_before_batch_work() -> None:
    from workers.app import QUEUES, celery_app
    from workers.run import parse_queues

    # kombu's Redis transport reads a worker's queues in the order given, not in turn...
    assert celery_app.conf.broker_transport_options["queue_order_strategy"] == "priority"
    # ...and that order always puts the counter's OCR queue before the batches'.
    assert QUEUES.index("ocr") < QUEUES.index("ocr_batch")
    assert parse_queues("ocr_batch,archive,ocr") == ["ocr", "archive", "ocr_batch"]
