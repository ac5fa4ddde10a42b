"""Cost figures printed by the benchmarks: the same for the training and the inference form."""

from __future__ import annotations

import torch

from forensic_app.core.model import PatchCNN, count_flops_per_frame, fuse_for_inference


def test_multiply_adds_count_every_conv_and_agree_for_the_fused_net():
    net = PatchCNN(n_bins=64, channels=[4, 8], hidden=8, n_families=2, coord_channel=True)
    # conv 1: 64 bins x 9 taps x 2 inputs x 4 outputs; pool halves bins and frames;
    # conv 2: 32 bins x 0.5 frames x 9 taps x 4 inputs x 8 outputs
    expected = 64 * 9 * 2 * 4 + 32 * 0.5 * 9 * 4 * 8
    assert count_flops_per_frame(net) == expected
    fused = fuse_for_inference(net.eval())
    assert count_flops_per_frame(fused) == expected
    x = torch.randn(1, 64, 64)
    with torch.inference_mode():
        assert torch.allclose(net(x)[0], fused(x)[0], atol=1e-5)


def test_the_inference_max_pool_is_torch_s_max_pool_exactly():
    import torch

    from forensic_app.core.model import max_pool_2x2

    for shape in [(2, 3, 7, 9), (1, 1, 2, 2), (1, 4, 5, 4), (1, 16, 64, 33)]:
        x = torch.randn(*shape)
        assert torch.equal(max_pool_2x2(x), torch.max_pool2d(x, 2)), shape
