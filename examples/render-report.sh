#!/usr/bin/env bash
# Renders a run's report.html with headless Chromium into a PNG, to check that the page and its
# plots load. Usage: examples/render-report.sh RUN_DIR [SCREENSHOT.png]   (default RUN_DIR/report.png)
# Needs Debian's chromium: apt-get install -y chromium
set -euo pipefail
dir="${1:?usage: $0 RUN_DIR [SCREENSHOT.png]}"
png="${2:-$dir/report.png}"
report="$(realpath "$dir/report.html")"
browser="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$browser" ]; then
  echo "render-report: chromium is not installed (apt-get install -y chromium)" >&2
  exit 1
fi
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
# A throw-away profile and no background services: the render is the same on every machine.
"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --disable-sync --no-first-run --user-data-dir="$profile" --hide-scrollbars --window-size=1400,3400 \
  --screenshot="$(realpath -m "$png")" "file://$report" 2>/dev/null
echo "$png"
