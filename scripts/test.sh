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
# PostgreSQL: the service and integration suites run on both store engines (issue 21).
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
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

# A throwaway PostgreSQL server for the tests (unless PW_TEST_DATABASE_URL names one): a cluster in
# a temporary folder, on 127.0.0.1 and a free port, stopped and removed when the tests end. The
# server refuses to run as root: then it runs as the "postgres" user the package created.
if [ -z "${PW_TEST_DATABASE_URL:-}" ]; then
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  pgdir=$(mktemp -d /tmp/pw-postgres.XXXXXX)
  as=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$pgdir"
    as=(runuser -u postgres --)
  fi
  port=$(.venv/bin/python -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
  "${as[@]}" "$pgbin/initdb" -D "$pgdir/data" -A trust -U pw -E UTF8 >/dev/null
  "${as[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
    -o "-k $pgdir -c listen_addresses=127.0.0.1 -p $port -c max_connections=300" start >/dev/null
  trap '"${as[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1; rm -rf "$pgdir"' EXIT
  export PW_TEST_DATABASE_URL="postgresql://pw@127.0.0.1:$port/postgres"
fi
.venv/bin/python -m pytest "$@"
