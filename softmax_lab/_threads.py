"""One BLAS thread for the tiny language model's training and scoring (shared by lm and training).

The tiny model multiplies small matrices (a batch of 128 by 48 by 64, 64 by 445) thousands of
times. A BLAS library starts one thread per core for each product; on a busy 2-core machine (a
Binder or JupyterHub server, or a laptop running the test suite) those threads wait for each
other and for the other processes, and a training run that takes 2 s on a quiet machine took
11 s with two busy processes beside it, against 4 s with one thread (issue 17, section 3;
``benchmarks/bench_contention.py`` measures it). :func:`one_blas_thread` limits BLAS to one
thread for the duration of a ``with`` block only (threadpoolctl), so nothing else a learner
computes is affected.
"""

import contextlib

__all__ = ["one_blas_thread", "ENABLED"]

#: Set to False to run with the BLAS library's own number of threads (the contention benchmark does).
ENABLED = True
_controller = None
_depth = 0


@contextlib.contextmanager
def one_blas_thread():
    """Limit BLAS to one thread inside the block; nested blocks cost nothing extra."""
    global _controller, _depth
    if _depth or not ENABLED:
        yield
        return
    if _controller is None:
        from threadpoolctl import ThreadpoolController  # imported here: `import softmax_lab` stays light

        _controller = ThreadpoolController()             # finds the BLAS libraries loaded so far (numpy's)
    _depth += 1
    try:
        with _controller.limit(limits=1, user_api="blas"):
            yield
    finally:
        _depth -= 1
