"""Signed e-records checked with tools sohoa did not write (poppler's pdftotext, pdfimages,
pdfsig with the development root in a throw-away NSS database, pdftoppm and pdftohtml; qpdf;
zxing-cpp), on an A4 form (JPEG), a 2-page PDF, a bilevel G4 TIFF scanned askew, a PNG and an ID
card front and back. One ``sohoa process`` run (the real pipeline, OCR included) makes them all."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pikepdf
import pytest
import zxingcpp
from PIL import Image

from sohoa_dev.synth import render_page
from tests.public_records import archive, public_client

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("form-1", "dossier-2pages", "bilevel", "scan", "cccd-01")
MM = 72 / 25.4
pytestmark = pytest.mark.skipif(not (shutil.which("qpdf") and shutil.which("certutil")),
                                reason="needs Debian qpdf and libnss3-tools (scripts/setup.sh)")


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)


def _bilevel_tiff(path: Path) -> None:
    """Two bilevel pages at 200 dpi, G4; the first scanned 1.5° askew, so clean-up deskews it."""
    frames = []
    for number in (1, 2):
        synth = render_page(40 + number, "dev", "form", 200)
        grey = synth.image if synth.image.ndim == 2 else synth.image.mean(axis=2)
        page = Image.fromarray(np.where(grey < 160, 0, 255).astype(np.uint8)).convert("1")
        if number == 1:
            page = page.rotate(1.5, expand=False, fillcolor=1)
        frames.append(page)
    frames[0].save(path, save_all=True, append_images=frames[1:], compression="group4",
                   dpi=(200, 200))


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> Path:
    inputs, out = tmp_path_factory.mktemp("in"), tmp_path_factory.mktemp("out")
    shutil.copy(ROOT / "samples/pages/form-1.jpg", inputs / "form-1.jpg")
    shutil.copy(ROOT / "samples/pages/dossier-2pages.pdf", inputs / "dossier-2pages.pdf")
    shutil.copy(ROOT / "samples/forms/cccd-01.pdf", inputs / "cccd-01.pdf")
    _bilevel_tiff(inputs / "bilevel.tiff")
    synth = render_page(51, "dev", "prose", 200)
    Image.fromarray(synth.image[..., ::-1] if synth.image.ndim == 3 else synth.image).save(
        inputs / "scan.png", dpi=(200, 200))
    env = {**os.environ, "SOHOA_DATA_DIR": str(out / "var"),
           "SOHOA_PUBLIC_URL": "https://tracuu.example.gov.vn"}
    done = run(sys.executable, "-m", "ocr_service.cli", "process", str(inputs), "--out", str(out),
               env=env, timeout=1800)
    assert done.returncode == 0, done.stderr
    return out


def manifest(out: Path, name: str) -> dict:
    return json.loads((out / f"{name}.manifest.json").read_text(encoding="utf-8"))


def extraction(pdf: Path) -> dict:
    with pikepdf.open(pdf) as doc:
        return json.loads(doc.attachments["extraction.json"].get_file().read_bytes())


@pytest.mark.parametrize("name", NAMES)
def test_text_signatures_and_structure(records: Path, name: str, tmp_path: Path) -> None:
    pdf = records / f"{name}.pdf"
    # pdftotext -raw: every OCR line whole and in reading order (blanks ignored)
    text = "".join(run("pdftotext", "-raw", "-enc", "UTF-8", str(pdf), "-").stdout.split())
    lines = ["".join(line["text"].split()) for page in extraction(pdf)["pages"]
             for line in page["lines"] if line["text"].strip()]
    position = 0
    for line in lines:
        found = text.find(line, position)
        assert found >= 0, line
        position = found + len(line)
    # pdftotext as a reader uses it: the band's text comes before the scan's, not inside it
    read = "".join(run("pdftotext", "-enc", "UTF-8", str(pdf), "-").stdout.split())
    assert read.index("Đơnvịchuyểnđổi:") < read.index(lines[0])
    # pdfsig with the development root trusted in a throw-away NSS database
    nss = tmp_path / "nss"
    nss.mkdir()
    assert run("certutil", "-N", "-d", f"sql:{nss}", "--empty-password").returncode == 0
    root = records / "var" / "pki" / "root-ca.pem"
    assert run("certutil", "-A", "-d", f"sql:{nss}", "-n", "dev-root", "-t", "C,C,C",
               "-i", str(root)).returncode == 0
    report = run("pdfsig", "-nssdir", f"sql:{nss}", str(pdf)).stdout
    signatures = report.split("Signature #")[1:]
    assert len(signatures) == 2, report
    for signature in signatures:
        assert "Signature Validation: Signature is Valid." in signature, report
        assert "Certificate Validation: Certificate is Trusted." in signature, report
    assert "Total document signed" in signatures[1], report  # the agency's covers everything
    check = run("qpdf", "--check", str(pdf))
    assert check.returncode == 0 and "WARNING" not in check.stdout + check.stderr, check.stdout


def _placements(pdf: Path, folder: Path) -> tuple[float, float, list[tuple[float, ...]]]:
    """Page 1's size and its images' rectangles (points), as poppler's pdftohtml sees them."""
    xml = run("pdftohtml", "-xml", "-zoom", "1", "-f", "1", "-l", "1", "-i", "-stdout", str(pdf),
              cwd=folder).stdout
    page = re.search(r'<page number="1"[^>]*height="([\d.]+)" width="([\d.]+)"', xml)
    xml = run("pdftohtml", "-xml", "-zoom", "1", "-f", "1", "-l", "1", "-stdout", str(pdf),
              cwd=folder).stdout
    images = [tuple(float(v) for v in m) for m in re.findall(
        r'<image top="([\d.-]+)" left="([\d.-]+)" width="([\d.]+)" height="([\d.]+)"', xml)]
    return float(page.group(2)), float(page.group(1)), images


