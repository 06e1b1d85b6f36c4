"""Tone- and vowel-mark errors counted by hand on small strings, and bench/ocr.py's "mark err"
column."""

from __future__ import annotations

import functools
import importlib.util
import json
import sys
import unicodedata
from pathlib import Path

import pytest

from sohoa_dev.evaluation import ErrorCount, mark_errors, total

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def _bench_ocr():
    """bench/ocr.py as a module (bench/ is no package)."""
    spec = importlib.util.spec_from_file_location("bench_ocr", ROOT / "bench" / "ocr.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


# --- mark_errors ---------------------------------------------------------------------------------


def test_wrong_tone_mark_is_one_error_of_one_marked_letter() -> None:
    # Nguyễn: only ễ carries a mark; read as ê (the circumflex kept, the tilde lost).
    assert mark_errors("Nguyên", "Nguyễn") == ErrorCount(1, 1)
    # The other way round: ê is the one marked letter, read as ễ.
    assert mark_errors("Nguyễn", "Nguyên") == ErrorCount(1, 1)


def test_d_for_dj_is_an_error_and_every_marked_letter_counts() -> None:
    # đường: đ (stroke), ư (horn) and ờ (horn + grave) carry marks; only đ is misread.
    assert mark_errors("dường", "đường") == ErrorCount(1, 3)
    assert mark_errors("dường", "đường").rate == pytest.approx(1 / 3)


def test_each_misread_mark_counts() -> None:
    # Reference marks: ể, ầ, ố, ạ (4). Read: ế, ã, ổ, a: four mark errors.
    assert mark_errors("kiếm tãn sổ ta", "kiểm tần số tạ") == ErrorCount(4, 4)


def test_mark_added_to_a_plain_letter_counts_but_not_in_the_length() -> None:
    # "ta" has no marked letter; ạ for a is still the letter seen with the wrong mark.
    assert mark_errors("tạ", "ta") == ErrorCount(1, 0)


def test_dropped_or_inserted_letter_is_no_mark_error() -> None:
    assert mark_errors("Nguyn", "Nguyễn") == ErrorCount(0, 1)
    assert mark_errors("Nguyễễn", "Nguyễn") == ErrorCount(0, 1)


def test_other_letter_or_case_alone_is_no_mark_error() -> None:
    assert mark_errors("Nguyõn", "Nguyễn") == ErrorCount(0, 1)  # o for e: another letter
    assert mark_errors("NGUYỄN", "Nguyễn") == ErrorCount(0, 1)  # case only
    assert mark_errors("NGUYEN", "Nguyễn") == ErrorCount(1, 1)  # case and mark: the mark counts


def test_non_letters_are_not_counted() -> None:
    assert mark_errors("1.250", "1,250") == ErrorCount(0, 0)


def test_identical_texts_have_no_mark_error() -> None:
    ref = "Cộng hòa xã hội chủ nghĩa Việt Nam\nĐộc lập - Tự do - Hạnh phúc"
    count = mark_errors(ref, ref)
    assert count.edits == 0
    # ộ ò ã ộ ủ ĩ ệ | Đ ộ ậ ự ạ ú
    assert count.length == 13
    assert count.rate == 0.0


def test_nfd_input_counts_as_nfc() -> None:
    ref, hyp = "Nơi cư trú: xã An Phú, huyện Đông Hưng", "Noi cu trú: xa An Phu, huyen Dông Hưng"
    nfd = functools.partial(unicodedata.normalize, "NFD")
    expected = mark_errors(hyp, ref)
    assert expected == ErrorCount(6, 9)  # ơ ư ã ú (Phú) ệ Đ misread; ú (trú) ô ư right
    assert mark_errors(nfd(hyp), nfd(ref)) == expected
    assert mark_errors(nfd(hyp), ref) == expected
    assert mark_errors(hyp, nfd(ref)) == expected


def test_normalised_like_cer_before_aligning() -> None:
    # Leader dots and line breaks do not shift the alignment; marked: ọ à ê Ễ.
    assert mark_errors("Họ và tên:\nNGUYEN", "Họ và tên: .......... NGUYỄN") == ErrorCount(1, 4)


def test_pages_add_up_micro_averaged() -> None:
    pages = [("Nguyên", "Nguyễn"), ("đường", "đường")]
    count = total(mark_errors(hyp, ref) for hyp, ref in pages)
    assert count == ErrorCount(1, 4)
    assert count.rate == pytest.approx(1 / 4)


# --- bench/ocr.py --------------------------------------------------------------------------------


def _result(bench, engine: str, mark_error_rate: float):
    return bench.EngineResult(engine=engine, pages=2, cer=0.05, cer_form=0.04, cer_prose=0.06,
                              wer=0.2, mark_error_rate=mark_error_rate, pages_per_s=1.5,
                              seconds=1.333)


def test_bench_table_has_the_mark_error_column() -> None:
    bench = _bench_ocr()
    text = bench.table([_result(bench, "ppocr:recognizer=fast", 0.0625)])
    header, rule, row = text.splitlines()
    assert "mark err" in header
    assert set(rule) == {"-", " "}
    cells = row.split()  # no cell of this row holds a space
    assert len(cells) == len(bench.COLUMNS)
    assert cells[bench.COLUMNS.index("mark err")] == "6.25%"
    assert cells[bench.COLUMNS.index("WER")] == "20.00%"


def test_bench_default_engines_include_the_fast_reader() -> None:
    bench = _bench_ocr()
    assert bench.parse_args([]).engines == [
        "ppocr", "ppocr:recognizer=fast", "ppocr:recognizer=accurate", "tesseract"]


def test_bench_json_carries_the_mark_error_rate() -> None:
    bench = _bench_ocr()
    results = bench.with_ratios([_result(bench, "ppocr", 0.1), _result(bench, "tesseract", 0.2)])
    dumped = json.loads(json.dumps([bench.asdict(r) for r in results]))
    assert [r["mark_error_rate"] for r in dumped] == [0.1, 0.2]


def test_bench_body_sizes_and_photocopies_reach_our_pages(capsys) -> None:
    bench = _bench_ocr()
    args = bench.parse_args(["--pt", "9,10.5", "--strength", "photocopy"])
    assert args.pt == [9.0, 10.5] and args.strength == "photocopy"
    assert bench.parse_args([]).pt == []  # each seed's own size
    pages = bench.make_pages(2, [72], 7, "photocopy", "dev", [9.0, 10.5])
    assert [p.body_pt for p in pages] == [9.0, 10.5]
    for bad in (["--pt", "8"], ["--pt", "nine"], ["--strength", "telex"]):
        with pytest.raises(SystemExit) as exit_info:
            bench.parse_args(bad)
        assert exit_info.value.code == 2
    assert "--pt" in capsys.readouterr().err


def test_bench_photos_and_seals_reach_our_pages_and_photos_state_no_resolution() -> None:
    from types import SimpleNamespace

    bench = _bench_ocr()
    args = bench.parse_args(["--strength", "phone", "--seal"])
    assert args.strength == "phone" and args.seal and not bench.parse_args([]).seal
    photo, plain = (bench.make_pages(1, [72], 7, strength, "dev", (), seal)[0]
                    for strength, seal in (("phone", True), ("scan", False)))
    assert bench.as_page_image(photo, 1).dpi_source == "estimated"
    assert photo.image.shape[1] / photo.image.shape[0] == pytest.approx(0.75, abs=0.01)
    assert bench.as_page_image(plain, 1).dpi_source == "file"
    second = SimpleNamespace(image=plain.image, dpi=150)  # the second generator's page type
    assert bench.as_page_image(second, 2).dpi_source == "file"
