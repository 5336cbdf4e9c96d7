#!/usr/bin/env bash
# The GPU benchmark in one command, for a machine with a GPU and its Vulkan driver (README, "GPUs"):
# adapter info, training samples/s at batch 16/64/256, prediction samples/s and the KSC-sized map time on
# WebGPU (Dawn), the same on onnxruntime on this machine's CPU, and WebGPU's per-step counts, as one table.
# Installs nothing beyond npm packages (npm ci when node_modules is missing); about 2–5 minutes.
#
#   bench/gpu.sh            # full sizes
#   bench/gpu.sh --quick    # tiny sizes: checks that it runs (e.g. on the SwiftShader software adapter)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules/webgpu ] || [ ! -d node_modules/@tensorflow/tfjs-backend-webgpu ]; then
  echo "gpu.sh: installing npm dependencies (npm ci) …" >&2
  npm ci --no-audit --no-fund >&2
fi
# Not `ldconfig -p | grep -q`: under pipefail, grep's early exit fails the pipeline (SIGPIPE).
if ! (ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null || true) | grep 'libvulkan.so.1' >/dev/null; then
  echo "gpu.sh: libvulkan.so.1 not found: install the Vulkan loader (Debian/Ubuntu: apt-get install libvulkan1) and your GPU's Vulkan driver" >&2
fi
exec node --import tsx bench/gpu.ts "$@"
