"""The ``sohoa`` command line. Exit codes: 0 success, 2 bad input or set-up (message on stderr)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .config import get_settings
from .errors import SohoaError
from .pipeline.ocr import ENGINES

EXIT_OK = 0
EXIT_INVALID = 1
"""``sohoa verify``: the file was read, and it is not a valid e-record."""
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
                raise _not_found(name)
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


def _cmd_extract(args: argparse.Namespace) -> int:
    from .pipeline.ocr import get_engine
    from .pipeline.process import extract_document

    path = Path(args.file)
    if not path.is_file():
        raise _not_found(args.file)
    result = extract_document(path.read_bytes(), path.name, get_engine(args.engine)).export()
    if args.json:
        print(json.dumps({"file": args.file, **result}, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"== {args.file} · loại giấy tờ / form type: {result['form_type']} ==")
    if result["form_type"] == "unknown":
        print(result["text"])
    for name, field in result["fields"].items():
        mark = "  [cần kiểm tra / review]" if field["review"] else ""
        if isinstance(field["value"], list):  # a table: one line per row
            print(f"{name}:{mark}")
            for row in field["value"]:
                print("  - " + "; ".join(f"{key}: {value}" for key, value in row.items()))
        else:
            print(f"{name}: {field['value']}{mark}")
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .api.app import create_app

    settings = get_settings()
    host, port = args.host or settings.host, args.port or settings.port
    print(f"sohoa API: http://{host}:{port}  (OpenAPI: http://{host}:{port}/docs)", flush=True)
    uvicorn.run(create_app(preload=True, sweep=True), host=host, port=port, log_level="info")
    return EXIT_OK


def _cmd_sweep(args: argparse.Namespace) -> int:
    from .handover import submit, submit_batch
    from .store.index import Index, database_url
    from .sweeper import sweep

    settings = get_settings()
    index = Index.open(database_url(settings))
    try:
        queued = sweep(index, submit, settings, submit_batch=submit_batch)
    finally:
        index.close()
    print(f"{len(queued)} tài liệu được xếp hàng lại / document(s) queued again", flush=True)
    return EXIT_OK


def _cmd_worker(args: argparse.Namespace) -> int:
    from .handover import task_queue

    logging.getLogger().setLevel(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return task_queue().run_worker(args.queues, args.concurrency, args.pool)


def _cmd_up(args: argparse.Namespace) -> int:
    from .up import run_up

    return run_up(port=args.port, concurrency=args.concurrency)


def _not_found(name: str | Path, *, folder_too: bool = False) -> SohoaError:
    what_en, what_vi = ("file or folder", "tệp hoặc thư mục") if folder_too else ("file", "tệp")
    return SohoaError(f"{name}: no such {what_en}.", f"{name}: không tìm thấy {what_vi}.",
                      code="not_found")


def _input_files(paths: list[str]) -> list[Path]:
    """The files named, and the files directly inside the folders named, in name order."""
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")))
        elif path.is_file():
            found.append(path)
        else:
            raise _not_found(name, folder_too=True)
    return found


def _cmd_process(args: argparse.Namespace) -> int:
    from .pipeline.ocr import get_engine
    from .pipeline.process import make_record, read
    from .pipeline.record import new_dossier_code
    from .pipeline.records_model import RecordInfo
    from .signers import record_signing

    settings = get_settings()
    for option in ("dossier_code", "procedure_code", "owner_id", "title"):
        value = getattr(args, option)
        if value is not None and not value.strip():
            flag = "--" + option.replace("_", "-")
            raise SohoaError(f"{flag} must not be empty.", f"{flag} không được để trống.",
                             code="bad_argument")
    files = _input_files(args.paths)
    engine, signing = get_engine(args.engine), record_signing(settings)
    args.out.mkdir(parents=True, exist_ok=True)
    # One dossier per document (each file is its own case), unless --dossier or --dossier-code
    # says the files are the documents of one dossier.
    shared_code = args.dossier_code or (new_dossier_code() if args.dossier else None)
    failed = False
    for path in files:
        dossier_code = shared_code or new_dossier_code()
        info = RecordInfo(dossier_code=dossier_code, procedure_code=args.procedure_code,
                          owner_id_number=args.owner_id, title=args.title or path.stem)
        try:
            data = path.read_bytes()
            reading = read(data, path.name, engine, settings)
            record = make_record(reading, None, info, signing, settings, source=data)
        except SohoaError as exc:
            print(f"sohoa process: {exc}", file=sys.stderr)
            failed = True
            continue
        pdf, manifest = args.out / f"{path.stem}.pdf", args.out / f"{path.stem}.manifest.json"
        pdf.write_bytes(record.pdf)
        manifest.write_bytes(record.manifest.to_json())  # the bytes the archive keeps
        print(f"{path} -> {pdf} ({record.manifest.source.pages} trang, "
              f"record {record.record_id})", flush=True)
    return EXIT_BAD_INPUT if failed else EXIT_OK


def _verify_summary(report, manifest_problems) -> str:
    lines = [f"{'HỢP LỆ / VALID' if report.valid and not manifest_problems else 'KHÔNG HỢP LỆ / INVALID'}"]
    for sig in report.signatures:
        state = "ok" if sig.ok else "FAIL"
        lines.append(f"  [{state}] {sig.field} ({sig.kind}): {sig.signer_subject}; intact={sig.intact} "
                     f"trusted={sig.trusted} timestamp={sig.timestamp_time or '-'} coverage={sig.coverage}")
    for reason in [*report.reasons, *manifest_problems]:
        lines.append(f"  - {reason.message_vi} / {reason.message}")
    return "\n".join(lines)


def _cmd_verify(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from .pipeline.record import manifest_reasons
    from .pipeline.verify import verify_pdf
    from .signers import trust_roots

    settings = get_settings()
    if args.trust:
        settings = settings.model_copy(update={"trust_roots": args.trust})
    path = Path(args.file)
    if not path.is_file():
        raise _not_found(path)
    pdf = path.read_bytes()
    if not args.verbose:  # pyHanko logs each finding with a traceback; the report says it better
        for name in ("pyhanko", "pyhanko_certvalidator"):
            logging.getLogger(name).propagate = False
    report = verify_pdf(pdf, trust_roots(settings))
    manifest = args.manifest or _manifest_beside(path)
    problems = []
    if manifest is not None:
        try:
            problems = manifest_reasons(pdf, json.loads(manifest.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise SohoaError(f"Cannot read the manifest {manifest}: {exc}",
                             f"Không đọc được bản kê {manifest}: {exc}", code="bad_manifest") from exc
    valid = report.valid and not problems
    if args.json:
        out = json.dumps({"file": str(path), "valid": valid, **report.as_dict(),
                          "manifest": str(manifest) if manifest else None,
                          "manifest_reasons": [asdict(p) for p in problems]}, ensure_ascii=False, indent=2)
    else:
        out = _verify_summary(report, problems) + "\n" + (
            f"  bản kê / manifest: {manifest}" if manifest else _NO_MANIFEST)
    _print_to_closable(out)
    return EXIT_OK if valid else EXIT_INVALID


def _print_to_closable(text: str) -> None:
    """Print, tolerating a reader that stops early (``| head``): the verdict is the exit code,
    which must stay that of the file, never the success a closed pipe maps to in ``main``."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush must not fail again
        os.close(devnull)


