# The README's commands. Each installs what it needs first (scripts/setup.sh).
.PHONY: setup run test bench models train-setup train tones clean

setup:
	@bash scripts/setup.sh

models: setup

run: setup
	.venv/bin/sohoa ocr samples/pages/*.jpg samples/pages/*.png samples/pages/*.pdf samples/pages/*.tif
	.venv/bin/sohoa process samples/pages/form-1.jpg samples/pages/dossier-2pages.pdf --out var/records
	.venv/bin/sohoa verify var/records/form-1.pdf --manifest var/records/form-1.manifest.json
	@echo "make run: the stack (Redis, S3, API, worker) runs until Ctrl-C"
	.venv/bin/sohoa up

# Two processes, each running whole test files (module fixtures stay in one process): the
# integration tests spend most of their time waiting on workers, brokers and redeliveries, so
# the other process reads pages meanwhile (14 min -> 7 min on 2 cores).
test: setup
	.venv/bin/python -m pytest -q -n 2 --dist loadfile

bench: setup
	.venv/bin/python bench/ocr.py

# What both trainings need: the `train` extra (torch, onnx) and the extra typefaces.
train-setup: setup
	.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev,train]"
	bash training/fonts.sh training/runs/fonts

# Fine-tune the fast recognizer (training/README.md); its output is reviewed and committed by hand.
train: train-setup
	SOHOA_DEV_FONT_DIRS=training/runs/fonts .venv/bin/python training/train_recognizer.py --out training/runs/latest

# Train the tone classifier (training/README.md, "The tone classifier"); committed by hand too.
TONES := training/runs/tones
tones: train-setup
	export SOHOA_DEV_FONT_DIRS=training/runs/fonts; \
	.venv/bin/python training/tones_data.py --seeds 0:16000 --out $(TONES)/train-a.npz && \
	.venv/bin/python training/tones_data.py --seeds 32000:48000 --out $(TONES)/train-c.npz && \
	.venv/bin/python training/tones_data.py --seeds 48000:64000 --out $(TONES)/train-d.npz && \
	.venv/bin/python training/tones_data.py --source pages --seeds 0:300 --out $(TONES)/train-p.npz && \
	.venv/bin/python training/tones_data.py --source forms --seeds 0:400 --out $(TONES)/train-f.npz && \
	.venv/bin/python training/tones_data.py --seeds 1000000:1015000 --split heldout --out $(TONES)/val-l.npz && \
	.venv/bin/python training/tones_data.py --source forms --seeds 200000:200060 --out $(TONES)/val-f.npz && \
	.venv/bin/python training/tones_data.py --source pages --seeds 9000:9040 --out $(TONES)/val-p.npz
	.venv/bin/python training/train_tones.py --data $(TONES) --out $(TONES)/model1 --minutes 20
	.venv/bin/python training/train_tones.py --data $(TONES) --out $(TONES)/model --minutes 15 \
		--lr 7e-4 --seed 2 --init $(TONES)/model1/best.pt

clean:
	rm -rf .venv .cache var
	git clean -fqX models/   # fetched weights only; our trained model is committed
