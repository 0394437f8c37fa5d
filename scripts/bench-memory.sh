#!/usr/bin/env bash
# Peak resident memory of each command (GNU time's maximum resident set
# size), README "Performance". Memory does not depend on load; the wall
# times printed do.
set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
go build -o out/asvit ./cli/asvit || exit 1
A=out/asvit
O=${OUT:-out/bench-memory}; mkdir -p "$O"
R=$(mktemp -d "$O/runs.XXXXXX") # fresh run directories, so that nothing resumes a finished run
peak() {
  local name=$1; shift
  /usr/bin/time -f "%M %e" -o "$O/$name.time" "$@" > "$O/$name.out" 2> "$O/$name.err"
  local rc=$?
  read -r kb s < <(tail -1 "$O/$name.time")
  echo "$name exit $rc: peak $(( kb / 1024 )) MiB, $s s"
}
SEED='8,2,3|4,1,2|4,1,4|4,1,6|32'
peak info $A info "$SEED"
peak complexity-224-5 $A complexity "$SEED" --img 224 --repeat 5
peak complexity-64-1 $A complexity "$SEED" --img 64 --repeat 1
peak search-224-5-20steps $A search --img 224 --repeat 5 --steps 20 --out "$R/search224"
peak search-224-5-20steps-glibc-defaults env ASVIT_KEEP_MALLOC=1 $A search --img 224 --repeat 5 --steps 20 --out "$R/search224k"
peak search-32-100steps $A search --img 32 --steps 100 --out "$R/search32"
peak scale-32 $A scale --img 32 --repeat 1 --max-params 2e7 --out "$R/scale32"
peak train-32-1epoch $A train --arch "$SEED" --img 32 --epochs 1 --out "$R/train32"
peak auto env ASVIT_OUT="$R/auto" bash scripts/run.sh
peak detect-train-default $A detect train --arch "$SEED" --out "$R/detect-default"
