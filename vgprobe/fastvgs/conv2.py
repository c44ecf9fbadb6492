"""Conv2: the ResDAVEnet that pools Trm1 frames ~16x in time (authors' ``ResDavenet``).

    (B, T, 768) -> Linear(768->128) -> BN -> ReLU -> 4 stages x 2 basic blocks -> (B, T_res, 768)

Convolutions are 2-D with kernel (1, k) over a height-1 map, as the authors wrote them, so
parameter shapes match their checkpoints. Each stage halves time: ``T <- ceil(T / 2)``.
"""

from __future__ import annotations

import torch
from torch import nn

from vgprobe.fastvgs.config import FaSTVGSConfig


class Conv1xk(nn.Conv2d):
    """The authors' (1, k) Conv2d over a height-1 map, computed as the identical 1-D convolution.

    Parameters stay 4-D (checkpoint compatible); PyTorch's CPU Conv2d takes a slow path for height-1
    inputs (measured ~10x slower than conv1d here), so the forward squeezes the height away.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, 1, T) -> (B, C', 1, T')
        y = nn.functional.conv1d(x.squeeze(2), self.weight.squeeze(2), None, self.stride[1], self.padding[1])
        return y.unsqueeze(2)


def _conv1xk(c_in: int, c_out: int, kernel: int, stride: int = 1) -> nn.Conv2d:
    return Conv1xk(c_in, c_out, kernel_size=(1, kernel), stride=(1, stride), padding=(0, kernel // 2), bias=False)


class BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int) -> None:
        super().__init__()
        self.conv1 = _conv1xk(c_in, c_out, kernel, stride)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = _conv1xk(c_out, c_out, kernel)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.relu = nn.ReLU()
        self.downsample = None
        if stride != 1 or c_in != c_out:
            self.downsample = nn.Sequential(
                Conv1xk(c_in, c_out, kernel_size=1, stride=(1, stride), bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + residual)


class ResDAVEnet(nn.Module):
    def __init__(self, cfg: FaSTVGSConfig) -> None:
        super().__init__()
        widths = cfg.conv2_widths
        self.linear = nn.Linear(cfg.hidden_size, widths[0])
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU()
        c_in = widths[0]
        for stage, c_out in enumerate(widths[1:], start=1):
            blocks = nn.Sequential(BasicBlock(c_in, c_out, cfg.conv2_kernel, 2), BasicBlock(c_out, c_out, cfg.conv2_kernel, 1))
            self.add_module(f"layer{stage}", blocks)
            c_in = c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, D) -> (B, T_res, D)."""
        x = self.linear(x).transpose(1, 2).unsqueeze(2)  # (B, C, 1, T)
        x = self.relu(self.bn1(x))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return x.squeeze(2).transpose(1, 2)


def n_conv2_frames(n_frames: int) -> int:
    """Conv2 output length for ``n_frames`` input frames: four times ``ceil(T / 2)``."""
    for _ in range(4):
        n_frames = (n_frames - 1) // 2 + 1
    return n_frames


def conv2_valid_frames(w2v2_valid: torch.Tensor, t_in: int, t_out: int) -> torch.Tensor:
    """The authors' Conv2 length arithmetic (can mask the last frame even without padding).

    ``pooling_ratio = round(t_in / t_out)`` (Python round, half to even), then
    ``nframes = int(w2v2_valid / pooling_ratio)`` (true division, truncated).
    """
    ratio = round(t_in / t_out)
    return torch.div(w2v2_valid, ratio).to(w2v2_valid.dtype)
