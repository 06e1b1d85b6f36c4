"""PAdES B-T signing speed: a signer that keeps its parsed key against re-parsing it per signature.

Each signature is the agency's (visible, text appearance, top right of page 1) added by
``ocr_service.pipeline.sign.sign_pdf`` as an incremental update to the same e-record: a PDF/A built
by ``build_pdfa`` from synthetic scanned pages (a form, then prose) with their true text as the
text layer, as ``sohoa process`` makes them. Two signers take turns, signature by signature, in
the same run:

* ``kept``: ``load_pkcs12_signer`` (our ``KeptKeySigner``) loaded once, before timing;
* ``reparse``: pyHanko's ``SimpleSigner.load_pkcs12`` called for every signature (timed), which is
  what a service that does not keep its signer pays.

Certificates come from the development PKI (``init_pki`` in a temporary folder; test material
only) and the timestamps from its in-process TSA (``dev_timestamper``: no HTTP, so network latency
is not measured). One warm-up signature per signer comes first (font subsetting, caches); the last
signature of each signer is checked with ``verify_pdf``.

    python bench/sign.py [--signatures 20] [--pages 2] [--dpi 200] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyhanko.sign.signers import SimpleSigner, Signer  # noqa: E402

from ocr_service.domain import VIETNAM_TIME, OcrLine, PageImage, PageText  # noqa: E402
from ocr_service.pipeline.pdfa import RecordMeta, build_pdfa  # noqa: E402
from ocr_service.pipeline.sign import (  # noqa: E402
    AGENCY_FIELD,
    COPY_FORM_DEFAULT,
    agency_text,
    corner_box,
    load_pkcs12_signer,
    sign_pdf,
    text_box_size,
)
from ocr_service.pipeline.verify import verify_pdf  # noqa: E402
from ocr_service.pki import (  # noqa: E402
    DEV_AGENCY_NAME,
    PkiPaths,
    dev_timestamper,
    init_pki,
    load_certificates,
)
from sohoa_dev.synth import render_page  # noqa: E402

LEVEL = "B-T"
KINDS = ("form", "prose")
META = RecordMeta(
    title="Giấy khai sinh (bản sao)",
    dossier_code="000.00.19.H29-261122-0001",
    procedure_code="1.001193",
    owner_id_number="001099012345",
    system_name="Hệ thống số hóa sohoa (benchmark)",
    converting_unit="UBND phường Ba Đình, thành phố Hà Nội",
    converted_at=datetime(2026, 11, 22, 7, 30, tzinfo=UTC),
)


@dataclass(frozen=True)
class SignerResult:
    signer: str
    signatures: int
    seconds: float
    signatures_per_s: float
    ms_per_signature: float
    verified: bool


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--signatures", "-n", type=int, default=20,
                        help="timed signatures per signer (default 20)")
    parser.add_argument("--pages", type=int, default=2, help="pages of the e-record (default 2)")
    parser.add_argument("--dpi", type=int, default=200, help="scan resolution (default 200)")
    parser.add_argument("--seed", type=int, default=7, help="synthetic page seed (default 7)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args(argv)
    if args.signatures < 1 or args.pages < 1:
        parser.error("--signatures and --pages must be at least 1")
    return args


def make_record(pages: int, dpi: int, seed: int) -> bytes:
    """A PDF/A e-record of synthetic scanned pages whose text layer is their true text."""
    images, texts = [], []
    for number in range(1, pages + 1):
        synth = render_page(seed + number, "dev", KINDS[(number - 1) % 2], dpi)
        page = PageImage(number=number, image=synth.image, dpi=synth.dpi)
        lines = tuple(OcrLine(text=text, confidence=1.0, box=quad) for text, quad in synth.lines)
        images.append(page)
        texts.append(PageText(page=number, width=page.width, height=page.height, lines=lines))
    return build_pdfa(images, texts, META).pdf


def reparsing_signer(pki: PkiPaths) -> Callable[[], Signer]:
    """pyHanko's own PKCS#12 loader, called anew for every signature."""

    def load() -> Signer:
        signer = SimpleSigner.load_pkcs12(pki.agency_p12, passphrase=pki.password.encode())
        if signer is None:  # pyHanko returns None instead of raising
            raise RuntimeError(f"pyHanko could not open {pki.agency_p12}")
        return signer

    return load