_NO_MANIFEST = (
    "  bản kê / manifest: không có — chỉ kiểm tra chữ ký; dữ liệu xác thực PAdES ghi sau chữ ký cuối "
    "không được chữ ký bảo vệ / none — signatures only; PAdES validation data written after the last "
    "signature is not covered by any signature"
)


def _manifest_beside(pdf: Path) -> Path | None:
    """``NAME.manifest.json`` next to ``NAME.pdf``, as ``sohoa process`` and the archive store it."""
    candidate = pdf.with_name(pdf.stem + ".manifest.json")
    return candidate if candidate.is_file() else None


def _cmd_pki_init(args: argparse.Namespace) -> int:
    from .pki import init_pki

    folder = args.dir or get_settings().pki_folder
    paths = init_pki(folder, overwrite=args.overwrite)
    print(f"PKI THỬ NGHIỆM — chỉ dùng để phát triển và kiểm thử / TEST PKI — development only\n"
          f"{paths.folder}\n  root: {paths.root_cert}\n  digitizer: {paths.digitizer_p12}\n"
          f"  agency: {paths.agency_p12}")
    return EXIT_OK


def _cmd_models(args: argparse.Namespace) -> int:
    from . import weights

    return weights.main([str(args.dir)] if args.dir else [])


def _cmd_keys_create(args: argparse.Namespace) -> int:
    from .store.index import Index, database_url
    from .store.keys import create_key, parse_roles
    from .store.repo import ensure_agency

    roles = parse_roles(args.role)
    index = Index.open(database_url(get_settings()))
    try:
        with index.session() as session:
            ensure_agency(session, args.agency, args.agency_name)
            key_id, plaintext = create_key(session, args.agency, roles, label=args.label)
    finally:
        index.close()
    print(plaintext, flush=True)  # stdout holds the key alone: KEY=$(sohoa keys create ...)
    print(f"Khóa API của {args.agency} ({', '.join(roles)}), id {key_id}: chỉ hiện một lần, hãy "
          f"lưu lại / API key of {args.agency}, shown once: store it now.", file=sys.stderr)
    return EXIT_OK


