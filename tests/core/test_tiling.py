"""The patch CNN on a second core: the same heatmap as on one, errors and cancels reach the caller,
and no thread is left behind."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from forensic_app.core.analysis import analyze
from forensic_app.core.errors import Cancelled
from forensic_app.core.progress import CancelToken
from forensic_app.core.tiling import BackgroundRunner


def _network_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "patch-cnn"]


@pytest.fixture
def torch_threads():
    before = torch.get_num_threads()

    def set_to(n: int) -> None:
        torch.set_num_threads(n)

    yield set_to
    torch.set_num_threads(before)


def test_the_network_on_a_second_core_paints_the_same_heatmap_and_verdict(make_wav, tiny_weights, torch_threads):
    path = make_wav("music", 50.0, 44100, 2)  # several 10-s blocks, so tiles queue up behind the decoder
    torch_threads(1)
    inline = analyze(path, weights_dir=tiny_weights)
    torch_threads(2)
    overlapped = analyze(path, weights_dir=tiny_weights)
    assert overlapped.heatmap.logits.shape == inline.heatmap.logits.shape
    assert np.allclose(overlapped.heatmap.logits, inline.heatmap.logits, atol=1e-5)
    assert overlapped.verdict == inline.verdict
    assert abs(overlapped.probability_fake - inline.probability_fake) < 1e-5
    assert not _network_threads()


def test_a_cancel_while_the_network_works_stops_the_analysis_and_its_thread(make_wav, tiny_weights, torch_threads):
    path = make_wav("music", 60.0, 44100, 1)
    torch_threads(2)
    token = CancelToken()

    def on_progress(p):
        if p.fraction > 0.3:
            token.cancel()

    with pytest.raises(Cancelled):
        analyze(path, weights_dir=tiny_weights, on_progress=on_progress, cancel=token)
    assert not _network_threads()


def test_calls_run_in_order_and_the_first_error_reaches_the_caller():
    seen: list[int] = []

    def record(i: int) -> None:
        if i == 3:
            raise ValueError("tile 3 failed")
        seen.append(i)

    runner = BackgroundRunner(True)
    with pytest.raises(ValueError, match="tile 3 failed"):
        with runner:
            for i in range(8):
                runner.submit(record, i)  # may raise already, once the error is known
            runner.join()
    assert seen == [0, 1, 2]  # in order, and nothing after the failure
    assert not _network_threads()


def test_inline_runner_runs_each_call_at_once():
    seen: list[int] = []
    with BackgroundRunner(False) as runner:
        runner.submit(seen.append, 1)
        assert seen == [1]
        runner.join()
    assert not _network_threads()
