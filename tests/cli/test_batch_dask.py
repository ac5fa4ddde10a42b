"""``batch --scheduler``: the same task on a dask.distributed cluster, results streaming into the same store."""

from __future__ import annotations

import os
import signal as signals

import pytest
import soundfile as sf

from forensic_app.batch import BatchOptions, Store, run_batch
from forensic_app.cli import main
from tests.conftest import signal

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    ) as c:
        yield c


def make_files(folder, n, seconds=4.0):
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"t{i}.wav"
        sf.write(str(p), signal("noise", seconds, 44100, 1, seed=i), 44100, subtype="PCM_16")
        paths.append(p)
    return paths


def test_batch_on_a_two_worker_cluster(tmp_path, tiny_weights, cluster, capsys):
    files = make_files(tmp_path / "in", 4)
    (tmp_path / "in" / "bad.wav").write_text("not audio")
    out = tmp_path / "out.csv"
    code = main(
        [
            "batch",
            str(tmp_path / "in"),
            "--scheduler",
            cluster.scheduler_address,
            "-o",
            str(out),
            "--weights",
            str(tiny_weights),
            "--no-progress",
        ]
    )
    assert code == 3, capsys.readouterr().err
    with Store(tmp_path / "out.sqlite") as store:
        rows = list(store.iter_rows(1))
        workers = {w["worker"] for w in store.worker_stats(1)}
    assert [r["path"] for r in rows] == [str(tmp_path / "in" / "bad.wav"), *map(str, files)]
    assert rows[0]["status"] == "unusable" and all(r["status"] == "analysed" for r in rows[1:])
    assert all(str(os.getpid()) not in w for w in workers)  # analysed in the cluster's processes


def test_a_lost_worker_does_not_lose_files(tmp_path, tiny_weights, cluster):
    files = make_files(tmp_path / "in", 8, seconds=8.0)
    killed = []

    def kill_a_worker(_event):
        if not killed:
            with distributed.Client(cluster.scheduler_address, set_as_default=False) as c:
                busy = c.processing()  # kill a worker that holds files, as a crashed machine would
                victim = max(sorted(busy), key=lambda w: len(busy[w]))
                pid = c.run(os.getpid, workers=[victim])[victim]
                os.kill(pid, signals.SIGKILL)
                killed.append((victim, list(busy[victim])))

    with Store(tmp_path / "s.sqlite") as store:
        run = run_batch(
            [str(tmp_path / "in")],
            store,
            BatchOptions(weights_dir=str(tiny_weights), scheduler=cluster.scheduler_address),
            on_file=kill_a_worker,
        )
        rows = list(store.iter_rows(run))
    assert killed and killed[0][1], "the killed worker held no file"
    assert [r["path"] for r in rows] == [str(p) for p in files]
    assert all(r["status"] == "analysed" for r in rows), [r["error"] for r in rows]