def _agency_id(session, code: str):
    """The id of the agency with this code; an unknown code is bad input."""
    from .store.repo import NotFound, get_agency

    agency = get_agency(session, code)
    if agency is None:
        raise NotFound(f"agency {code!r}", f"đơn vị {code!r}")
    return agency.id


def _cmd_keys_list(args: argparse.Namespace) -> int:
    from .store.index import Index, database_url
    from .store.keys import list_keys

    index = Index.open(database_url(get_settings()))
    try:
        with index.session() as session:
            rows = [(k.prefix, " ".join(sorted(k.roles.split())), k.label or "",
                     k.created_at.isoformat(timespec="seconds"),
                     k.revoked_at.isoformat(timespec="seconds") if k.revoked_at else "live")
                    for k in list_keys(session, _agency_id(session, args.agency))]
    finally:
        index.close()
    print("prefix\troles\tlabel\tcreated\trevoked")
    for row in rows:
        print("\t".join(row))
    return EXIT_OK


def _cmd_keys_revoke(args: argparse.Namespace) -> int:
    from .store.index import Index, database_url
    from .store.keys import revoke_prefix

    index = Index.open(database_url(get_settings()))
    try:
        with index.session() as session:
            key = revoke_prefix(session, args.prefix)
            revoked_at = key.revoked_at.isoformat(timespec="seconds")
    finally:
        index.close()
    print(f"Đã thu hồi khóa {args.prefix} lúc {revoked_at} / key {args.prefix} revoked at "
          f"{revoked_at}.", file=sys.stderr)
    return EXIT_OK


def _cmd_audit_verify(args: argparse.Namespace) -> int:
    from .store.audit import verify_chain
    from .store.index import Index, database_url
    from .store.objects import ObjectStore

    settings = get_settings()
    # The heads anchored in S3 are compared too, when S3 is configured.
    anchors = ObjectStore.from_settings(settings) if settings.s3_endpoint else None
    index = Index.open(database_url(settings))
    try:
        with index.session() as session:
            agency_id = _agency_id(session, args.agency) if args.agency else None
            problems = verify_chain(session, agency_id, anchors=anchors)
    finally:
        index.close()
    for problem in problems:
        print(f"{problem.agency_id}\t{problem.seq}\t{problem.kind}\t{problem.message}")
    if problems:
        print(f"Chuỗi nhật ký kiểm toán bị phá vỡ ({len(problems)} chỗ) / the audit chain is "
              f"broken ({len(problems)} problems).", file=sys.stderr)
        return EXIT_INVALID
    print("Chuỗi nhật ký kiểm toán nguyên vẹn / the audit chain is intact.", file=sys.stderr)
    return EXIT_OK


