#!/usr/bin/env bash
# Install what the tests need, start the services they use if they are down, and run the
# whole suite: once on PostgreSQL, once on SQLite (the embedded default).
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -e '.[test]'

# The browser test drives Debian's Chromium (Playwright cannot download its own browser here).
if ! command -v chromium >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

# Machine translation is tested against the real Apertium with Debian's Spanish-Catalan pair (its
# package does not pull the lexical-selection and constraint-grammar tools the pair runs, hence the last two).
if ! { command -v apertium && command -v lrx-proc && command -v cg-proc \
       && apertium -l 2>/dev/null | grep -x '[[:space:]]*spa-cat'; } >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq apertium apertium-spa-cat apertium-lex-tools cg3 >/dev/null
fi

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if ! up 5432 && command -v pg_ctlcluster >/dev/null 2>&1; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
fi
if ! up 6379 && command -v redis-server >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi
for _ in $(seq 1 30); do up 5432 && up 6379 && break; sleep 1; done

echo "== tests on PostgreSQL =="
PIEUVRE_TEST_DATABASE=postgres .venv/bin/pytest -q -p no:cacheprovider
echo "== tests on SQLite =="
PIEUVRE_TEST_DATABASE=sqlite .venv/bin/pytest -q -p no:cacheprovider
