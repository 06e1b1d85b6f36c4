"""The ``unseen`` pool's prose: Vietnamese program messages read from ``.mo`` catalogs."""

from __future__ import annotations

import struct
import unicodedata
from pathlib import Path

import pytest

from sohoa_dev.synth.catalogs import catalog_messages, catalog_paragraphs, sentence
from sohoa_dev.synth.corpus import ALLOWED_CHARS

HEADER = "Content-Type: text/plain; charset=UTF-8\n"


def write_mo(path: Path, messages: dict[str, str]) -> None:
    """A GNU ``.mo`` file (the format msgfmt writes) holding ``messages``."""
    items = sorted({"": HEADER, **messages}.items())
    ids = [k.encode() for k, _ in items]
    strs = [v.encode() for _, v in items]
    start = 7 * 4 + 16 * len(items)
    data, table_ids, table_strs = b"", [], []
    for blob, table in [(b, table_ids) for b in ids] + [(b, table_strs) for b in strs]:
        table.append((len(blob), start + len(data)))
        data += blob + b"\0"
    head = struct.pack("<7I", 0x950412DE, 0, len(items), 28, 28 + 8 * len(items), 0, 0)
    tables = b"".join(struct.pack("<2I", *entry) for entry in table_ids + table_strs)
    path.write_bytes(head + tables + data)


GOOD = "Không thể mở tập tin cấu hình vì quyền truy cập bị từ chối"


def test_a_message_is_kept_as_an_nfc_sentence_only_when_it_reads_as_vietnamese_prose():
    decomposed = unicodedata.normalize("NFD", GOOD)
    assert sentence("  " + decomposed.replace(" ", "  ") + " ", ALLOWED_CHARS) == GOOD + "."
    assert sentence(GOOD + ".", ALLOWED_CHARS) == GOOD + "."  # one full stop, not two
    assert sentence("Mở tập tin", ALLOWED_CHARS) is None  # a menu label
    english = "Cannot open the configuration file because access is denied"
    assert sentence(english, ALLOWED_CHARS) is None
    assert sentence(GOOD + " → {name}", ALLOWED_CHARS) is None  # signs no page holds
    assert sentence("%s %s %d %s %s: 1234567890 1234567890 đã xong", ALLOWED_CHARS) is None


def test_catalogs_are_read_and_a_damaged_file_is_skipped(tmp_path):
    write_mo(tmp_path / "a.mo", {"Cannot open": GOOD, "Open": "Mở"})
    (tmp_path / "b.mo").write_bytes(b"not a catalog at all")
    assert sorted(catalog_messages(tmp_path)) == sorted([HEADER, GOOD, "Mở"])


def test_paragraphs_are_five_sentences_under_a_title_and_too_few_are_an_error(tmp_path):
    text = "Thông báo số {} cho biết tập tin của người dùng đã được lưu lại"
    many = {f"m{i}": text.format(i) for i in range(20 * 6)}
    write_mo(tmp_path / "many.mo", many)
    pairs = catalog_paragraphs(ALLOWED_CHARS, tmp_path)
    assert len(pairs) == 20
    title, body = pairs[0]
    assert title.startswith("Thông báo số ") and len(title.split()) == 6
    assert body.count(".") == 5 and all(unicodedata.is_normalized("NFC", t) for t in (title, body))
    write_mo(tmp_path / "many.mo", dict(list(many.items())[:30]))
    catalog_paragraphs.cache_clear()
    with pytest.raises(RuntimeError, match="unseen pool"):
        catalog_paragraphs(ALLOWED_CHARS, tmp_path)
