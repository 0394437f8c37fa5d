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
if [ -e "$out/config.json" ] || [ -e "$out/search/config.json" ]; then
  echo "run.sh: $out holds an earlier run; set ASVIT_OUT to another directory or remove it" >&2
  exit 1
fi
./asvit auto --out "$out" "$@"
./asvit predict --model "$out/train/model.onnx" --sample 4 --top 3
