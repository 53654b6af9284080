#!/usr/bin/env bash
# VCTK 0.80 / 0.92 recipe: see README.md here, and ../README.md for the stages.
#   ./run.sh --corpus-dir /data/VCTK-Corpus-0.92 --out-dir DIR [--stage N] [--stop-stage M]
#            [--config conf/default.yaml] [--nj N] [--ngpu N] [--nnodes N --rdzv-endpoint HOST:PORT]
# The stages live in specae (specae/recipes/); this only calls them with this folder's conf/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SPECAE_RECIPE_COMMAND="$(printf '%q ' "$0" "$@")" exec "${PYTHON:-python}" -m specae recipe vctk \
    --recipe-dir "$here" "$@"