def sign_once(record: bytes, signer: Signer, pki: PkiPaths, timestamper) -> bytes:
    when = datetime.now(UTC).astimezone(VIETNAM_TIME)
    text = agency_text(COPY_FORM_DEFAULT, DEV_AGENCY_NAME, when)
    box = corner_box(record, "top-right", text_box_size(text))
    return sign_pdf(record, signer, field=AGENCY_FIELD, visible_box=box, appearance_text=text,
                    timestamper=timestamper, level=LEVEL)


def measure(record: bytes, pki: PkiPaths, count: int) -> list[SignerResult]:
    """Alternate the two signers signature by signature, so drift hits both alike."""
    timestamper = dev_timestamper(pki)
    kept = load_pkcs12_signer(pki.agency_p12, pki.password)
    reparse = reparsing_signer(pki)
    variants: dict[str, Callable[[], Signer]] = {"kept": lambda: kept, "reparse": reparse}
    seconds = dict.fromkeys(variants, 0.0)
    last: dict[str, bytes] = {}
    for name, get_signer in variants.items():  # warm-up, not timed
        sign_once(record, get_signer(), pki, timestamper)
    for _ in range(count):
        for name, get_signer in variants.items():
            start = time.perf_counter()
            last[name] = sign_once(record, get_signer(), pki, timestamper)
            seconds[name] += time.perf_counter() - start
    roots = load_certificates(pki.root_cert)
    return [
        SignerResult(
            signer=name,
            signatures=count,
            seconds=seconds[name],
            signatures_per_s=count / seconds[name],
            ms_per_signature=1000 * seconds[name] / count,
            verified=verify_pdf(last[name], roots).valid,
        )
        for name in variants
    ]


def table(results: list[SignerResult]) -> str:
    header = ("signer", "signatures", "seconds", "signatures/s", "ms/signature", "verified")
    rows = [header, *((r.signer, str(r.signatures), f"{r.seconds:.2f}", f"{r.signatures_per_s:.2f}",
                       f"{r.ms_per_signature:.1f}", "yes" if r.verified else "NO")
                      for r in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(row, widths))) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    command = shlex.join([sys.executable, *(sys.argv if argv is None else ["bench/sign.py", *argv])])
    date = datetime.now(UTC).isoformat(timespec="seconds")
    tsa = "in-process development TSA (ocr_service.pki.dev_timestamper, no HTTP)"
    if not args.json:
        print(f"# {command}\n# {date}  cpus={os.cpu_count()}  level={LEVEL}  "
              f"N={args.signatures} signatures per signer  TSA: {tsa}", flush=True)
    record = make_record(args.pages, args.dpi, args.seed)
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-pki-") as folder:
        pki = init_pki(Path(folder))
        if not args.json:
            print(f"# e-record: PDF/A, {args.pages} page(s) at {args.dpi} dpi, {len(record):,} "
                  f"bytes; signer: development PKI agency certificate (RSA 2048)", flush=True)
        results = measure(record, pki, args.signatures)
    by_name = {r.signer: r for r in results}
    ratio = by_name["kept"].signatures_per_s / by_name["reparse"].signatures_per_s
    if args.json:
        print(json.dumps({"command": command, "date": date, "cpus": os.cpu_count(),
                          "level": LEVEL, "tsa": tsa, "signatures": args.signatures,
                          "pages": args.pages, "dpi": args.dpi, "record_bytes": len(record),
                          "results": [asdict(r) for r in results], "kept_vs_reparse": ratio},
                         ensure_ascii=False, indent=2))
    else:
        print(table(results))
        print(f"kept key / re-parsed key: {ratio:.2f}x signatures per second")
    return 0 if all(r.verified for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
