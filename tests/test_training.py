"""The training loop on its own (softmax_lab.training): steps, epochs, callbacks, interruption."""

import ast
from pathlib import Path

import numpy as np
import pytest

from softmax_lab import lm, training

CONTEXTS = np.array([[0, 0], [0, 2], [2, 3], [3, 1], [1, 2]])
TARGETS = np.array([2, 3, 1, 2, 0])
SHAPE = dict(steps=12, batch_size=2, learning_rate=0.05, embed_dim=3, hidden_size=4, seed=5,
             validation=(CONTEXTS, TARGETS), eval_every=4, snapshot_steps=[3])


def full_run():
    return training.train(CONTEXTS, TARGETS, 4, **SHAPE)


def test_lm_does_not_import_training():
    """One way: training imports lm (the model it trains), never the other way round."""
    tree = ast.parse(Path(lm.__file__).read_text(encoding="utf-8"))
    imported = {a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for a in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert "training" not in imported
    with pytest.raises(AttributeError):
        _ = lm.train                                   # the old shim is gone


def test_running_in_pieces_gives_the_same_run_as_one_call():
    whole = full_run()
    trainer = training.Trainer(CONTEXTS, TARGETS, 4, **SHAPE)
    trainer.train_step()
    trainer.run(4)
    trainer.run_epoch()                       # 5 examples in batches of 2: 3 steps
    assert trainer.step == 8
    result = trainer.run()
    assert trainer.done and np.array_equal(result.losses, whole.losses)
    for key in lm.WEIGHT_NAMES:
        assert np.array_equal(result.weights[key], whole.weights[key])
        assert np.array_equal(result.best_weights[key], whole.best_weights[key])
        assert np.array_equal(result.snapshots[3][key], whole.snapshots[3][key])
    assert result.eval_steps == whole.eval_steps == [4, 8, 12]
    assert result.val_losses == whole.val_losses and result.train_losses == whole.train_losses
    with pytest.raises(RuntimeError, match="training is done"):
        trainer.train_step()


def test_callback_sees_every_step_and_can_stop_the_run():
    seen = []

    def callback(trainer):
        seen.append((trainer.step, trainer.losses[-1]))
        return trainer.step < 5

    trainer = training.Trainer(CONTEXTS, TARGETS, 4, **SHAPE)
    result = trainer.run(callback=callback)
    assert [s for s, _ in seen] == [1, 2, 3, 4, 5] and not trainer.done
    assert result.losses.shape == (5,) and result.losses[-1] == seen[-1][1]
    trainer.run(callback=lambda t: t.stop())          # stop() from a callback: one more step
    assert trainer.step == 6
    assert np.array_equal(trainer.run().losses, full_run().losses)   # and it resumes exactly


def test_train_passes_the_callback_on():
    steps = []
    result = training.train(CONTEXTS, TARGETS, 4, **SHAPE, callback=lambda t: steps.append(t.step))
    assert steps == list(range(1, 13)) and result.losses.shape == (12,)


def test_keyboard_interrupt_ends_the_run_cleanly_and_it_can_resume(monkeypatch):
    trainer = training.Trainer(CONTEXTS, TARGETS, 4, **SHAPE)
    real = lm.loss_and_grads
    calls = []

    def interrupt_on_the_fourth_step(*args):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(lm, "loss_and_grads", interrupt_on_the_fourth_step)
    result = trainer.run()
    assert trainer.step == 3 and result.losses.shape == (3,)      # the interrupted step is undone
    monkeypatch.setattr(lm, "loss_and_grads", real)
    assert np.array_equal(trainer.run().losses, full_run().losses)


def test_training_runs_with_one_blas_thread_and_restores_the_library_afterwards():
    """On a busy 2-core machine more BLAS threads only wait for each other (benchmarks/bench_contention.py)."""
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads():
        return {lib["filepath"]: lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}

    inside = []
    trainer = training.Trainer(CONTEXTS, TARGETS, 4, **SHAPE)
    with threadpool_limits(2, user_api="blas"):          # as on a learner's machine (make test pins 1)
        before = blas_threads()
        assert set(before.values()) == {2}
        trainer.run(2, callback=lambda t: inside.append(blas_threads()))
        after = blas_threads()
    assert inside and all(set(threads.values()) == {1} for threads in inside)
    assert after == before
