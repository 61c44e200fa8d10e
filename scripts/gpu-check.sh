#!/usr/bin/env bash
# The cuda backend on a real NVIDIA GPU, in one command (about 5 minutes, at most 8):
#   1. installs the [cuda] extra (numba-cuda with CUDA 12 wheels) unless it is there already;
#   2. runs tests/test_cuda.py on the hardware (must pass: no skips allowed);
#   3. runs the batch-size suite for the cuda and CPU backends (float32, short timings);
#   4. prints the CPU-vs-GPU throughput table for mini-batch 1, 10, 100, 1000, 10000 (one
#      run) and saves it as results/cuda-throughput.md.
# Usage: scripts/gpu-check.sh            (PYTHON=... picks the interpreter; default .venv)
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-}"
if [[ -z "$PY" ]]; then
    if [[ -x .venv/bin/python ]]; then PY=.venv/bin/python; else PY=python3; fi
fi
unset NUMBA_ENABLE_CUDASIM  # the real device, never the simulator
export MLPBENCH_REQUIRE_CUDA=1 MPLBACKEND=Agg

step() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

step "GPU"
if ! command -v nvidia-smi >/dev/null; then
    echo "gpu-check: nvidia-smi not found; this script needs an NVIDIA GPU and driver" >&2
    exit 2
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv

step "install the [cuda] extra"
"$PY" -m pip install -q 'numba-cuda[cu12]>=0.30' pytest pytest-benchmark \
    || echo "gpu-check: pip could not install numba-cuda[cu12] (offline?); trying what is installed" >&2
if ! "$PY" -c 'import numba_cuda' 2>/dev/null; then
    echo "gpu-check: numba-cuda is missing; run pip install -e '.[cuda,test]' first" >&2
    exit 2
fi
"$PY" -m pip install -q --no-deps --no-build-isolation -e . 2>/dev/null || true
"$PY" - <<'PY'
from kernels.cuda.session import device_problem
from bench.gpu import gpu_info
problem = device_problem()
if problem:
    raise SystemExit(f"gpu-check: {problem}")
print(gpu_info())
PY

step "cuda tests on the hardware"
timeout 240 "$PY" -m pytest -q -p no:cacheprovider tests/test_cuda.py

step "batch-size suite, cuda and CPU backends, float32"
timeout 240 "$PY" -m pytest -q -p no:cacheprovider suites/bench_batch_size.py \
    -k "float32 and (cuda or numba)" --benchmark-only --benchmark-warmup=off \
    --benchmark-min-rounds=1 --benchmark-max-time=0.2 --benchmark-columns=median,rounds \
    --benchmark-storage=results/benchmarks --benchmark-autosave

step "CPU-vs-GPU throughput table"
mkdir -p results
timeout 180 "$PY" scripts/cuda_throughput.py --dtype float32 --out results/cuda-throughput.md
step "done"
