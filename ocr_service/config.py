"""The one Settings object, declared in typed sections. Every knob is an environment variable with
the prefix ``SOHOA_`` (the names stay flat: ``SOHOA_S3_ENDPOINT``, not a nested name).

``Settings`` is all the sections at once, so it can be passed wherever a section is asked for; a
module types its parameter by the section it reads (``IntakeLimits`` for intake, ``TaskSettings``
for the workers' limits ...), which says what it depends on.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class ServiceSettings(BaseModel):
    """Where the service keeps its data and listens."""

    data_dir: Path = Path("./var")
    host: str = "127.0.0.1"
    port: int = 8000
    """Where ``sohoa serve`` listens (loopback by default: put a TLS proxy in front)."""
    database_url: str | None = None
    """SQLAlchemy URL of the index (PostgreSQL in production); default: DATA_DIR/index.sqlite3."""
    models_dir: Path = Field(default=REPO_ROOT / "models")
    """Folder holding the weight files named in ``models/manifest.yaml``."""
    public_url: str = "http://127.0.0.1:8000"
    """Base of every printed URL: a record's QR code leads to ``PUBLIC_URL/v/{record_id}``, the
    public verification page (no key needed), so set it to the address citizens can reach."""


class IntakeLimits(BaseModel):
    """Intake and request limits: what is refused before it is decoded or read whole
    (``pipeline/intake.py``, ``batch_intake.py``, ``api/limits.py``)."""

    max_upload_bytes: int = 100 * 1024 * 1024
    max_pages: int = 500
    max_page_pixels: int = 80_000_000
    """About A3 at 600 dpi; larger pages are decompression bombs or mistakes."""
    max_document_pixels: int = 4_500_000_000
    """Work budget of one document: decoded pixels of all its pages together (500 A4 pages at
    300 dpi, 125 at 600 dpi). Checked from headers and page sizes before any page is decoded; a
    larger document is refused as ``too_large`` (split it). Memory has no budget of its own:
    pages are decoded one at a time (``pipeline/pages.py``), each within ``max_page_pixels``."""
    max_render_pixels: int = 36_000_000
    """Largest born-digital PDF page (no scan image in it) rendered at ``pdf_render_dpi``: A2 at
    300 dpi fits. A rendered page's pixels cost nothing in the file, so a 1 KB PDF can ask for
    gigabytes; larger sheets are refused as ``too_large``."""
    max_request_bytes: int = 1 << 20
    """Largest body of a route without an upload (JSON), refused while it streams in."""
    max_batch_bytes: int = 2 << 30
    """Largest ZIP body of ``POST /v1/batches``, refused while it streams in."""
    max_batch_entries: int = 10_000
    """Most files (manifest included) in a batch ZIP."""
    max_batch_uncompressed_bytes: int = 8 << 30
    """Most bytes a batch ZIP's files may expand to, all together (ZIP bombs)."""
    max_batch_ratio: int = 100
    """Most a file of a batch ZIP may expand, uncompressed over compressed size (ZIP bombs);
    scans are compressed already and barely shrink in a ZIP."""
    max_batch_queued_pages: int = 20_000
    """Pages of an agency's batches that may wait for the workers at once; a batch that would
    pass it is answered 429 with ``Retry-After`` (counter work is never held by it)."""
    pdf_render_dpi: int = 300
    """Resolution at which born-digital PDF pages (no embedded scan image) are rendered."""