def _cmd_webhook_set(args: argparse.Namespace) -> int:
    from .store.index import Index, database_url
    from .store.repo import set_webhook

    index = Index.open(database_url(get_settings()))
    try:
        with index.session() as session:
            _, secret = set_webhook(session, args.agency, None if args.off else args.url)
    finally:
        index.close()
    if secret is None:
        print(f"Đã tắt webhook của {args.agency} / webhook of {args.agency} turned off.",
              file=sys.stderr)
        return EXIT_OK
    print(secret, flush=True)  # stdout holds the secret alone
    print(f"Khóa ký webhook của {args.agency}: chỉ hiện một lần / webhook signing secret of "
          f"{args.agency}, shown once (X-Sohoa-Signature: sha256=HMAC of the body).",
          file=sys.stderr)
    return EXIT_OK


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
        "--engine", choices=ENGINES, default=None,
        help="OCR engine (default: SOHOA_OCR_ENGINE, else ppocr)",
    )
    ocr.set_defaults(run=_cmd_ocr)

    extract = commands.add_parser(
        "extract", help="classify a scanned form and extract its fields",
        description="Read FILE (one document: an ID card's two sides, a form's pages) and print "
                    "its form type and fields; with --json, the contract JSON (docs/architecture.md §5).",
    )
    extract.add_argument("file", metavar="FILE")
    extract.add_argument("--json", action="store_true", help="the fields as JSON")
    extract.add_argument("--engine", choices=ENGINES, default=None)
    extract.set_defaults(run=_cmd_extract)

    serve = commands.add_parser(
        "serve", help="run the HTTP API (dossiers, records, verify, extract; OpenAPI at /docs)")
    serve.add_argument("--host", help="default: SOHOA_HOST (127.0.0.1)")
    serve.add_argument("--port", type=int, help="default: SOHOA_PORT (8000)")
    serve.set_defaults(run=_cmd_serve)
    sweep = commands.add_parser(
        "sweep", help="queue again documents left behind (never handed to the broker, lost "
                      "by it, or processing with no change for SOHOA_SWEEP_PROCESSING_AFTER s)")
    sweep.set_defaults(run=_cmd_sweep)

    worker = commands.add_parser(
        "worker", help="run a Celery worker of the document pipeline (SOHOA_REDIS_URL)",
        description="Consume the queues named (ocr: intake, clean-up, OCR; cpu: extraction, "
                    "PDF/A, signing; archive: S3, index, webhooks) until SIGTERM or Ctrl-C.",
    )
    worker.add_argument("--queues", default="ocr,cpu,archive,ocr_batch",
                        help="default: all four (ocr_batch: batches' OCR, after counter work)")
    worker.add_argument("--concurrency", type=int, default=1, metavar="N",
                        help="tasks run at once (pool processes; default 1)")
    worker.add_argument("--pool", choices=("prefork", "solo", "threads"), default="prefork")
    worker.set_defaults(run=_cmd_worker)

    up = commands.add_parser(
        "up", help="the whole stack on this machine: Redis, S3, API and a worker (make run)",
        description="Start Redis and SeaweedFS (data under SOHOA_DATA_DIR/up), the API and one "
                    "worker as child processes on loopback, with the SQLite index and the test "
                    "PKI; print the URL and an API key of agency DEV; stop all on Ctrl-C.",
    )
    up.add_argument("--port", type=int, help="API port (default: SOHOA_PORT, 8000)")
    up.add_argument("--concurrency", type=int, default=2, metavar="N",
                    help="worker pool processes (default 2)")
    up.set_defaults(run=_cmd_up)

    process = commands.add_parser(
        "process", help="make signed, searchable PDF/A e-records of scanned files",
        description="Run the whole pipeline on each file (or each file in a folder) and write "
                    "NAME.pdf and NAME.manifest.json into --out. Without configured signers the "
                    "development PKI (SOHOA_PKI_DIR) signs: test material only.",
    )
    process.add_argument("paths", nargs="+", metavar="PATH")
    process.add_argument("--out", type=Path, required=True, metavar="DIR")
    process.add_argument("--dossier", action="store_true",
                         help="the files are the documents of one dossier (one mã hồ sơ); "
                              "default: each file is a dossier of its own")
    process.add_argument("--dossier-code", help="mã hồ sơ of the one dossier the files belong to "
                                                "(default: a new SH-YYYYMMDD-… code per dossier)")
    process.add_argument("--procedure-code", default="chưa xác định", help="mã thủ tục hành chính")
    process.add_argument("--owner-id", default="chưa xác định", help="owner's personal ID number")
    process.add_argument("--title", help="document name (default: the file name)")
    process.add_argument("--engine", choices=ENGINES, default=None)
    process.set_defaults(run=_cmd_process)

    verify = commands.add_parser(
        "verify", help="check an e-record's signatures, timestamps and integrity",
        description="Exit 0 only if every signature is intact, trusted, timestamped as signed and "
                    "covers the file (and the file matches --manifest); 1 if not; 2 on bad input.",
    )
    verify.add_argument("file", metavar="FILE.pdf")
    verify.add_argument("--manifest", type=Path, metavar="M.json",
                        help="also check the file's hash (default: NAME.manifest.json beside it)")
    verify.add_argument("--trust", type=Path, action="append", metavar="ROOT.pem",
                        help="trusted root certificates (default: SOHOA_TRUST_ROOTS, else the test PKI)")
    verify.add_argument("--json", action="store_true", help="the full report as JSON")
    verify.set_defaults(run=_cmd_verify)

    pki = commands.add_parser("pki", help="development PKI (test material only)")
    pki_commands = pki.add_subparsers(dest="pki_command", required=True)
    pki_init = pki_commands.add_parser(
        "init", help="create a test CA, TSA, digitizer and agency certificates",
    )
    pki_init.add_argument("dir", nargs="?", type=Path, help="folder (default: SOHOA_PKI_DIR)")
    pki_init.add_argument("--overwrite", action="store_true", help="replace an existing test PKI")
    pki_init.set_defaults(run=_cmd_pki_init)

    models = commands.add_parser(
        "models", help="fetch and verify the model weights named in models/manifest.yaml",
    )
    models.add_argument("dir", nargs="?", type=Path, help="target folder (default: SOHOA_MODELS_DIR)")
    models.set_defaults(run=_cmd_models)

    keys = commands.add_parser("keys", help="API keys of agencies (index: SOHOA_DATABASE_URL)")
    keys_commands = keys.add_subparsers(dest="keys_command", required=True)
    keys_create = keys_commands.add_parser(
        "create", help="create an API key and print it once",
        description="Print a new API key of the agency on stdout (stored hashed: it cannot be "
                    "shown again). The agency is created when it does not exist yet.",
    )
    keys_create.add_argument("--agency", required=True, metavar="CODE", help="mã đơn vị")
    keys_create.add_argument("--agency-name", help="name of an agency created now")
    keys_create.add_argument("--role", required=True, action="append",
                             help="clerk, operator, system, auditor or admin; repeat for several")
    keys_create.add_argument("--label", help="what the key is for (shown in the audit trail)")
    keys_create.set_defaults(run=_cmd_keys_create)
    keys_list = keys_commands.add_parser(
        "list", help="list an agency's keys (prefix, roles, label, created, revoked; no secrets)")
    keys_list.add_argument("--agency", required=True, metavar="CODE", help="mã đơn vị")
    keys_list.set_defaults(run=_cmd_keys_list)
    keys_revoke = keys_commands.add_parser(
        "revoke", help="revoke a key by its prefix (kept for the audit trail; refused from now on)")
    keys_revoke.add_argument("prefix", metavar="PREFIX", help="the part after sohoa_")
    keys_revoke.set_defaults(run=_cmd_keys_revoke)

    audit = commands.add_parser("audit", help="the audit trail (index: SOHOA_DATABASE_URL)")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    audit_verify = audit_commands.add_parser(
        "verify", help="check the hash chains of the audit trail",
        description="Exit 0 when every chain (or the agency's) is intact; 1 and one line per "
                    "problem (agency, seq, kind, message) when not.")
    audit_verify.add_argument("--agency", metavar="CODE", help="one agency (default: all)")
    audit_verify.set_defaults(run=_cmd_audit_verify)

    webhook = commands.add_parser("webhook", help="an agency's webhook (document done or failed)")
    webhook_commands = webhook.add_subparsers(dest="webhook_command", required=True)
    webhook_set = webhook_commands.add_parser(
        "set", help="set the agency's callback URL and print a new signing secret once")
    webhook_set.add_argument("--agency", required=True, metavar="CODE", help="mã đơn vị")
    where = webhook_set.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="https://… receiving POSTed events")
    where.add_argument("--off", action="store_true", help="no more webhooks for this agency")
    webhook_set.set_defaults(run=_cmd_webhook_set)

    from .cli_users import add_commands as add_user_commands

    add_user_commands(commands)  # sohoa users create|disable|list|set-signer
    from .cli_batch import add_commands as add_batch_commands

    add_batch_commands(commands)  # sohoa batch submit|status
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
