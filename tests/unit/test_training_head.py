"""Widening the reader's head for added classes keeps what it learnt (needs the `train` extra)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from training.trueocr_torch import TrueOcrRecognizer, widen_head  # noqa: E402


def test_added_classes_leave_the_old_outputs_alone_and_never_win_untrained():
    torch.manual_seed(0)
    net = TrueOcrRecognizer(5).eval()
    x, widths = torch.rand(2, 1, 96, 64), torch.tensor([64, 40])
    before, _ = net(x, widths)
    widen_head(net, 8, like={6: 2})
    after, _ = net(x, widths)
    assert after.shape[-1] == 8
    assert torch.allclose(after[..., :5], before, atol=1e-6)
    assert torch.allclose(after[..., 6], before[..., 2], atol=1e-6)  # a copy of its look-alike
    assert (after[..., 7] <= before.max(-1).values).all()  # zero weights, the lowest bias
    widen_head(net, 6, like={})  # never narrows
    assert net.head.out_channels == 8
