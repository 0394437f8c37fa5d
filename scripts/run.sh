#!/usr/bin/env bash
# The main job on the embedded default data: set up, build asvit, then
# describe the authors' seed topology, export it for 32 px gray images and
# classify a few images of the embedded Fashion-MNIST sample with it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/setup.sh
go build -o asvit ./cli/asvit
arch='8,2,3|4,1,2|4,1,4|4,1,6|32'
out=${ASVIT_OUT:-out/demo}
mkdir -p "$out"
./asvit info "$arch" --img 32 --classes 10 --channels 1
./asvit export --arch "$arch" --img 32 --classes 10 --channels 1 \
  --class-names 'T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot' \
  --out "$out/model.onnx"
./asvit predict --model "$out/model.onnx" --sample 4 --top 3