@pytest.mark.parametrize("name", NAMES)
def test_page_one_shows_the_scan_untouched_and_the_band_above(records: Path, name: str,
                                                               tmp_path: Path) -> None:
    pdf = records / f"{name}.pdf"
    width, height, images = _placements(pdf, tmp_path)
    assert images
    band_bottom = min(top for top, _, _, _ in images)
    with pikepdf.open(pdf) as doc:
        rects = {str(a.T): [float(v) for v in a.Rect] for a in doc.pages[0].Annots
                 if a.get("/FT") == "/Sig"}
    digitizer, agency = rects["SoHoa_NguoiSoHoa"], rects["SoHoa_CoQuan"]
    for x1, y1, x2, y2 in rects.values():  # inside the page, in the band above the scans
        assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height
        assert height - y2 >= 0 and height - y1 <= band_bottom + 0.5
    assert digitizer[2] <= width / 2 and digitizer[1] >= height / 2  # top-left quarter
    assert agency[0] >= width / 2 and agency[1] >= height / 2  # top-right quarter
    # page 1 rendered: inside each scan's area, the embedded scan itself (resampled) only
    run("pdftoppm", "-r", "144", "-f", "1", "-l", "1", "-gray", "-png", str(pdf),
        str(tmp_path / "page"))
    rendered = np.asarray(Image.open(next(tmp_path.glob("page*.png"))).convert("L")).astype(int)
    run("pdfimages", "-f", "1", "-l", "1", "-png", str(pdf), str(tmp_path / "img"))
    for (top, left, w, h), image in zip(images, sorted(tmp_path.glob("img-*.png"))):
        box = [round(2 * v) for v in (left, top, left + w, top + h)]  # 144 dpi: 2 px a point
        area = rendered[box[1] + 1:box[3] - 1, box[0] + 1:box[2] - 1]
        scan = Image.open(image).convert("L").resize((box[2] - box[0], box[3] - box[1]),
                                                     Image.Resampling.BOX)
        expected = np.asarray(scan).astype(int)[1:-1, 1:-1]
        # blurred, so that poppler's whole-point image positions (a pixel off) and resampling
        # do not count; anything drawn on the scan would still show in some 32-px block
        diff = np.abs(cv2.GaussianBlur(area.astype(np.float32), (0, 0), 2)
                      - cv2.GaussianBlur(expected.astype(np.float32), (0, 0), 2))
        rows, cols = (s // 32 * 32 for s in diff.shape)
        blocks = diff[:rows, :cols].reshape(rows // 32, 32, cols // 32, 32).mean(axis=(1, 3))
        assert diff.mean() < 5 and blocks.max() < 40, (name, diff.mean(), blocks.max())
    assert (rendered[:round(2 * band_bottom) - 2] < 128).any()  # the band is there, above


def _image_list(pdf: Path) -> list[list[str]]:
    rows = run("pdfimages", "-list", str(pdf)).stdout.splitlines()[2:]
    return [row.split() for row in rows]


def test_lossless_scans_stay_lossless_and_pages_keep_their_paper_size(records: Path) -> None:
    bilevel = _image_list(records / "bilevel.pdf")
    assert [row[8] for row in bilevel] == ["ccitt", "ccitt"]  # page 1 was deskewed: still G4
    assert {row[5] for row in bilevel} == {"gray"}
    assert {row[8] for row in _image_list(records / "scan.pdf")} == {"image"}  # Flate, not jpeg
    info = run("pdfinfo", "-f", "1", "-l", "2", str(records / "bilevel.pdf")).stdout
    sizes = re.findall(r"Page +\d+ size: +([\d.]+) x ([\d.]+) pts", info)
    a4 = (210 * MM, 297 * MM)  # the generated scan's paper (1654 x 2339 px at 200 dpi)
    for w, h in sizes:  # after deskew the page is the scanned paper, not a grown canvas
        assert (float(w), float(h)) == pytest.approx(a4, abs=2.0)


def test_an_id_card_goes_front_and_back_at_true_size_on_one_a4_page(records: Path,
                                                                    tmp_path: Path) -> None:
    pdf = records / "cccd-01.pdf"
    width, height, images = _placements(pdf, tmp_path)
    assert (width, height) == pytest.approx((210 * MM, 297 * MM), abs=1.5)
    assert len(images) == 2 and "Pages:           1" in run("pdfinfo", str(pdf)).stdout
    for (top, left, w, h), row in zip(images, _image_list(pdf)):
        dpi = 450  # the sample's scan resolution: true size means the same points per pixel
        assert w == pytest.approx(int(row[3]) / dpi * 72, abs=1.5)
        assert h == pytest.approx(int(row[4]) / dpi * 72, abs=1.5)
    front, back = images
    assert front[0] + front[3] < back[0]  # the back below the front


def test_the_qr_code_leads_to_the_public_page(records: Path, tmp_path: Path) -> None:
    codes = {}
    for name in ("form-1", "cccd-01"):
        pdf = records / f"{name}.pdf"
        run("pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-png", str(pdf), str(tmp_path / name))
        (code,) = [c for c in zxingcpp.read_barcodes(Image.open(next(tmp_path.glob(f"{name}*.png"))))
                   if c.text.startswith("v=2|")]  # the card's own QR code is not ours
        codes[name] = code.text
        record = manifest(records, name)
        url = f"https://tracuu.example.gov.vn/v/{record['record_id']}"
        assert code.text.endswith(f"|ma={record['record_id']}|url={url}")
        assert f"|hs={record['dossier_code']}|" in code.text
    # one dossier per document (no --dossier)
    assert manifest(records, "form-1")["dossier_code"] != manifest(records, "cccd-01")["dossier_code"]
    client, index = public_client(tmp_path)
    record = manifest(records, "cccd-01")
    archive(index, record["record_id"], record["pdf"]["sha256"])
    path = codes["cccd-01"].rpartition("url=https://tracuu.example.gov.vn")[2]
    with client:
        answer = client.get(path, headers={"Accept": "application/json"}).json()
    assert (answer["state"], answer["sha256"]) == ("valid", record["pdf"]["sha256"])
