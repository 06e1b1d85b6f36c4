#!/usr/bin/env bash
# Set-up shared by `make run` and `make test`: Debian packages (when missing), .venv, model weights.
# Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  tesseract-ocr tesseract-ocr-vie tesseract-ocr-script-viet   # baseline OCR engine
  fonts-dejavu-core fonts-liberation2 fonts-noto-core         # Vietnamese fonts for synthetic pages
  fonts-freefont-ttf fonts-open-sans                          # only bench/heldout/ draws with these
  hunspell-vi                                                 # Vietnamese word list for synthetic text lines
  poppler-utils                                               # pdftotext / pdfinfo in tests
  qpdf libnss3-tools                                          # e-record checks: qpdf --check, certutil for pdfsig
  softhsm2                                                    # a real PKCS#11 token for signing tests
  redis-server                                                # Celery broker for `sohoa up` and tests
  postgresql                                                  # PostgreSQL 15: production-like index tests
  chromium                                                    # the desk's browser tests (Playwright drives it)
)
missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi
# The install is redone when pyproject.toml's content changes (a hash, not file times: two set-ups
# running at once must not mark an install done that the other has not finished).
stamp=.venv/.sohoa-installed
extras="${SOHOA_EXTRAS-dev}"   # the production image sets SOHOA_EXTRAS= (no test tools)
# With the dev extra comes devtools/ (package sohoa_dev: page generator, evaluation, test servers),
# a project of its own so that sohoa's wheel ships none of it.
targets=(-e ".${extras:+[$extras]}")
[[ ",$extras," == *",dev,"* && -f devtools/pyproject.toml ]] && targets+=(-e ./devtools)
wanted=$(cat pyproject.toml devtools/pyproject.toml 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "setup: installing sohoa and its dependencies into .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "${targets[@]}"
  echo "$wanted" > "$stamp"
fi

.venv/bin/python -m ocr_service.weights >/dev/null
echo "setup: ready (.venv, models/ verified)"
