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
# The in-process Temporal server sits behind the devserver build tag: check
# both builds, and test with it so that the end-to-end workflow tests run.
go vet ./...
go vet -tags devserver ./...
go tool staticcheck ./...
go tool staticcheck -tags devserver ./...
# setup.sh installed the ONNX checker and the data sets: tests that need
# them fail instead of skipping when they are missing.
ASVIT_REQUIRE_ONNX_CHECKER=1 ASVIT_REQUIRE_DATA=1 go test -tags devserver -count=1 -timeout 30m ./...
