"""The ``sohoa`` command line. Exit codes: 0 success, 2 bad input or set-up (message on stderr)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .config import get_settings
from .errors import SohoaError

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def _cmd_ocr(args: argparse.Namespace) -> int:
    from .pipeline.ocr import get_engine
    from .pipeline.process import read_document

    engine = get_engine(args.engine)
    failed = False
    for name in args.files:
        path = Path(name)
        try:
            if not path.is_file():
                raise SohoaError(
                    f"{name}: no such file.", f"{name}: không tìm thấy tệp.", code="not_found"
                )
            _, pages = read_document(path.read_bytes(), path.name, engine)
        except SohoaError as exc:
            print(f"sohoa ocr: {exc}", file=sys.stderr)
            failed = True
            continue
        for page in pages:
            if args.json:
                print(json.dumps({"file": name, **page.export()}, ensure_ascii=False), flush=True)
            else:
                print(f"== {name} · trang {page.page} ==\n{page.text}\n", flush=True)
    return EXIT_BAD_INPUT if failed else EXIT_OK


def _cmd_models(args: argparse.Namespace) -> int:
    from . import weights

    return weights.main([str(args.dir)] if args.dir else [])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sohoa",
        description="Số hóa hồ sơ: scanned Vietnamese dossiers to signed, searchable e-records.",
    )
    parser.add_argument("--version", action="version", version=f"sohoa {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command", required=True)

    ocr = commands.add_parser(
        "ocr", help="read the text of scanned files (PDF, TIFF, JPEG, PNG)",
        description="OCR each FILE; with --json, one JSON object per page on stdout.",
    )
    ocr.add_argument("files", nargs="+", metavar="FILE")
    ocr.add_argument("--json", action="store_true", help="one JSON object per page")
    ocr.add_argument(
        "--engine", choices=["ppocr", "tesseract"], default=None,
        help="OCR engine (default: SOHOA_OCR_ENGINE, else ppocr)",
    )
    ocr.set_defaults(run=_cmd_ocr)

    models = commands.add_parser(
        "models", help="fetch and verify the model weights named in models/manifest.yaml",
    )
    models.add_argument("dir", nargs="?", type=Path, help="target folder (default: SOHOA_MODELS_DIR)")
    models.set_defaults(run=_cmd_models)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    get_settings()
    try:
        return args.run(args)
    except SohoaError as exc:
        print(f"sohoa {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # output piped into `head` and friends: not an error
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