class OcrSettings(BaseModel):
    """How pages are read (``pipeline/ocr/``); those not in ``workers.results.SPEED_ONLY``
    are part of the cached OCR results' key."""

    ocr_engine: Literal["ppocr", "tesseract"] = "ppocr"
    ocr_device: Literal["auto", "cpu", "cuda", "tensorrt"] = "auto"
    ocr_threads: int = 0
    """onnxruntime intra-op threads; 0 lets onnxruntime choose (one per core)."""
    ocr_page_workers: int = 2
    """Pages of one call read concurrently (threads sharing the models, their intra-op threads
    not spinning). Two on 2 cores, with onnxruntime's threads left at one per core: 0.60 ->
    0.49 s a page on `dev` pages (one page alone reads as fast: the other worker's cores are
    not held by spinning threads). 1 reads pages one after another."""
    ocr_page_chunk: int = 4
    """Pages decoded, cleaned and read together (one engine call) before they go to disk: the
    pixels a reading holds at once."""
    ocr_recognizer: Literal["fused", "accurate", "fast"] = "fast"
    """How the ppocr engine reads lines: see ``ocr_service.pipeline.ocr.ppocr``."""
    ocr_fast_model: Literal["sohoa-rec-vi", "trueocr-rec-vi"] = "sohoa-rec-vi"
    """The fast reader's weights: ours (``sohoa-rec-vi``, fine-tuned by ``training/``; the
    default since it wins on page CER and on fields on both held-out generators, README,
    Benchmarks) or the published TrueOCR ones."""
    ocr_second_reader: Literal["", "sohoa-rec-vi", "trueocr-rec-vi"] = ""
    """A second fast reader whose surer words replace the first's (``fusion.second_opinion``);
    empty for none."""
    ocr_tone_model: Literal["", "sohoa-tone-vi"] = "sohoa-tone-vi"
    """The fast reader's unsure vowels get a second look at the page's full resolution
    (``ocr/tones.py``); empty turns it off."""
    ocr_tone_check_below: float = 0.99
    """Vowels the fast reader read with a lower probability are looked at by the tone judge (and
    every capital vowel, "ă" and circumflex letter read with an acute, a hook above or no tone,
    whatever its probability)."""
    ocr_tone_sure: float = 0.8
    """The tone judge's probability needed to replace the reader's tone. 0.8 has the fewest tone
    errors on the model card's validation grid; a change that would leave a word no syllable is
    refused whatever the probability (``tones.keeps_syllables``)."""
    ocr_reread_below: float = 0.85
    """``fused``: words holding a character below this probability are read again accurately."""
    ocr_det_model: Literal["auto", "ppocrv6-det-small", "ppocrv6-det-small-int8"] = "auto"
    """The text detector's weights: the published float ones, or the same quantized to int8 by
    ``training/quantize_detector.py`` (0.7x the detection time on our CPUs, same field accuracy,
    docs/benchmarks.md). ``auto``: int8 where the models run on the CPU, float on a GPU (its
    providers would run the int8 graph's conversions, not int8 kernels)."""
    ocr_det_limit_side: int = 1600
    """Longest side (pixels) of the page image fed to the text detector. 1280 was tried with our
    reader (docs/benchmarks.md): two thirds of the detection time and as good on ``dev`` pages,
    but on the held-out forms it lost fields (second generator 96.7 % -> 95.2 % right), so 1600
    stays."""
    ocr_rec_batch_size: int = 16
    """Most line pieces of similar width per recognizer call."""
    ocr_rec_batch_columns: int = 2048
    """Most input columns per accurate-recognizer call: on a CPU long lines run fastest one at a
    time (measured: 8 per call was 1.9x slower) while short words gain from sharing a call; GPUs
    want this much larger."""
    ocr_batch_pages: int = 1
    """ppocr: above 1, the pages of one call are read together (GPU): up to this many pages of
    equal size per detector call; same text as page by page (see ``ocr/ppocr.py``)."""
    ocr_batch_rows: int = 256
    """With ``ocr_batch_pages`` > 1: most rows per stacked recognizer call."""
    ocr_fp16: bool = False
    """TensorRT only: let it run layers in fp16 (see ``ocr/runtime.py``; bench/gpu.py measures
    the CER both ways)."""
    ocr_batch_documents: int = 0
    """OCR workers: above 0, the ``ocr`` task reads up to this many documents' pages in one
    engine call (``workers/batching.py``); 0 (default) reads each document on its own."""
    ocr_batch_wait_ms: int = 50
    """How long the worker batcher waits for more documents before it reads what it has."""


class ExtractSettings(BaseModel):
    """``POST /v1/extract`` in child processes (``pipeline/isolated.py``) and field checks."""

    extract_processes: int = Field(default=1, ge=0)
    """Child processes reading ``/v1/extract`` documents at once, each loading the OCR engine
    once. 0 reads in the API process itself: for tests that run the app in-process only (one
    document could then take the API down)."""
    extract_queue: int = Field(default=8, ge=0)
    """``/v1/extract`` requests that may wait for a free child besides those being read; more
    are answered 503 ``extract_busy`` with ``Retry-After``."""
    extract_memory_bytes: int = Field(default=3 << 30, ge=1 << 28)
    """Writable memory of one child (``RLIMIT_DATA``): past it the request answers 422
    ``too_large`` and the child is replaced. A two-page A4 PDF read with ``ppocr`` peaks at
    1.2 GiB of it (0.8 GiB resident); 3 GiB leaves room for a few more pages and more cores."""
    extract_time_limit: float = Field(default=120, gt=0)
    """Seconds one ``/v1/extract`` document may be read (waiting for a child not included); past
    it the child is killed and the request answers 422 ``extract_timeout``. Two A4 pages take
    about 4 s on two cores: 120 s is about 60 pages, more than a counter's document."""
    extract_review_below: float = 0.80
    """A field read with a lower mean character confidence is marked for review."""


