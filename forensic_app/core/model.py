"""The patch CNN (after Afchar et al.), built from the manifest's ``architecture``.

Fully convolutional: conv blocks (3x3 conv, batch norm, ReLU, 2x2 max-pool) followed by
1x1-conv heads applied at every cell of the last feature map. Each output cell is one
receptive-field-sized patch: ``2**n_blocks`` frames x ``2**n_blocks`` bins of the input.
Outputs per cell: a real/fake logit and decoder-family logits (attribution).
"""

from __future__ import annotations

from typing import Any, cast

import torch
from torch import nn


class PatchCNN(nn.Module):
    # nn.Module types its registered attributes as ``Tensor | Module`` (they live in _buffers and
    # _modules): these say what they hold. ``features`` becomes _FusedBlocks in fuse_for_inference.
    coord: torch.Tensor  # (1, 1, n_bins, 1), a non-persistent buffer
    features: nn.Sequential | _FusedBlocks

    def __init__(
        self,
        *,
        n_bins: int,
        channels: list[int],
        hidden: int,
        n_families: int,
        coord_channel: bool = True,
        kernel: int = 3,
    ):
        super().__init__()
        self.n_bins = n_bins
        self.coord_channel = coord_channel
        layers: list[nn.Module] = []
        c_in = 2 if coord_channel else 1
        for c in channels:
            layers += [
                nn.Conv2d(c_in, c, kernel, padding=kernel // 2, bias=False),
                nn.BatchNorm2d(c),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            ]
            c_in = c
        self.features = nn.Sequential(*layers)
        self.trunk = nn.Sequential(nn.Conv2d(c_in, hidden, 1), nn.ReLU(inplace=True), nn.Dropout2d(0.1))
        self.fake_head = nn.Conv2d(hidden, 1, 1)
        self.family_head = nn.Conv2d(hidden, max(n_families, 1), 1)
        self.stride = 2 ** len(channels)
        coord = torch.linspace(-1.0, 1.0, n_bins).view(1, 1, n_bins, 1)
        self.register_buffer("coord", coord, persistent=False)

    @classmethod
    def from_architecture(cls, arch: dict[str, Any], n_bins: int, n_families: int) -> "PatchCNN":
        if arch.get("type") != "patch_cnn":
            raise ValueError(f"unknown architecture type {arch.get('type')!r}")
        return cls(
            n_bins=n_bins,
            channels=list(arch["channels"]),
            hidden=int(arch["hidden"]),
            n_families=n_families,
            coord_channel=bool(arch.get("coord_channel", True)),
            kernel=int(arch.get("kernel", 3)),
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, n_bins, T) normalised features -> (fake (B, F', T'), family (B, K, F', T')).

        F' = n_bins // stride, T' = T // stride; cell (i, j) sees the patch around
        bins [i*stride, (i+1)*stride) and frames [j*stride, (j+1)*stride).
        """
        if self.coord_channel:
            b, f, t = x.shape
            if isinstance(self.features, _FusedBlocks):
                # channels-last weights: give them channels-last input, built in place (the first
                # convolution takes half the time it takes on an NCHW input it must convert; same outputs)
                h = torch.empty((b, f, t, 2), dtype=x.dtype).permute(0, 3, 1, 2)
                h[:, 0] = x
                h[:, 1] = self.coord[:, 0].expand(b, f, t)
                x = h
            else:
                x = torch.cat([x.unsqueeze(1), self.coord.expand(b, 1, f, t)], dim=1)
        else:
            x = x.unsqueeze(1)
        h = self.trunk(self.features(x))
        return self.fake_head(h)[:, 0], self.family_head(h)


def count_flops_per_frame(model: PatchCNN) -> float:
    """Multiply-adds per input frame (all bins), for cost estimates in benchmarks."""
    feats = model.features
    # training form: conv, BN, ReLU, max-pool per block; inference form (_FusedBlocks): conv, pool
    convs = (
        cast(list[nn.Conv2d], list(feats.convs))
        if isinstance(feats, _FusedBlocks)  # a ModuleList of Conv2d
        else [m for m in feats if isinstance(m, nn.Conv2d)]
    )
    flops, f, t_scale = 0.0, model.n_bins, 1.0
    c_in = 2 if model.coord_channel else 1
    for conv in convs:
        flops += f * t_scale * conv.kernel_size[0] * conv.kernel_size[1] * c_in * conv.out_channels
        c_in = conv.out_channels
        f //= 2
        t_scale /= 2
    return flops


def max_pool_2x2(x: torch.Tensor) -> torch.Tensor:
    """``torch.max_pool2d(x, 2)`` for (B, C, H, W), exactly (odd edges dropped the same way),
    as two strided maxima: about 7x faster on CPU, where the pooling kernel for NCHW tensors
    took as long as the convolutions themselves (measured on 16 x 744 x 1100 maps, one thread)."""
    h, w = x.shape[2] // 2 * 2, x.shape[3] // 2 * 2
    x = x[:, :, :h, :w]
    rows = torch.maximum(x[:, :, 0::2, :], x[:, :, 1::2, :])
    return torch.maximum(rows[:, :, :, 0::2], rows[:, :, :, 1::2])


class _FusedBlocks(nn.Module):
    """Inference form of the conv blocks: BN folded into the conv, max-pool before ReLU.

    Both rewrites are exact: BN in eval mode is a per-channel affine map, and ReLU is
    monotonic so it commutes with max-pooling (which then touches a quarter of the data).
    """

    def __init__(self, features: nn.Sequential):
        super().__init__()
        convs = []
        mods = list(features)
        for i in range(0, len(mods), 4):
            # a block is (Conv2d, BatchNorm2d, ReLU, MaxPool2d): nn.Sequential yields them as Module
            conv, bn = cast(nn.Conv2d, mods[i]), cast(nn.BatchNorm2d, mods[i + 1])
            running_mean, running_var = bn.running_mean, bn.running_var
            assert running_mean is not None and running_var is not None  # BatchNorm2d tracks running stats by default
            scale = bn.weight / torch.sqrt(running_var + bn.eps)
            # Conv2d stores its kernel size and padding as pairs; torch types the attributes tuple[int, ...]
            kernel_size = cast(tuple[int, int], conv.kernel_size)
            padding = cast("str | tuple[int, int]", conv.padding)
            fused = nn.Conv2d(conv.in_channels, conv.out_channels, kernel_size, padding=padding, bias=True)
            assert fused.bias is not None  # bias=True
            with torch.no_grad():
                fused.weight.copy_(conv.weight * scale.view(-1, 1, 1, 1))
                fused.bias.copy_(bn.bias - running_mean * scale)
            convs.append(fused)
        self.convs = nn.ModuleList(convs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in self.convs:
            x = torch.relu_(max_pool_2x2(conv(x)))
        return x


def fuse_for_inference(model: PatchCNN) -> PatchCNN:
    """Return an eval-mode copy of ``model`` whose conv blocks are fused, in channels-last layout
    (the same outputs up to float rounding, below 1e-5 in a logit)."""
    import copy

    fused = copy.deepcopy(model).eval()
    assert isinstance(fused.features, nn.Sequential)  # a model in training form: its blocks not fused yet
    fused.features = _FusedBlocks(fused.features)
    # channels-last weights make the CPU convolutions about 2.5x faster (oneDNN's preferred layout);
    # the outputs differ from NCHW only by float rounding (< 1e-5 in a logit)
    # Module.to takes memory_format at run time, but torch's overloads of it leave the keyword out
    return fused.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
