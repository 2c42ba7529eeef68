#!/usr/bin/env bash
# Create .venv at the repo root (Python >= 3.11) and install the pinned requirements into it.
#   scripts/setup.sh            runtime only (requirements.txt)
#   scripts/setup.sh --dev      runtime + test packages (requirements-dev.txt)
# Re-running is cheap: pip is skipped when the requirement files have not changed.
set -euo pipefail
cd "$(dirname "$0")/.."
req=requirements.txt
[ "${1:-}" = "--dev" ] && req=requirements-dev.txt

py=""
for cand in python3.11 python3.12 python3.13 python3; do
  if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    py=$cand; break
  fi
done
[ -n "$py" ] || { echo "genviz needs Python 3.11 or newer; none was found on PATH." >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  echo "creating .venv with $($py --version)" >&2
  "$py" -m venv .venv
fi
stamp=.venv/.genviz-$(basename "$req" .txt).sha
want=$(cat requirements.txt "$req" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "installing $req into .venv (torch is large: about a minute)" >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
fi
