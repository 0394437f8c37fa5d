#!/usr/bin/env bash
# The test command: sets up, then runs every test (vet, staticcheck, go test).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/setup.sh
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi
go vet ./...
go tool staticcheck ./...
# setup.sh installed the ONNX checker and the data sets: tests that need
# them fail instead of skipping when they are missing.
ASVIT_REQUIRE_ONNX_CHECKER=1 ASVIT_REQUIRE_DATA=1 go test -count=1 -timeout 30m ./...
