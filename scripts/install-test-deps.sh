#!/usr/bin/env bash
# Install the system packages the tests need: Debian's chromium for the browser test (tests/e2e).
# Idempotent: does nothing when /usr/bin/chromium exists. Python test packages come from
# requirements-dev.txt (scripts/setup.sh --dev); Playwright never downloads a browser of its own.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "The browser test needs Debian's chromium: run 'sudo apt-get update && sudo apt-get install -y chromium' as root, then retry." >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "The browser test needs chromium at /usr/bin/chromium, and this system has no apt-get: install chromium there yourself, then retry." >&2
  exit 1
fi

echo "installing Debian's chromium for the browser test (about 30 s, 500 MB)" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq chromium >/dev/null
[ -x /usr/bin/chromium ] || { echo "apt-get finished but /usr/bin/chromium is still missing." >&2; exit 1; }
echo "chromium installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)" >&2
