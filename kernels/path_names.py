"""The names of the kernel paths and which of them each kind of backend has.

A leaf module (no imports), so that the registry (:mod:`kernels`) can give every backend
its paths and :mod:`kernels.paths` can read them from there. :mod:`kernels.paths`
re-exports every name; import them from there.
"""

from __future__ import annotations

FUSED_MB1 = "fused-mb1"
LOOPS = "loops"
BLAS = "blas"
GEMM = "gemm"
GEMM_BLOCKED = "gemm-blocked"
REGTILE = "regtile"
SPLIT_LOOPS = "split-loops"
SPLIT_BLAS = "split-blas"
SPLIT_REGTILE = "split-regtile"
NUMPY = "numpy"
TILED = "tiled"  # the cuda backend: shared-memory tiled kernels (kernels.cuda.kernels)
AUTO = "auto"  # not a path: "let the harness choose" (tuning file or default)

SERIAL_PATHS: tuple[str, ...] = (FUSED_MB1, LOOPS, BLAS, REGTILE, GEMM, GEMM_BLOCKED)
SPLIT_PATHS: tuple[str, ...] = (SPLIT_LOOPS, SPLIT_BLAS, SPLIT_REGTILE)
PARALLEL_PATHS: tuple[str, ...] = (*SERIAL_PATHS, *SPLIT_PATHS)
# the paths whose products run in the BLAS (np.dot): as fast as the BLAS's kernels are wide
BLAS_PATHS: tuple[str, ...] = (BLAS, GEMM, GEMM_BLOCKED, SPLIT_BLAS)
ALL_PATHS: tuple[str, ...] = (*PARALLEL_PATHS, NUMPY, TILED)