class StorageSettings(BaseModel):
    """Storage (S3: MinIO in production, SeaweedFS in development) and the Celery broker."""

    s3_endpoint: str | None = None
    """``host:port`` of the S3 server; None: not configured (``sohoa up`` starts SeaweedFS)."""
    s3_access_key: str | None = None
    s3_secret_key: SecretStr | None = None
    s3_secure: bool = False
    s3_region: str | None = None
    """None lets the SDK ask the server once per bucket."""
    raw_bucket: str = "sohoa-raw"
    """Each upload as received, content-addressed, versioned."""
    records_bucket: str = "sohoa-records"
    """Signed e-records and manifests under object lock (created with it)."""
    retention_days: int = 3650
    """COMPLIANCE retention of each e-record: nobody can delete it before this many days."""
    redis_url: str | None = None
    """Celery broker; None: not configured (``sohoa up`` starts Redis). Never logged."""
    s3_timeout: float | None = None
    """Seconds S3 has to connect or to answer, in each of a call's ``S3_TRIES`` tries; past it
    the call fails as ``storage_unavailable``, which the workers retry. Default: a sixth of
    ``SOHOA_TASK_TIME_LIMIT``, at most ``S3_TIMEOUT_MAX``, so that a stalled S3 (a server
    restarting, a proxy holding the connection) ends the call well inside a stage, instead of
    the stage's time limit failing the document as ``took_too_long`` (checked at start)."""


S3_TRIES = 3
"""Tries of one S3 call (``store/objects.py``: the first and two retries)."""
S3_TIMEOUT_MAX = 120.0
"""The longest ``s3_timeout`` derived from the stage limit (the production default)."""


