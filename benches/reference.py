"""Reference figures from well-known CPU kernels, at the shapes effprof measures.

    python3 benches/reference.py [SPARSITY]

- numpy's sgemm (OpenBLAS) at 1024x1024x1024: compare with effprof's measured matmul peak.
- scipy.sparse CSR x dense at the default suite's layer shapes, T = 256 rows: compare with
  `cargo run --example csr_kernel`.
Best of many runs each, single process.
"""
import sys
import time

import numpy as np
import scipy.sparse as sp


def best(f, budget=0.7):
    for _ in range(3):
        f()
    best_t = float("inf")
    start = time.perf_counter()
    while time.perf_counter() - start < budget:
        t = time.perf_counter()
        f()
        best_t = min(best_t, time.perf_counter() - t)
    return best_t


def main():
    sparsity = float(sys.argv[1]) if len(sys.argv) > 1 else 0.9
    rng = np.random.default_rng(1)
    n = 1024
    a = rng.random((n, n), dtype=np.float32)
    b = rng.random((n, n), dtype=np.float32)
    t = best(lambda: a @ b)
    print(f"numpy sgemm {n}^3: {t * 1e3:.2f} ms, {2 * n**3 / t / 1e9:.1f} GFLOP/s")

    rows = 256
    print(f"scipy CSR (W^T [out, in] x X^T [in, T]), T = {rows}, sparsity {sparsity}")
    for d_in, d_out in [(128, 128), (128, 512), (512, 128)]:
        w = rng.uniform(-1, 1, (d_in, d_out)).astype(np.float32)
        k = int(np.floor(w.size * sparsity))
        flat = np.abs(w).ravel()
        w.ravel()[np.argpartition(flat, k - 1)[:k]] = 0.0
        wt = sp.csr_matrix(w.T)
        xt = np.ascontiguousarray(rng.uniform(-1, 1, (rows, d_in)).astype(np.float32).T)
        t = best(lambda: wt @ xt)
        print(f"  {d_in}x{d_out}: {t * 1e3:.3f} ms, {2 * rows * wt.nnz / t / 1e9:.2f} GFLOP/s")


if __name__ == "__main__":
    main()
