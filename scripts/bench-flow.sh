#!/usr/bin/env bash
# Temporal overhead and throughput (README "Running on many machines"):
# the same searches locally, on one worker with 2 threads, and on two
# workers with one thread each, against an in-process dev server. Run on
# quiet cores. Prints the wall time of each run.
set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
go build -tags devserver -o out/asvit-devserver ./cli/asvit || exit 1
A=$root/out/asvit-devserver
D=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$D"' EXIT
port=${PORT:-17400}
$A server --dev --port "$port" > "$D/server.log" 2>&1 &
sleep 6
T=127.0.0.1:$port
run() {
  local name=$1; shift
  local t0=$(date +%s.%N)
  "$@" > "$D/$name.out" 2> "$D/$name.err"
  local rc=$?
  echo "$name exit $rc: $(echo "$(date +%s.%N) - $t0" | bc) s"
}
worker() { $A --threads "$1" worker --temporal $T --task-queue "$2" > "$D/worker-$2-$RANDOM.log" 2>&1 & }
S32="search --img 32 --repeat 1 --steps 40"
S64="search --img 64 --repeat 1 --steps 12 --batch-size 4"
for rep in 1 2; do
  run local32-$rep $A --threads 2 $S32 --out "$D/l32-$rep"
  worker 2 a$rep; sleep 1
  run temporal32-1worker-$rep $A $S32 --temporal $T --task-queue a$rep --out "$D/t32-$rep"
  run local64-$rep $A --threads 2 $S64 --out "$D/l64-$rep"
  worker 2 b$rep; sleep 1
  run temporal64-1worker-$rep $A $S64 --temporal $T --task-queue b$rep --out "$D/t64a-$rep"
  worker 1 c$rep; worker 1 c$rep; sleep 1
  run temporal64-2workers-$rep $A $S64 --temporal $T --task-queue c$rep --out "$D/t64b-$rep"
done
cmp -s "$D/l32-1/result.json" "$D/t32-1/result.json" && echo "32 px: the workflow's result.json equals the local run's"
cmp -s "$D/l64-1/result.json" "$D/t64a-1/result.json" && echo "64 px: the one-worker workflow's result.json equals the local run's"
