#!/usr/bin/env bash
# Install everything the tests need, then run them all (unit, integration, AppTest, browser).
# Used by the README's test command and by .ci/run. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt

# Browser tests drive Debian's chromium (never a downloaded browser); QR codes are decoded with
# zbarimg and PDFs read back with pdftotext; npm fetches axe-core for the accessibility checks.
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v npm >/dev/null || need+=(npm)
command -v zbarimg >/dev/null || need+=(zbar-tools)
command -v pdftotext >/dev/null || need+=(poppler-utils)
if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" fonts-dejavu-core >/dev/null
fi

[ -f tests/e2e/node_modules/axe-core/axe.min.js ] ||
  npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error >/dev/null

.venv/bin/python -c "from workshop.i18n import compile_catalogs; compile_catalogs()"
exec .venv/bin/python -m pytest "$@"
