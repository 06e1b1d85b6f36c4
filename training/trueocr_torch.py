"""TrueOCR's Vietnamese line recognizer rebuilt in PyTorch, so it can be fine-tuned.

The published model (``models/trueocr_rec_vi.onnx``, Apache-2.0) is small (1.06 M parameters): a
32 x 4 patch embedding of the line's middle band (the stem), a context branch that attends over
the rows of the band above, the line and the band below (it sees the neighbouring lines), ten 1-D
MobileNet-style blocks (depthwise k=9, expand to 256, squeeze-excitation over the unmasked
steps, project back, residual) and a 1 x 1 head over the CTC classes. Batch-norms are already
folded into the convolutions of the ONNX file except the stem's, which we keep as a fixed affine.

``load_onnx`` reads the weights by the ONNX graph's node names; ``write_onnx`` writes trained
weights back into a copy of the same graph, so the exported model keeps the contract the service
relies on (inputs ``x``/``widths``; outputs ``ids``/``conf``/``lengths``) without an exporter.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn
from torch.nn import functional as F

BLOCKS = 10


def _conv_inputs(graph: onnx.GraphProto) -> dict[str, list[str]]:
    """Node name -> initializer names of its weight and bias (the ONNX file's naming is mixed)."""
    return {node.name: list(node.input[1:]) for node in graph.node if node.op_type == "Conv"}


def parameter_sources(graph: onnx.GraphProto) -> dict[str, str]:
    """Our parameter name -> the initializer holding it."""
    convs = _conv_inputs(graph)
    sources: dict[str, str] = {}

    def conv(ours: str, node: str) -> None:
        names = convs[node]
        sources[f"{ours}.weight"] = names[0]
        if len(names) > 1 and names[1]:
            sources[f"{ours}.bias"] = names[1]

    conv("stem", "/rec/stem/Conv")
    conv("ctx_patch", "/rec/context/patch/Conv")
    conv("ctx_dw", "/rec/context/dw/Conv")
    conv("ctx_pw", "/rec/context/pw/Conv")
    conv("ctx_score", "/rec/context/score/Conv")
    conv("ctx_proj", "/rec/context/proj/Conv")
    sources["ctx_row_prior"] = "rec.context.row_prior"
    for i in range(BLOCKS):
        for part in ("dw", "expand", "se/fc1", "se/fc2", "project"):
            conv(f"blocks.{i}.{part.replace('/', '_')}", f"/rec/blocks.{i}/{part}/Conv")
    conv("head", "/rec/head/Conv")
    return sources


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.dw = nn.Conv1d(128, 128, 9, padding=4, groups=128)
        self.expand = nn.Conv1d(128, 256, 1)
        self.se_fc1 = nn.Conv1d(256, 64, 1)
        self.se_fc2 = nn.Conv1d(64, 256, 1)
        self.project = nn.Conv1d(256, 128, 1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor, count: torch.Tensor) -> torch.Tensor:
        h = F.hardswish(self.expand(self.dw(x)))
        squeeze = (h * mask).sum(dim=2, keepdim=True) / count
        h = h * torch.sigmoid(self.se_fc2(F.relu(self.se_fc1(squeeze))))
        return (x + self.project(h)) * mask


class TrueOcrRecognizer(nn.Module):
    """Inputs as the ONNX model: ``x`` B x 1 x 96 x W ink maps, ``widths`` B; returns the
    logits B x T x C and the valid steps per row."""

    def __init__(self, classes: int) -> None:
        super().__init__()
        self.stem = nn.Conv2d(1, 128, (32, 4), stride=(32, 4))
        self.register_buffer("stem_scale", torch.ones(128))
        self.register_buffer("stem_shift", torch.zeros(128))
        self.ctx_patch = nn.Conv2d(1, 32, 4, stride=4)
        self.ctx_dw = nn.Conv2d(32, 32, 3, padding=1, groups=32, bias=False)
        self.ctx_pw = nn.Conv2d(32, 64, 1)
        self.ctx_score = nn.Conv2d(64, 4, 1)
        self.ctx_row_prior = nn.Parameter(torch.zeros(1, 4, 24, 1))
        self.ctx_proj = nn.Conv1d(64, 128, 1)
        self.blocks = nn.ModuleList(Block() for _ in range(BLOCKS))
        self.head = nn.Conv1d(128, classes, 1)

    def _context(self, x: torch.Tensor) -> torch.Tensor:
        h = F.hardswish(self.ctx_pw(self.ctx_dw(F.hardswish(self.ctx_patch(x)))))
        attention = torch.softmax(self.ctx_score(h) + self.ctx_row_prior, dim=2)
        b, c, rows, steps = h.shape
        heads = h.reshape(b, 4, c // 4, rows, steps) * attention.unsqueeze(2)
        return self.ctx_proj(heads.sum(dim=3).reshape(b, c, steps))

    def forward(self, x: torch.Tensor, widths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.stem(x[:, :, 32:64, :]).squeeze(2) + self._context(x)
        steps = features.shape[2]
        lengths = torch.clamp((widths + 3) // 4, max=steps)
        mask = (torch.arange(steps, device=x.device)[None, :] < lengths[:, None]).float()[:, None, :]
        count = mask.sum(dim=2, keepdim=True).clamp(min=1.0)
        h = features * self.stem_scale[None, :, None] + self.stem_shift[None, :, None]
        h = F.hardswish(h) * mask
        for block in self.blocks:
            h = block(h, mask, count)
        return self.head(h).transpose(1, 2), lengths


def widen_head(net: TrueOcrRecognizer, classes: int, like: dict[int, int]) -> None:
    """Give the head ``classes`` outputs (CTC blank included), keeping the trained ones.

    A new class ``c`` starts as a copy of class ``like[c]`` (a straight quote as the curly one),
    or, without one, with zero weights and the lowest bias of the head, so that it is never the
    greedy choice before training has taught it. ``write_onnx`` writes the wider head into the
    graph: nothing downstream of the head depends on the class count.
    """
    old = net.head
    if classes <= old.out_channels:
        return
    head = nn.Conv1d(old.in_channels, classes, 1)
    with torch.no_grad():
        head.weight.zero_()
        head.bias.fill_(float(old.bias.min()))
        head.weight[: old.out_channels] = old.weight
        head.bias[: old.out_channels] = old.bias
        for new, source in like.items():
            head.weight[new] = old.weight[source]
            head.bias[new] = old.bias[source]
    net.head = head


def _initializers(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    return {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}


def load_onnx(path: Path) -> TrueOcrRecognizer:
    """The PyTorch model with the ONNX file's weights."""
    model = onnx.load(str(path))
    arrays = _initializers(model)
    classes = arrays["rec.head.weight"].shape[0]
    net = TrueOcrRecognizer(classes)
    state = {ours: torch.from_numpy(arrays[theirs].copy())
             for ours, theirs in parameter_sources(model.graph).items()}
    eps = 1e-5
    scale = arrays["rec.stem_bn.weight"] / np.sqrt(arrays["rec.stem_bn.running_var"] + eps)
    shift = arrays["rec.stem_bn.bias"] - arrays["rec.stem_bn.running_mean"] * scale
    state["stem_scale"] = torch.from_numpy(scale.astype(np.float32))
    state["stem_shift"] = torch.from_numpy(shift.astype(np.float32))
    missing, unexpected = net.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(f"weights do not match the graph: missing {missing}, unexpected {unexpected}")
    return net


def write_onnx(net: TrueOcrRecognizer, source: Path, target: Path) -> None:
    """Copy ``source``'s graph with ``net``'s weights in place of its own (the stem's batch-norm
    is written as its running statistics reset to the affine we trained)."""
    model = onnx.load(str(source))
    state = {k: v.detach().cpu().numpy() for k, v in net.state_dict().items()}
    values = {theirs: state[ours] for ours, theirs in parameter_sources(model.graph).items()}
    values["rec.stem_bn.weight"] = state["stem_scale"] * np.sqrt(1.0 + 1e-5)
    values["rec.stem_bn.bias"] = state["stem_shift"]
    values["rec.stem_bn.running_mean"] = np.zeros_like(state["stem_shift"])
    values["rec.stem_bn.running_var"] = np.ones_like(state["stem_shift"])
    for init in model.graph.initializer:
        if init.name in values:
            array = values[init.name].astype(numpy_helper.to_array(init).dtype)
            init.CopyFrom(numpy_helper.from_array(array.reshape(numpy_helper.to_array(init).shape)
                                                  if array.size == numpy_helper.to_array(init).size
                                                  else array, init.name))
    onnx.checker.check_model(model)
    onnx.save(model, str(target))
