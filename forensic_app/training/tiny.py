"""A tiny random-weight model with a matching manifest and calibration.

Lets tests (and a fresh checkout before training) run the real pipeline end to end, as
demucs' unittest model does. Its manifest says ``trained: false`` and the app says so.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..core.model import PatchCNN
from ..core.spectrogram import FeatureContract
from ..core.weights import save_model_bundle
from .generators import FAMILIES

TINY_ARCH = {"type": "patch_cnn", "channels": [4, 4, 8, 8, 8, 8], "hidden": 8, "kernel": 3, "coord_channel": True}


def write_tiny_model(directory: Path, *, seed: int = 0) -> Path:
    contract = FeatureContract()
    torch.manual_seed(seed)
    net = PatchCNN.from_architecture(TINY_ARCH, contract.n_bins, len(FAMILIES))
    net.eval()
    manifest = {
        "name": "forensic-tiny-random",
        "version": "0.0.0-dev",
        "trained": False,
        "input": contract.to_dict(),
        "labels": ["real", "fake"],
        "families": list(FAMILIES),
        "architecture": TINY_ARCH,
        "training": {"description": "random initialisation, seed %d" % seed},
        "model_card": {"summary": "Untrained test model. Scores are meaningless."},
    }
    calibration = {
        "version": "cal-tiny-0",
        "window": {"a": 1.0, "b": 0.0},
        "track": {"features": ["cnn_mean_logit", "comb_z"], "coef": [1.0, 0.0], "intercept": 0.0},
        "thresholds": {"likely_fake": 0.9, "no_traces_found": 0.2},
        "comb": {"z_clip": 12.0},
    }
    return save_model_bundle(Path(directory), network=net, manifest=manifest, calibration=calibration)


if __name__ == "__main__":
    import sys

    print(write_tiny_model(Path(sys.argv[1] if len(sys.argv) > 1 else "weights")))
