"""Train the tone classifier ``sohoa-tone-vi`` (``ocr_service.pipeline.ocr.tones``) on the crops
``training/tones_data.py`` cut, and export it to ONNX.

    python training/train_tones.py --data training/runs/tones --out training/runs/tones/model \
        --minutes 15

A small CNN (four convolution stages, about 17 M multiply-adds a crop) from scratch with two
heads on the same features: the crop's tone (six classes) and its letter mark (none, breve,
circumflex, horn: "TẠP" read for "TẬP"). The crops are 64 x 48. Crops are shifted by up to 3 pixels sideways while
training (the reader's position of a letter moves by about that much). The best checkpoint on the
validation crops (lines of the generator's held-out split) is exported with softmax outputs
``prob`` (tones) and ``mark``; ``card.json`` records the data, steps and validation figures, among
them the tone and mark errors left where the judge would act, for each ``(check_below, sure)``
pair, so the service's defaults can be read off it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ocr_service.pipeline.ocr.tones import FAMILIES, MARKS, TONES, marks_of  # noqa: E402

TONE_COUNT = len(TONES)
MARK_COUNT = len(MARKS)
VALID_MARKS = np.array([[mark in marks_of(family) for mark in range(MARK_COUNT)]
                        for family in FAMILIES])
"""Which letter marks each letter family (a e i o u y, as ``vowels`` labels them) takes: the
service's own table (``tones.marks_of``), so training and judging mask the same classes."""
SHIFT = 3


class ToneNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()

        def block(a: int, b: int) -> list[nn.Module]:
            return [nn.Conv2d(a, b, 3, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU()]

        self.features = nn.Sequential(
            *block(1, 16), nn.MaxPool2d(2),            # 32 x 24
            *block(16, 32), nn.MaxPool2d(2),           # 16 x 12
            *block(32, 64), *block(64, 64), nn.MaxPool2d(2),  # 8 x 6
            *block(64, 96), nn.MaxPool2d(2),           # 4 x 3
        )
        self.shared = nn.Sequential(nn.Flatten(), nn.Dropout(0.2))
        self.head = nn.Linear(96 * 4 * 3, TONE_COUNT)
        self.mark_head = nn.Linear(96 * 4 * 3, MARK_COUNT)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        shared = self.shared(self.features(x))
        return self.head(shared), self.mark_head(shared)


class WithSoftmax(nn.Module):
    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        tone, mark = self.net(x)
        return torch.softmax(tone, dim=1), torch.softmax(mark, dim=1)


def load(paths: list[Path]) -> dict[str, np.ndarray]:
    parts = [np.load(p) for p in paths]
    keys = ("crops", "tone", "read", "prob", "mark", "read_mark", "family")
    return {k: np.concatenate([p[k] for p in parts]) for k in keys}


def shifted(batch: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Each crop moved sideways by -SHIFT..SHIFT columns, paper (0) filling in."""
    out = torch.zeros_like(batch)
    for i, s in enumerate(rng.integers(-SHIFT, SHIFT + 1, len(batch))):
        if s >= 0:
            out[i, :, :, s:] = batch[i, :, :, : batch.shape[3] - s]
        else:
            out[i, :, :, :s] = batch[i, :, :, -s:]
    return out


def predict(net: nn.Module, crops: np.ndarray, family: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Tone probabilities, and letter-mark probabilities over the marks each crop's letter
    family takes (as the service reads them)."""
    net.eval()
    tones, marks = [], []
    with torch.no_grad():
        for i in range(0, len(crops), 1024):
            x = torch.from_numpy(crops[i : i + 1024].astype(np.float32) / 255.0)[:, None]
            tone, mark = WithSoftmax(net)(x)
            tones.append(tone.numpy())
            marks.append(mark.numpy())
    mark = np.concatenate(marks) * VALID_MARKS[family.astype(np.int64)]
    return np.concatenate(tones), mark / np.maximum(mark.sum(1, keepdims=True), 1e-9)


def judged(truth: np.ndarray, read: np.ndarray, reader_prob: np.ndarray, probs: np.ndarray,
           check_below: float, sure: float) -> dict:
    """What the judge would do on the validation vowels (their tones, or their letter marks):
    errors before and after, and how many it looked at, mended and spoiled."""
    best, top = probs.argmax(1), probs.max(1)
    act = (reader_prob < check_below) & (top >= sure) & (best != read)
    final = np.where(act, best, read)
    return {"checked": int((reader_prob < check_below).sum()),
            "errors_before": int((read != truth).sum()),
            "errors_after": int((final != truth).sum()),
            "mended": int((act & (read != truth) & (best == truth)).sum()),
            "spoiled": int((act & (read == truth)).sum())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True,
                        help="folder with train-*.npz and val*.npz from tones_data.py")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--minutes", type=float, default=15)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--init", type=Path,
                        help="a best.pt to go on from (a second, shorter run at a lower --lr)")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    train_files = sorted(args.data.glob("train-*.npz"))
    val_files = sorted(args.data.glob("val*.npz"))
    train, val = load(train_files), load(val_files)
    net = ToneNet()
    if args.init:
        net.load_state_dict(torch.load(args.init))
    optimizer = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    deadline = time.monotonic() + 60 * args.minutes
    step, best_errors, history = 0, None, []
    args.out.mkdir(parents=True, exist_ok=True)
    while time.monotonic() < deadline:
        net.train()
        order = rng.permutation(len(train["tone"]))
        for start in range(0, len(order), args.batch):
            left = (deadline - time.monotonic()) / (60 * args.minutes)
            fraction = min(1.0, 1.0 - left)
            for group in optimizer.param_groups:
                group["lr"] = args.lr * 0.5 * (1 + np.cos(np.pi * fraction))
            idx = order[start : start + args.batch]
            x = torch.from_numpy(train["crops"][idx].astype(np.float32) / 255.0)[:, None]
            y = torch.from_numpy(train["tone"][idx].astype(np.int64))
            y_mark = torch.from_numpy(train["mark"][idx].astype(np.int64))
            tone, mark = net(shifted(x, rng))
            loss = loss_fn(tone, y) + loss_fn(mark, y_mark)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step % 500 == 0 or time.monotonic() >= deadline:
                probs, marks = predict(net, val["crops"], val["family"])
                errors = int((probs.argmax(1) != val["tone"]).sum())
                errors += int((marks.argmax(1) != val["mark"]).sum())
                history.append({"step": step, "loss": round(loss.item(), 4), "val_errors": errors})
                print(history[-1], flush=True)
                if best_errors is None or errors < best_errors:
                    best_errors = errors
                    torch.save(net.state_dict(), args.out / "best.pt")
                net.train()
            if time.monotonic() >= deadline:
                break
    net.load_state_dict(torch.load(args.out / "best.pt"))
    probs, marks = predict(net, val["crops"], val["family"])
    cells = [(c, s) for c in (0.9, 0.95, 0.98, 0.99, 1.01) for s in (0.6, 0.8, 0.9, 0.95, 0.98)]
    grid = [{"check_below": c, "sure": s,
             **judged(val["tone"], val["read"], val["prob"], probs, c, s)} for c, s in cells]
    mark_grid = [{"check_below": c, "sure": s,
                  **judged(val["mark"], val["read_mark"], val["prob"], marks, c, s)}
                 for c, s in cells]
    for row in grid + mark_grid:
        print(row)
    export = WithSoftmax(net).eval()
    torch.onnx.export(export, torch.zeros(1, 1, 64, 48), str(args.out / "model.onnx"),
                      input_names=["x"], output_names=["prob", "mark"],
                      dynamic_axes={"x": {0: "n"}, "prob": {0: "n"}, "mark": {0: "n"}},
                      opset_version=17,
                      dynamo=False)
    card = {
        "command": "python training/train_tones.py " + " ".join(
            f"--{k} {v}" for k, v in vars(args).items()),
        "data": {"train_files": [p.name for p in train_files],
                 "validation_files": [p.name for p in val_files],
                 "train_vowels": int(len(train["tone"])),
                 "validation_vowels": int(len(val["tone"]))},
        "steps": step, "history": history, "validation_tone_errors": best_errors,
        "judge_grid": grid, "mark_grid": mark_grid, "torch": torch.__version__,
        "init_command": (json.loads((args.init.parent / "card.json").read_text())["command"]
                         if args.init else None),
    }
    (args.out / "card.json").write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out / 'model.onnx'}")


if __name__ == "__main__":
    main()
