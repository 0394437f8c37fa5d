#!/usr/bin/env bash
# One sitting of the figures of README "Performance" that compare asvit with
# itself or with PyTorch: the scaling table, a new candidate at 64 px and at
# 224 px × 5, training step against forward pass and against PyTorch, the
# complexity process against functorch, and inference at 224 px. Needs
# python3-torch and libopenblas0-pthread for the PyTorch rows. Run on quiet
# cores; finished files are kept, so a rerun only fills in what is missing
# (delete $OUT to start over).
set -eu
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
go build -o out/asvit ./cli/asvit
A=out/asvit
O=${OUT:-out/bench-battery}
mkdir -p "$O"
ARCH='8,2,3|4,1,2|4,1,4|4,1,6|32'
TARCH='8,2,3,1|4,1,2,1|4,1,4,1|4,1,6,1|32,32' # the same network in bench-torch's scaled form
# run FILE CMD...: CMD's output into $O/FILE unless that exists
run() {
  local f=$O/$1
  shift
  [ -s "$f" ] || { "$@" >"$f.tmp" 2>&1 && mv "$f.tmp" "$f"; }
}
OUT=$O/scaling bash scripts/bench-scaling.sh >"$O/scaling.md"
for i in 1 2; do
  run m64-$i.txt $A bench measure "$ARCH" --img 64 --batch 16 --inits 1 --repeat 9 --json "$O/m64-$i.json"
done
run m224x5.txt $A bench measure "$ARCH" --img 224 --batch 16 --inits 5 --repeat 2 --json "$O/m224x5.json"
for img in 32 64; do
  reps=20
  [ $img = 64 ] && reps=10
  for i in 1 2; do
    run s$img-$i.txt $A bench step "$ARCH" --img $img --batch 128 --repeat $reps --warmup 3 --json "$O/s$img-$i.json"
    run t$img-$i.txt /usr/bin/python3 scripts/bench-torch.py --arch "$TARCH" --img $img --batch 128 --repeat $reps --warmup 3
  done
done
for i in 1 2 3; do
  run c64-$i.txt /usr/bin/time -f '%e s %M KiB' $A complexity "$ARCH" --img 64 --repeat 1
  run f64-$i.txt /usr/bin/time -f '%e s %M KiB' /usr/bin/python3 scripts/bench-torch-measure.py --arch "$TARCH" --img 64 --method functorch
done
run inf224.txt $A bench step "$ARCH" --img 224 --batch 16 --channels 3 --repeat 5 --warmup 1 --json "$O/inf224.json"
echo "results in $O"
