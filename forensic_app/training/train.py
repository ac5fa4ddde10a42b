"""Training the patch CNN on cached features, on CPU, resumable.

Each step draws a balanced batch: half real segments (uniform over source packages, so no
composer dominates), half fakes (uniform over the decoder families being trained on), and a
random crop of ``crop_frames`` frames from each. Every output cell of a crop carries the
segment's label (real/fake pairs are content-matched, so the whole segment is one class);
fakes also train the family head. A random gain (+-12 dB) is applied in the feature domain.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..core.model import PatchCNN
from ..core.spectrogram import FeatureContract
from .features import FeatureStore
from .generators import FAMILIES as _CATALOGUE_FAMILIES
from .kinds import source_group

FAMILIES = list(_CATALOGUE_FAMILIES)  # the family head's outputs, in the generator catalogue's order


def width_tag(channels: list[int]) -> str:
    """Conv widths as they appear in run folder names: [4, 8, 16] -> "c4.8.16"."""
    return "c" + ".".join(map(str, channels))


@dataclass
class TrainConfig:
    # the narrowest width of benchmarks/width_study.py: as accurate as 2x and 4x wider, cheapest
    channels: list[int] = field(default_factory=lambda: [4, 8, 16, 16, 32, 32])
    hidden: int = 64
    crop_frames: int = 128
    batch: int = 16
    steps: int = 3000
    lr: float = 2e-3
    weight_decay: float = 1e-4
    family_weight: float = 0.3
    gain_db: float = 12.0
    seed: int = 1234
    threads: int = 1
    exclude_families: list[str] = field(default_factory=list)
    checkpoint_every: int = 100

    def architecture(self) -> dict:
        return {
            "type": "patch_cnn",
            "channels": list(self.channels),
            "hidden": self.hidden,
            "kernel": 3,
            "coord_channel": True,
        }


class BalancedSampler:
    def __init__(self, rows: list[dict[str, str]], exclude_families: list[str], rng: np.random.Generator):
        self.rng = rng
        self.real_by_source: dict[str, list[int]] = {}
        self.fake_by_family: dict[str, list[int]] = {}
        for i, r in enumerate(rows):
            if r.get("heldout", "").lower() in {"1", "true", "yes"}:
                continue
            if r["label"] == "real":
                # a kind family (synth, lo-fi, ...) is drawn as often as one real source package
                self.real_by_source.setdefault(source_group(r["source_package"]), []).append(i)
            elif r["family"] not in exclude_families:
                self.fake_by_family.setdefault(r["family"], []).append(i)
        if not self.real_by_source or not self.fake_by_family:
            raise ValueError("training split needs both real and fake segments")

    def draw(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        srcs, fams = list(self.real_by_source), list(self.fake_by_family)
        idx, lab = [], []
        for k in range(n):
            if k % 2 == 0:
                pool = self.real_by_source[srcs[self.rng.integers(len(srcs))]]
                lab.append(0)
            else:
                pool = self.fake_by_family[fams[self.rng.integers(len(fams))]]
                lab.append(1)
            idx.append(pool[self.rng.integers(len(pool))])
        return np.array(idx), np.array(lab)


def _log(msg: str, log) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=log or sys.stderr, flush=True)


def train(features_dir: Path, out_dir: Path, cfg: TrainConfig, contract: FeatureContract, *, log=None) -> PatchCNN:
    """Train (or resume) into ``out_dir/checkpoint.pt``; returns the trained network (eval mode)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(cfg.threads)
    store = FeatureStore(features_dir, "train")
    rows = store.rows[: len(store)]
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    sampler = BalancedSampler(rows, cfg.exclude_families, rng)
    fam_index = {f: i for i, f in enumerate(FAMILIES)}
    net = PatchCNN.from_architecture(cfg.architecture(), contract.n_bins, len(FAMILIES))
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.steps, pct_start=0.1)
    ckpt = out_dir / "checkpoint.pt"
    step, t_train = 0, 0.0
    history: list[dict] = []
    # the run folder is named by the configuration only: a dataset that grew since the
    # checkpoint was written must not be "resumed" into a model that never saw the new rows
    data_id = hashlib.sha256("\n".join(r["id"] for r in rows).encode()).hexdigest()[:16]
    if ckpt.exists():
        state = torch.load(ckpt, map_location="cpu", weights_only=False)  # our own checkpoint: includes RNG state
        if state.get("data_id") != data_id:  # older checkpoints did not record their data: unknown
            _log(f"training data changed since {ckpt} was written (or it does not say): starting over", log)
        elif state["config"] == asdict(cfg):
            net.load_state_dict(state["model"])
            opt.load_state_dict(state["opt"])
            sched.load_state_dict(state["sched"])
            step, t_train, history = state["step"], state["wall_s"], state["history"]
            rng.bit_generator.state = state["rng"]
            torch.set_rng_state(state["torch_rng"])
            _log(f"resumed at step {step}", log)
    bce = nn.BCEWithLogitsLoss()
    ce = nn.CrossEntropyLoss()
    n_frames = store.x.shape[2]
    net.train()
    t0 = time.time()
    run_loss, run_acc = 0.0, 0.0
    while step < cfg.steps:
        idx, lab = sampler.draw(cfg.batch)
        starts = rng.integers(0, n_frames - cfg.crop_frames + 1, size=cfg.batch)
        xb = np.stack([store.x[i, :, s : s + cfg.crop_frames] for i, s in zip(idx, starts)]).astype(np.float32)
        xb += (rng.uniform(-cfg.gain_db, cfg.gain_db, size=(cfg.batch, 1, 1)) / contract.norm_scale_db).astype(
            np.float32
        )
        x = torch.from_numpy(xb)
        y = torch.from_numpy(lab.astype(np.float32))
        fake, fam = net(x)
        loss = bce(fake, y.view(-1, 1, 1).expand_as(fake))
        fake_rows = np.nonzero(lab == 1)[0]
        if cfg.family_weight and fake_rows.size:
            fam_t = torch.tensor([fam_index[rows[i]["family"]] for i in idx[fake_rows]])
            fam_logits = fam[fake_rows].mean(dim=(2, 3))
            loss = loss + cfg.family_weight * ce(fam_logits, fam_t)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        step += 1
        run_loss += loss.item()
        run_acc += float(((fake.mean(dim=(1, 2)) > 0).float() == y).float().mean())
        if step % cfg.checkpoint_every == 0 or step == cfg.steps:
            t_train += time.time() - t0
            t0 = time.time()
            k = cfg.checkpoint_every if step % cfg.checkpoint_every == 0 else step % cfg.checkpoint_every
            history.append({"step": step, "loss": run_loss / k, "acc": run_acc / k, "wall_s": round(t_train, 1)})
            eta = t_train / step * (cfg.steps - step)
            _log(
                f"step {step}/{cfg.steps} loss {run_loss / k:.4f} acc {run_acc / k:.3f} "
                f"({t_train / step:.2f} s/step, ETA {eta / 60:.1f} min)",
                log,
            )
            run_loss = run_acc = 0.0
            tmp = ckpt.with_suffix(".tmp")
            torch.save(
                {
                    "config": asdict(cfg),
                    "model": net.state_dict(),
                    "opt": opt.state_dict(),
                    "sched": sched.state_dict(),
                    "step": step,
                    "data_id": data_id,
                    "wall_s": t_train,
                    "history": history,
                    "rng": rng.bit_generator.state,
                    "torch_rng": torch.get_rng_state(),
                },
                tmp,
            )
            tmp.replace(ckpt)
    (out_dir / "train_history.json").write_text(
        json.dumps({"config": asdict(cfg), "data_id": data_id, "history": history, "wall_s": t_train}, indent=1)
    )
    net.eval()
    return net
