"""Batching for GPUs: stacked model calls, pages read together, documents batched by a worker,
the provider options, and bench/gpu.py's CI mode. The rule checked throughout: the text (and
every confidence and box) is the same however pages and documents are grouped."""

from __future__ import annotations

import functools
import importlib.util
import json
import logging
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from ocr_service.config import get_settings
from ocr_service.domain import OcrLine, PageImage, PageText
from ocr_service.pipeline.ocr import build_engine, engine_from_spec
from ocr_service.pipeline.ocr.recognize import ModelCall, run_calls
from ocr_service.pipeline.ocr.runtime import SessionOptions, open_session, provider_options
from sohoa_dev.synth import degrade_page, render_page
from ocr_service.weights import model_path
from workers.batching import OcrBatcher

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def _bench_gpu():
    """bench/gpu.py as a module (bench/ is no package): its page cutter makes the short pages."""
    spec = importlib.util.spec_from_file_location("bench_gpu", ROOT / "bench" / "gpu.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


# --- stacked model calls -------------------------------------------------------------------------


class _RowSession:
    """A model whose every output row depends on its input row only (as the readers' models)."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    def run(self, outputs, feeds):
        x = feeds["x"]
        self.batches.append(len(x))
        per_row = x.sum(axis=tuple(range(1, x.ndim)))
        return [per_row * 2, np.stack([per_row, -per_row])]  # batch axes 0 and 1


def _call(width: int, rows: int, seed: int) -> ModelCall:
    x = np.random.default_rng(seed).random((rows, 3, width), dtype=np.float32)
    return ModelCall(width, rows, lambda: {"x": x})


def test_stacked_calls_give_each_call_its_own_rows():
    calls = [_call(w, r, i) for i, (w, r) in enumerate([(8, 2), (16, 1), (8, 3), (8, 1), (16, 4)])]
    alone = run_calls(_RowSession(), calls, None, (0, 1))
    session = _RowSession()
    stacked = run_calls(session, calls, None, (0, 1), merge_rows=5)
    for a, b in zip(alone, stacked):
        assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert sorted(session.batches) == [1, 5, 5]  # width 8: 2+3, then 1; width 16: 1+4


def test_without_merging_each_call_runs_alone_in_order():
    session = _RowSession()
    run_calls(session, [_call(8, 2, 0), _call(8, 3, 1)], None, (0, 1))
    assert session.batches == [2, 3]


# --- the engine: pages read together --------------------------------------------------------------


def _top(page, lines: int) -> np.ndarray:
    return _bench_gpu().first_lines(page, lines).image


@pytest.fixture(scope="module")
def pages() -> list[PageImage]:
    """Four short pages: a form head, a prose head, the form head again (equal sizes share a
    detector call) and a longer prose head."""
    form = degrade_page(render_page(21, "dev", "form", 200), 21)
    prose = degrade_page(render_page(22, "dev", "prose", 200), 22)
    images = [_top(form, 3), _top(prose, 3), _top(form, 3), _top(prose, 5)]
    return [PageImage(number=i + 1, image=image, dpi=200) for i, image in enumerate(images)]


def same_reading(got: list[PageText], want: list[PageText]) -> bool:
    """The same pages, lines, text and boxes; confidences equal to 1e-6 (rows stacked into
    one recognizer call go through other float summation orders: measured 2e-9 apart)."""
    def exact(texts: list[PageText]) -> list:
        return [(t.page, t.width, t.height, [(line.text, line.box) for line in t.lines]) for t in texts]

    def confidences(texts: list[PageText]) -> list[float]:
        return [line.confidence for t in texts for line in t.lines]

    return exact(got) == exact(want) and confidences(got) == pytest.approx(confidences(want), abs=1e-6)


@pytest.fixture(scope="module")
def one_by_one(pages) -> list[PageText]:
    engine = build_engine("ppocr")
    return [engine.recognize([page])[0] for page in pages]


@pytest.fixture(scope="module")
def batched():
    return engine_from_spec("ppocr:batch_pages=4/batch_rows=64")


def test_pages_read_together_read_as_one_by_one(pages, one_by_one, batched):
    assert all(text.lines for text in one_by_one)
    assert same_reading(batched.recognize(pages), one_by_one)


def test_shuffled_groups_read_as_one_by_one(pages, one_by_one, batched):
    order = list(range(len(pages)))
    random.Random(7).shuffle(order)
    got: dict[int, PageText] = {}
    for group in (order[:1], order[1:]):
        for text in batched.recognize([pages[i] for i in group]):
            got[text.page] = text
    assert same_reading([got[page.number] for page in pages], one_by_one)


# --- the worker batcher --------------------------------------------------------------------------


class _FakeEngine:
    """Reads a page as the value of its first pixel; remembers how many pages each call had."""

    name = "fake"
    models = {"fake": "1"}

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[int] = []
        self.fail = fail

    def recognize(self, pages: list[PageImage]) -> list[PageText]:
        self.calls.append(len(pages))
        if self.fail:
            raise RuntimeError("model broke")
        return [PageText(page.number, page.width, page.height,
                         (OcrLine(str(int(page.image[0, 0])), 1.0, ((0, 0),) * 4),))
                for page in pages]


def _document(value: int, count: int) -> list[PageImage]:
    return [PageImage(number=n + 1, image=np.full((4, 4), value + n, np.uint8), dpi=200)
            for n in range(count)]


def _read_concurrently(batcher: OcrBatcher, documents: list[list[PageImage]]) -> list:
    results: list = [None] * len(documents)

    def read(i: int) -> None:
        try:
            results[i] = batcher.read(documents[i])[1]
        except Exception as exc:  # noqa: BLE001 - handed to the test
            results[i] = exc

    threads = [threading.Thread(target=read, args=(i,)) for i in range(len(documents))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return results


def test_batcher_reads_documents_together_and_gives_each_its_pages():
    engine = _FakeEngine()
    batcher = OcrBatcher(engine, max_documents=4, wait_ms=300, clean=list)
    documents = [_document(10 * i, 1 + i % 3) for i in range(6)]
    results = _read_concurrently(batcher, documents)
    for document, texts in zip(documents, results):
        assert [t.text for t in texts] == [str(int(p.image[0, 0])) for p in document]
        assert [t.page for t in texts] == [p.number for p in document]
    assert max(batcher.batches) > 1 and max(batcher.batches) <= 4
    assert sum(batcher.batches) == 6 and sum(engine.calls) == sum(map(len, documents))


def test_batcher_waits_a_bounded_time_for_company():
    batcher = OcrBatcher(_FakeEngine(), max_documents=8, wait_ms=50, clean=list)
    start = time.monotonic()
    batcher.read(_document(1, 2))
    assert time.monotonic() - start < 1.0 and batcher.batches == [1]


def test_an_engine_failure_reaches_every_document_of_its_batch_and_the_batcher_goes_on():
    engine = _FakeEngine(fail=True)
    batcher = OcrBatcher(engine, max_documents=4, wait_ms=300, clean=list)
    results = _read_concurrently(batcher, [_document(1, 1), _document(2, 1)])
    assert all(isinstance(r, RuntimeError) for r in results)
    engine.fail = False
    assert batcher.read(_document(3, 1))[1][0].text == "3"


def test_batcher_with_the_real_engine_reads_as_one_by_one(pages, one_by_one, batched):
    batcher = OcrBatcher(batched, max_documents=2, wait_ms=500, clean=list)
    documents = [pages[:2], pages[2:]]
    results = _read_concurrently(batcher, documents)
    assert same_reading(results[0] + results[1], one_by_one)
    assert batcher.batches == [2]


# --- providers -----------------------------------------------------------------------------------


def test_tensorrt_caches_engines_under_the_data_dir_and_takes_the_fp16_flag(tmp_path):
    settings = get_settings().model_copy(update={"data_dir": tmp_path, "ocr_fp16": True})
    options = provider_options("TensorrtExecutionProvider", SessionOptions.from_settings(settings),
                               Path("models/x.onnx"))
    assert options["trt_engine_cache_enable"] and options["trt_fp16_enable"] is True
    assert options["trt_engine_cache_path"] == str(tmp_path / "trt-cache")
    cuda = provider_options("CUDAExecutionProvider", SessionOptions(), Path("x.onnx"))
    assert cuda["cudnn_conv_algo_search"] == "HEURISTIC"
    assert provider_options("CPUExecutionProvider", SessionOptions(), Path("x.onnx")) == {}


def test_auto_logs_its_choice_and_fp16_without_tensorrt_warns(caplog):
    with caplog.at_level(logging.INFO, logger="ocr_service.pipeline.ocr.runtime"):
        open_session(model_path("ppocrv6-det-small"), SessionOptions(device="auto", fp16=True))
    messages = [r.getMessage() for r in caplog.records]
    assert any("auto chose CPUExecutionProvider" in m for m in messages)
    assert any("TensorRT only" in m for m in messages)


# --- bench/gpu.py --------------------------------------------------------------------------------


def test_gpu_bench_tiny_runs_on_a_cpu_and_reports_every_figure():
    out = subprocess.run([sys.executable, "bench/gpu.py", "--tiny", "--json"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=True).stdout
    figures = json.loads(out)
    assert [b["batch"] for b in figures["batches"]] == [1, 2]
    assert figures["all_identical"] and figures["pages"] == 2
    assert figures["cer_fp32"] < 0.2 and figures["speed_vs_cpu"] > 0
    if figures["provider"] == "CPUExecutionProvider":
        assert figures["cer_fp16"] is None and figures["batches"][0]["gpu_util_mean"] is None
