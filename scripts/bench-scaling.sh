#!/usr/bin/env bash
# Per-candidate measurement time against image size and NTK batch, with
# the FLOP floor (README "Performance"). Run on quiet cores.
set -eu
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
go build -o out/asvit ./cli/asvit
O=${OUT:-out/bench-scaling}; mkdir -p "$O"
ARCH='8,2,3|4,1,2|4,1,4|4,1,6|32'
for img in 32 64 112 224; do for b in 8 16 32; do
  [ -f "$O/m-$img-$b.json" ] || out/asvit bench measure "$ARCH" --img $img --batch $b --inits 1 --repeat 3 --warmup 1 --json "$O/m-$img-$b.json" > "$O/m-$img-$b.txt" 2>&1
done; done
echo "| image | batch | rows a pass | new candidate (s) | session creation (s) | runs (s) | FLOP floor at 200 GFLOP/s (s) | runs' rate (GFLOP/s) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
for img in 32 64 112 224; do for b in 8 16 32; do
  jq -r '"| \(.image) | \(.batch) | \(.pass_rows) | \(.new.total.median_s*1000|round/1000) | \(.new.session.median_s*1000|round/1000) | \(.new.run.median_s*1000|round/1000) | \(.floor_s*10000|round/10000) | \(.run_gflops*10|round/10) |"' "$O/m-$img-$b.json"
done; done
