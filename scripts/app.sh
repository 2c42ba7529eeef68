#!/usr/bin/env bash
# Install (first run only) and start the app: http://localhost:8501
# Extra arguments go to `streamlit run`, e.g. scripts/app.sh --server.port 8600
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Real datasets: $GENVIZ_DATA_DIR if set; else a data folder shipped beside the repo (../shared/data),
# else ~/.cache/genviz/data (torchvision downloads there when online). Digits always work offline.
if [ -z "${GENVIZ_DATA_DIR:-}" ] && [ -d ../shared/data ]; then
  export GENVIZ_DATA_DIR="$(cd ../shared/data && pwd)"
fi
exec .venv/bin/python -m streamlit run app.py "$@"
