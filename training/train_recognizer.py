"""Fine-tune the fast line recognizer (TrueOCR) on our Vietnamese lines; export it to ONNX.

    python training/train_recognizer.py --out training/runs/r1 [--pages 300] [--lines 30000]
                                        [--minutes 60] [--lr 3e-4] [--seed 1] [--resume PT]

Starts from ``models/trueocr_rec_vi.onnx`` (its charset already holds every Vietnamese letter,
upper and lower case, with every tone mark: nothing to extend), trains every weight with CTC on
``training/data.py`` samples (dev-pool pages through the service's detector, and generated lines),
validates on the line generator's held-out split, keeps the best checkpoint, and writes
``OUT/model.onnx`` (same graph and contract as the original, our weights) and ``OUT/card.json``
(data, seed, command, metrics). Everything is deterministic by seed except thread timing. CPU
is enough (``torch.set_num_threads``); pass ``--device cuda`` where a GPU is lent.
Samples are cached in ``OUT/data-*.npz`` so a rerun or a longer run does not render them again.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sohoa_dev.evaluation import ErrorCount, char_errors, total  # noqa: E402
from training.data import (  # noqa: E402
    Sample, form_lines, generated_lines, page_lines, reader_and_encoder,
)
from training.trueocr_torch import TrueOcrRecognizer, load_onnx, widen_head, write_onnx  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HALO = 8
VAL_FORMS = 200_000
"""First seed of the validation documents (training documents are seeds 0..N-1, ``bench/fields.py
--pool dev`` tunes on 500000 and up)."""


def save_samples(path: Path, samples: list[Sample]) -> None:
    np.savez_compressed(
        path,
        inks=np.concatenate([s.ink.reshape(-1) for s in samples]),
        widths=np.array([s.ink.shape[1] for s in samples]),
        texts=np.array([s.text for s in samples]),
        labels=np.array([" ".join(map(str, s.label)) for s in samples]),
        sources=np.array([s.source for s in samples]),
    )


def load_samples(path: Path) -> list[Sample]:
    data = np.load(path)  # an npz decompresses an array at each access: take each once
    inks = data["inks"]
    out, offset = [], 0
    for width, text, label, source in zip(data["widths"], data["texts"], data["labels"], data["sources"]):
        size = 96 * int(width)
        out.append(Sample(inks[offset:offset + size].reshape(96, int(width)),
                          tuple(int(v) for v in str(label).split()), str(text), str(source)))
        offset += size
    return out


def cached(path: Path, make) -> list[Sample]:
    if path.exists():
        return load_samples(path)
    started = time.perf_counter()
    samples = list(make())
    save_samples(path, samples)
    print(f"  {path.name}: {len(samples)} samples in {time.perf_counter() - started:.0f} s", flush=True)
    return samples


def batches(samples: list[Sample], size: int, rng: random.Random) -> list[list[int]]:
    """Index batches of similar width (little padding), in random order."""
    order = sorted(range(len(samples)), key=lambda i: (samples[i].ink.shape[1], rng.random()))
    groups = [order[i:i + size] for i in range(0, len(order), size)]
    rng.shuffle(groups)
    return groups


def tensors(samples: list[Sample], chunk: list[int], device: str):
    """One model input like the service's (ink maps left-aligned, width a multiple of 8, then
    ``HALO`` zero columns), widths, and the concatenated labels with their lengths."""
    inks = [samples[i].ink for i in chunk]
    width = -(-max(ink.shape[1] for ink in inks) // 8) * 8 + HALO
    x = np.zeros((len(inks), 1, 96, width), np.float32)
    for n, ink in enumerate(inks):
        x[n, 0, :, : ink.shape[1]] = ink / 255.0
    widths = torch.tensor([ink.shape[1] for ink in inks])
    labels = torch.tensor([c for i in chunk for c in samples[i].label])
    label_lengths = torch.tensor([len(samples[i].label) for i in chunk])
    return torch.from_numpy(x).to(device), widths.to(device), labels, label_lengths


def greedy(logits: torch.Tensor, lengths: torch.Tensor) -> list[list[int]]:
    best = logits.argmax(-1).cpu().numpy()
    out = []
    for row, steps in zip(best, lengths.cpu().numpy()):
        path = row[:steps]
        keep = (path != 0) & np.append(True, path[1:] != path[:-1])
        out.append([int(c) for c in path[keep]])
    return out


def evaluate(net: TrueOcrRecognizer, samples: list[Sample], encoder, device: str) -> float:
    """Micro-averaged CER of greedy decoding on ``samples``; printed per source kind too
    (generated lines, form lines)."""
    net.eval()
    counts: dict[str, list[ErrorCount]] = {}
    with torch.no_grad():
        for chunk in batches(samples, 64, random.Random(0)):
            x, widths, _, _ = tensors(samples, chunk, device)
            logits, lengths = net(x, widths)
            for i, ids in zip(chunk, greedy(logits, lengths)):
                kind = samples[i].source.split(":")[0]
                counts.setdefault(kind, []).append(char_errors(encoder.decode(ids), samples[i].text))
    net.train()
    if len(counts) > 1:
        print("  " + ", ".join(f"{kind} CER {total(c).rate:.4%}" for kind, c in sorted(counts.items())),
              flush=True)
    return total([count for of_kind in counts.values() for count in of_kind]).rate


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--init", type=Path, default=ROOT / "models" / "trueocr_rec_vi.onnx")
    parser.add_argument("--pages", type=int, default=300, help="dev-pool pages (seeds 0..N-1)")
    parser.add_argument("--lines", type=int, default=30000, help="generated-line seeds 0..N-1")
    parser.add_argument("--val-lines", type=int, default=4000, help="held-out generated-line seeds scanned")
    parser.add_argument("--forms", type=int, default=0,
                        help="filled dev-pool documents (seeds 0..N-1) through the detector")
    parser.add_argument("--val-forms", type=int, default=0,
                        help="filled dev-pool documents for validation (seeds 200000..)")
    parser.add_argument("--minutes", type=float, default=60.0, help="training time budget")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--eval-every", type=int, default=300, help="steps between validations")
    parser.add_argument("--resume", type=Path, help="start from this checkpoint (a best.pt)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--device", default="cpu")
    return parser.parse_args(argv)


def _line_fonts() -> list[str]:
    """The font files generated lines were drawn with (system fonts and ``SOHOA_DEV_FONT_DIRS``)."""
    from sohoa_dev.synth.lines import vietnamese_fonts

    return [path.name for path in vietnamese_fonts()]


def main(argv=None) -> int:
    args = parse_args(argv)
    command = shlex.join([sys.executable, *(sys.argv if argv is None else ["training/train_recognizer.py", *argv])])
    args.out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    reader, encoder = reader_and_encoder()
    print("# data", flush=True)
    val = cached(args.out / f"data-val-{args.val_lines}.npz",
                 lambda: generated_lines(range(1_000_000, 1_000_000 + args.val_lines), reader, encoder, "heldout"))
    train = cached(args.out / f"data-pages-{args.pages}.npz",
                   lambda: page_lines(range(args.pages), reader, encoder))
    if args.forms:
        train += cached(args.out / f"data-forms-{args.forms}.npz",
                        lambda: form_lines(range(args.forms), reader, encoder))
    if args.val_forms:
        val += cached(args.out / f"data-val-forms-{args.val_forms}.npz",
                      lambda: form_lines(range(VAL_FORMS, VAL_FORMS + args.val_forms), reader, encoder))
    if args.lines:
        train += cached(args.out / f"data-lines-{args.lines}.npz",
                        lambda: generated_lines(range(args.lines), reader, encoder))
    print(f"# train {len(train)} samples, validate on {len(val)}", flush=True)

    net = load_onnx(args.init)
    charset = encoder.charset
    widen_head(net, len(charset) + 1, like={charset.index('"') + 1: charset.index("“") + 1})
    net = net.to(args.device)
    if args.resume:
        net.load_state_dict(torch.load(args.resume))
    start_cer = evaluate(net, val, encoder, args.device)
    print(f"# held-out line CER before: {start_cer:.4%}", flush=True)
    optimizer = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    rng = random.Random(args.seed)
    started = time.monotonic()
    deadline = started + args.minutes * 60
    best, best_step, step, history = start_cer, 0, 0, [(0, start_cer)]
    torch.save(net.state_dict(), args.out / "best.pt")
    epoch = 0
    while time.monotonic() < deadline:
        epoch += 1
        for chunk in batches(train, args.batch, rng):
            x, widths, labels, label_lengths = tensors(train, chunk, args.device)
            logits, lengths = net(x, widths)
            log_probs = F.log_softmax(logits, -1).transpose(0, 1)
            loss = F.ctc_loss(log_probs, labels, lengths.cpu(), label_lengths, blank=0,
                              zero_infinity=True)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            # linear warm-up over the first 200 steps (the start is a trained model), then a
            # cosine decay to zero over the time budget (the budget, not a step count, is fixed)
            progress = min(1.0, (time.monotonic() - started) / (deadline - started))
            for group in optimizer.param_groups:
                group["lr"] = (args.lr * min(1.0, (step + 1) / 200)
                               * 0.5 * (1 + math.cos(math.pi * progress)))
            optimizer.step()
            step += 1
            if step % 50 == 0:
                print(f"  epoch {epoch} step {step} loss {loss.item():.4f}", flush=True)
            if step % args.eval_every == 0 or time.monotonic() >= deadline:
                cer = evaluate(net, val, encoder, args.device)
                history.append((step, cer))
                print(f"# step {step}: held-out line CER {cer:.4%} (best {best:.4%})", flush=True)
                if cer < best:
                    best, best_step = cer, step
                    torch.save(net.state_dict(), args.out / "best.pt")
            if time.monotonic() >= deadline:
                break

    net.load_state_dict(torch.load(args.out / "best.pt"))
    write_onnx(net.cpu(), args.init, args.out / "model.onnx")
    card = {
        "command": command, "seed": args.seed, "init": args.init.name,
        "resumed_from": str(args.resume) if args.resume else None,
        "data": {"train_samples": len(train), "pages": f"dev pool seeds 0..{args.pages - 1}",
                 "lines": f"synth.lines train-split seeds 0..{args.lines - 1}",
                 "forms": f"synth.forms dev pool seeds 0..{args.forms - 1}" if args.forms else None,
                 "validation_forms": (f"synth.forms dev pool seeds {VAL_FORMS}.."
                                      f"{VAL_FORMS + args.val_forms - 1}" if args.val_forms else None),
                 "validation": f"synth.lines held-out-split seeds 1000000..{1_000_000 + args.val_lines - 1}"},
        "steps": step, "best_step": best_step, "batch": args.batch, "lr": args.lr,
        "heldout_line_cer_before": start_cer, "heldout_line_cer_after": best, "history": history,
        "torch": torch.__version__, "charset": charset, "fonts": _line_fonts(),
    }
    (args.out / "card.json").write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps({k: card[k] for k in ("heldout_line_cer_before", "heldout_line_cer_after", "best_step")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
