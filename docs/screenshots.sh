#!/usr/bin/env bash
# Regenerates the README's pictures of `leadscore export` on the shipped sample (data/leads.csv,
# scored with the shipped model in models/):
#
#   docs/img/export-page.png      the HTML page (--format html) as headless Chromium shows it,
#                                 the top 1280×1700 pixels: summary, chart, tiers, whale curve
#   docs/img/export-workbook.png  the workbook (--format xlsx): LibreOffice prints it to PDF, each
#                                 sheet on one page (an A4 page would show three columns), and
#                                 pdftoppm turns the top-left 1400×700 of the first page, the
#                                 Leads sheet, into a PNG at 110 dpi
#
# Usage: bash docs/screenshots.sh   (from anywhere; builds the release binary first)
#
# Needs Debian's chromium, libreoffice-calc and poppler-utils (pdftoppm), and a font; when one is
# missing and this runs as root, it installs them with apt-get. The pictures depend on the fonts
# and the browser's version, so no test compares them byte for byte: rerun this after changing
# what the page or the workbook shows, look at the two PNGs, and commit them.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v libreoffice >/dev/null 2>&1 || need+=(libreoffice-calc)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
[ -d /usr/share/fonts/truetype/dejavu ] || need+=(fonts-dejavu-core)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
  else
    echo "docs/screenshots.sh needs: ${need[*]} (as root: apt-get install ${need[*]})" >&2
    exit 1
  fi
fi
browser=${LEADSCORE_CHROMIUM:-$(command -v chromium || echo /usr/bin/chromium)}

cargo build --release --quiet
bin=$PWD/target/release/leadscore
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The day the page says it was made: the one the README's other examples use.
export SOURCE_DATE_EPOCH=1796008879
"$bin" export data/leads.csv --format html -o "$work/page.html" 2>/dev/null
"$bin" export data/leads.csv --format xlsx -o "$work/leads.xlsx" 2>/dev/null

mkdir -p docs/img
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
  --force-device-scale-factor=1 --user-data-dir="$work/profile" --window-size=1280,1700 \
  --screenshot="$work/page.png" "file://$work/page.html" 2>/dev/null
cp "$work/page.png" docs/img/export-page.png

# LibreOffice keeps a profile in $HOME; give it a throwaway one.
timeout 180 libreoffice -env:UserInstallation="file://$work/lo" --headless \
  --convert-to 'pdf:calc_pdf_Export:{"SinglePageSheets":{"type":"boolean","value":"true"}}' \
  --outdir "$work" "$work/leads.xlsx" >/dev/null 2>&1
pdftoppm -png -r 110 -f 1 -l 1 -x 0 -y 0 -W 1400 -H 700 -singlefile "$work/leads.pdf" \
  "$work/workbook"
cp "$work/workbook.png" docs/img/export-workbook.png

ls -l docs/img/export-page.png docs/img/export-workbook.png
