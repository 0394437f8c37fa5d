#!/usr/bin/env bash
# Installs the ONNX Runtime shared library (CPU build) that asvit loads, from
# the npm package onnxruntime-node, into .cache/onnxruntime/. Idempotent: a
# present file with the right sha256 is kept. ONNXRUNTIME_LIB overrides the
# library at run time (a CUDA build, say) and is not touched here.
set -euo pipefail

version=1.30.0
lib_sha256=ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest="$root/.cache/onnxruntime"
lib="$dest/libonnxruntime.so.1"

check() { echo "$lib_sha256  $1" | sha256sum --check --status; }

if [ -f "$lib" ] && check "$lib"; then
  echo "onnxruntime $version already installed at $lib"
  exit 0
fi
command -v npm >/dev/null || { echo "install-ort: npm is required (apt-get install npm)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "onnxruntime-node@$version" >/dev/null)
tar -xzf "$tmp/onnxruntime-node-$version.tgz" -C "$tmp" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
got="$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1"
if ! check "$got"; then
  echo "install-ort: sha256 mismatch for libonnxruntime.so.1 from onnxruntime-node@$version" >&2
  exit 1
fi
mkdir -p "$dest"
mv -f "$got" "$lib.tmp"
mv -f "$lib.tmp" "$lib"
echo "onnxruntime $version installed at $lib"