class TaskSettings(BaseModel):
    """The workers' time limits, retries and dead-lettering, and the sweeper (``workers/``,
    ``sweeper.py``)."""

    task_time_limit: int = 3600
    """The longest one stage of one document may run, in seconds (Celery's soft time limit; the
    hard one, which kills the worker process, is ``task_hard_time_limit``). A stage past it fails
    its document with ``took_too_long``. An hour lets the largest allowed document through: 500
    pages in the slowest reader, ``accurate``, take about 1,800 s on two idle CPU cores (0.28
    pages/s, see docs/benchmarks.md; the default ``fast`` about 300 s), so twice that covers a
    loaded machine."""
    task_visibility_timeout: int = 3900
    """Seconds after which the broker hands a task that nobody acknowledged to another worker
    (its worker died). It must be longer than ``task_hard_time_limit``: a task still running
    when it passes is handed to a second worker, which runs it again at the same time (checked
    at start). The price of a long one: a killed worker's task comes back only after it."""
    sweep_interval: float = 60
    """``sohoa serve``: seconds between two sweeps for documents left behind (``sweeper.py``);
    0 turns the sweeper off."""
    audit_anchor_interval: float = 3600
    """``sohoa serve`` (its sweeper thread): seconds between two anchors of the audit chain heads
    outside the database (``store/audit.py``: a locked object in the records bucket, written when
    a head moved); a rewrite of the index is found up to the last anchor. 0 turns it off."""
    sweep_queued_after: int = 120
    """A document ``queued`` this long and never handed to the broker (it was down when the
    document was accepted) is queued by the sweeper."""
    sweep_handed_over_after: int = 86_400
    """A document handed to the broker this long ago and still ``queued``: the broker lost its
    message (restarted without its data), and the sweeper queues it again. A long queue waits
    less: the largest batch backlog allowed (``max_batch_queued_pages``, 20,000 pages) takes
    about 8 hours on one two-core worker."""
    sweep_processing_after: int = 4500
    """A document ``processing`` with no change this long lost its task: past the visibility
    timeout, when the broker would have handed a dead worker's task on itself (checked at
    start: a shorter one would queue a second copy of every long task still running)."""
    task_max_lost: int = 3
    """Deliveries of one stage that may end without finishing (the worker died) before the
    document is ``failed`` and its job ``dead``: one bad upload must not crash-loop workers."""
    task_max_retries: int = 12
    """Retries of a task that failed for a passing reason (S3 or database unreachable): with
    the backoff below, about six minutes of outage are ridden out before a document fails."""
    task_retry_backoff_max: int = 120
    """Most seconds between two retries (exponential backoff with full jitter up to this);
    keep it below the visibility timeout, or a waiting retry is also delivered again."""
    webhook_timeout: float = 10.0
    """Seconds a webhook receiver has to answer before the call is retried."""

    @property
    def task_hard_time_limit(self) -> int:
        """Celery's hard time limit: a little after the soft one (a tenth, 2 to 60 s), time for
        the stage to record its ``took_too_long`` failure before its process is killed."""
        return self.task_time_limit + max(2, min(60, self.task_time_limit // 10))

    @model_validator(mode="after")
    def _task_times_in_order(self) -> Self:
        """Time limit < visibility timeout < sweep of ``processing`` documents: otherwise a task
        still running is handed to a second worker, or queued again by the sweeper."""
        if self.task_time_limit < 1:
            raise ValueError("SOHOA_TASK_TIME_LIMIT must be at least 1 second")
        if self.task_visibility_timeout <= self.task_hard_time_limit:
            raise ValueError(
                f"SOHOA_TASK_VISIBILITY_TIMEOUT ({self.task_visibility_timeout} s) must be longer "
                f"than the hard time limit of a task ({self.task_hard_time_limit} s, from "
                f"SOHOA_TASK_TIME_LIMIT={self.task_time_limit}); otherwise a task still running "
                "is handed to a second worker")
        if self.sweep_processing_after <= self.task_visibility_timeout:
            raise ValueError(
                f"SOHOA_SWEEP_PROCESSING_AFTER ({self.sweep_processing_after} s) must be longer "
                f"than SOHOA_TASK_VISIBILITY_TIMEOUT ({self.task_visibility_timeout} s); otherwise "
                "the sweeper queues again documents whose task is still running")
        return self


class AccountSettings(BaseModel):
    """Staff accounts and their sessions (``store/users.py``, ``api/routers/session.py``)."""

    password_min_length: int = 12
    """Shortest password ``sohoa users create`` accepts."""
    login_max_failures: int = 5
    """Wrong passwords in a row after which an account is locked for ``login_lockout_minutes``."""
    login_lockout_minutes: int = 15
    session_idle_minutes: int = 30
    """A session unused this long ends (the desk logs the clerk out)."""
    session_max_hours: int = 12
    """A session ends this long after login however busy it is (one working day)."""
    cookie_secure: bool = False
    """Mark the session cookie ``Secure`` even when the request reached us over plain HTTP (a TLS
    proxy in front that does not forward the scheme); it is always set over HTTPS."""


class RecordSettings(BaseModel):
    """E-records: who converts and signs, and whom a verifier trusts (``signers.py``,
    ``pipeline/sign*.py``). Passwords and the PIN are ``SecretStr``: never printed or logged."""

    system_name: str = "sohoa"
    """The information system named in each record's QR code."""
    converting_unit: str = "Trung tâm Phục vụ hành chính công tỉnh Thử Nghiệm (THỬ NGHIỆM)"
    """Đơn vị chuyển đổi printed in the conversion mark."""
    pki_dir: Path | None = None
    """Development/test PKI used when no real signer is configured (default: DATA_DIR/pki)."""
    sign_level: Literal["B-B", "B-T", "B-LT", "B-LTA"] = "B-T"
    tsa_url: str | None = None
    """RFC 3161 timestamp authority; unset in development: the test PKI's in-process TSA."""
    sign_digitizer_p12: Path | None = None
    sign_digitizer_password: SecretStr | None = None
    sign_agency_p12: Path | None = None
    sign_agency_password: SecretStr | None = None
    sign_pkcs11_module: Path | None = None
    """PKCS#11 library of a signing token (USB token, HSM); keys named by ``sign_*_key``."""
    sign_pkcs11_token: str | None = None
    sign_pkcs11_pin: SecretStr | None = None
    sign_digitizer_key: str | None = None
    """Label of the digitizer's key on the token (instead of ``sign_digitizer_p12``)."""
    sign_digitizer_cert: Path | None = None
    """PEM certificate chain of a token key, for tokens that hold keys only."""
    sign_agency_key: str | None = None
    sign_agency_cert: Path | None = None
    sign_agency_name: str | None = None
    """Agency name in the agency signature's text (default: ``converting_unit``)."""
    trust_roots: list[Path] = []
    """PEM files of the root CAs a record's signatures must chain to (the Vietnamese national root
    CAs in production); empty in development: the test PKI's root."""


class Settings(ServiceSettings, IntakeLimits, OcrSettings, ExtractSettings, StorageSettings,
               TaskSettings, AccountSettings, RecordSettings, BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOHOA_", extra="ignore")

    @model_validator(mode="after")
    def _s3_waits_inside_a_stage(self) -> Self:
        """``s3_timeout`` from the stage time limit when unset; refused when all the tries of
        one call could outlast a stage."""
        if self.s3_timeout is None:
            self.s3_timeout = min(S3_TIMEOUT_MAX, self.task_time_limit / 6)
        elif not 0 < S3_TRIES * self.s3_timeout < self.task_time_limit:
            raise ValueError(
                f"SOHOA_S3_TIMEOUT ({self.s3_timeout:g} s) must be above 0 and its {S3_TRIES} "
                f"tries shorter than SOHOA_TASK_TIME_LIMIT ({self.task_time_limit} s); otherwise "
                "a stalled S3 fails documents as took_too_long instead of being retried")
        return self

    @property
    def pki_folder(self) -> Path:
        return self.pki_dir or self.data_dir / "pki"


@lru_cache
def get_settings() -> Settings:
    return Settings()
