#!/usr/bin/env bash
# Install everything the tests need, then run them all (unit, integration, AppTest, browser).
# Used by the README's test command and by .ci/run. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
# The offline translation engine is tested installed (with models the tests build): argostranslate
# without its declared dependencies, which pull torch and CUDA (README, "Offline translation").
.venv/bin/pip install -q --disable-pip-version-check --no-deps argostranslate==1.11.0

# Browser tests drive Debian's chromium (never a downloaded browser); QR codes are decoded with
# zbarimg and PDFs read back with pdftotext; npm fetches axe-core for the accessibility checks.
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v npm >/dev/null || need+=(npm)
command -v zbarimg >/dev/null || need+=(zbar-tools)
command -v pdftotext >/dev/null || need+=(poppler-utils)
# nginx: the reverse-proxy setup for big halls (scripts/nginx_site.py) is tested through it.
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  # Installing a package must not start its service (nginx would listen on port 80).
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
    policy=1
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" fonts-dejavu-core >/dev/null
  [ -z "$policy" ] || $sudo rm -f /usr/sbin/policy-rc.d
fi

[ -f tests/e2e/node_modules/axe-core/axe.min.js ] ||
  npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error >/dev/null

.venv/bin/python -c "from workshop.i18n import compile_catalogs; compile_catalogs()"
exec .venv/bin/python -m pytest "$@"
