#!/usr/bin/env bash
# Fetch the extra typefaces the recognizer is trained with, without installing them.
#
#   bash training/fonts.sh [DIR]          # default training/runs/fonts
#   SOHOA_DEV_FONT_DIRS=training/runs/fonts .venv/bin/python training/train_recognizer.py ...
#
# Why: until stage 4 the reader saw only DejaVu, Liberation and Noto, and on pages typeset by
# others it confused tone marks that still spell a word (Cổng/Cống, lỗi/lôi). These Debian
# packages add serif, sans, condensed and book faces that cover Vietnamese. The .deb files are
# downloaded at pinned versions with `apt-get download` and unpacked with `dpkg-deb -x`, and only
# the listed faces are copied into DIR, so the machine's own fonts (and every other generator
# run's pages) stay as they were.
#
# Left out on purpose: TeX Gyre Termes, Heros and Cursor, and URW base35's Nimbus faces. They are
# drawn from the same URW originals as FreeSerif, FreeSans and FreeMono, which only the second
# held-out generator uses (devtools/sohoa_dev/synth/render.py, HELD_OUT_KIN_PREFIXES).
set -euo pipefail

DIR=${1:-training/runs/fonts}
PACKAGES=(
  fonts-texgyre=20180621-6
  fonts-sil-gentium=20081126:1.03-4
  fonts-sil-charis=6.101-1
  fonts-sil-andika=6.101-2
  fonts-crosextra-carlito=20220224-1
  fonts-ebgaramond=0.016+git20210310.42d4f9f2-1
  fonts-roboto-unhinted=2:0~20170802-3
  fonts-linuxlibertine=5.3.0-6
  fonts-lato=2.0-2.1
  fonts-junicode=2+git20230104+ds-1
)
# Regular, bold, italic and bold italic where the family has them: a family with 20 weights
# must not outweigh one with two when a line picks a file at random.
FACES=(
  texgyrepagella-regular.otf texgyrepagella-bold.otf texgyrepagella-italic.otf texgyrepagella-bolditalic.otf
  texgyreschola-regular.otf texgyreschola-bold.otf texgyreschola-italic.otf texgyreschola-bolditalic.otf
  texgyrebonum-regular.otf texgyrebonum-bold.otf texgyrebonum-italic.otf texgyrebonum-bolditalic.otf
  texgyreadventor-regular.otf texgyreadventor-bold.otf texgyreadventor-italic.otf
  Gentium-R.ttf Gentium-I.ttf
  CharisSIL-Regular.ttf CharisSIL-Bold.ttf CharisSIL-Italic.ttf CharisSIL-BoldItalic.ttf
  Andika-Regular.ttf Andika-Bold.ttf Andika-Italic.ttf
  Carlito-Regular.ttf Carlito-Bold.ttf Carlito-Italic.ttf Carlito-BoldItalic.ttf
  EBGaramond12-Regular.otf EBGaramond12-Italic.otf
  Roboto-Regular.ttf Roboto-Bold.ttf Roboto-Italic.ttf Roboto-BoldItalic.ttf
  RobotoCondensed-Regular.ttf RobotoCondensed-Bold.ttf
  LinLibertine_R.otf LinLibertine_RB.otf LinLibertine_RI.otf LinLibertine_RZI.otf
  LinBiolinum_R.otf LinBiolinum_RB.otf LinBiolinum_RI.otf
  Lato-Regular.ttf Lato-Bold.ttf Lato-Italic.ttf Lato-BoldItalic.ttf
  JunicodeTwoBeta-Regular.otf JunicodeTwoBeta-Bold.otf JunicodeTwoBeta-Italic.otf
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download "${PACKAGES[@]}" >/dev/null)
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
mkdir -p "$DIR"
for face in "${FACES[@]}"; do
  found=$(find "$work/root" -name "$face" -print -quit)
  [ -n "$found" ] || { echo "training/fonts.sh: $face not in the packages" >&2; exit 1; }
  cp "$found" "$DIR/"
done
echo "training/fonts.sh: ${#FACES[@]} faces in $DIR"
