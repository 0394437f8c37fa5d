#!/usr/bin/env bash
# The main job on the embedded default data: set up, build asvit, then run
# the whole pipeline (search → scale → train → export) on the embedded
# Fashion-MNIST sample with `asvit auto`. Extra arguments go to asvit auto.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/setup.sh
go build -o asvit ./cli/asvit
out=${ASVIT_OUT:-out/auto}
resume=()
# A second call continues (or, when finished, reprints) the run in $out.
[ -e "$out/search/config.json" ] && resume=(--resume)
./asvit auto --out "$out" "${resume[@]}" "$@"
./asvit predict --model "$out/train/model.onnx" --sample 4 --top 3
