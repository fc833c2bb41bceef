"""Multi-head self-attention as people write it — and the `.view` that crashes.

Run `ptlint check examples/attention_view.py`: PT001 marks the two views on tensors
that `transpose()` / `.t()` left non-contiguous; the other views are fine.
"""
import torch
import torch.nn as nn


class SelfAttention(nn.Module):
    def __init__(self, dim: int, num_heads: int = 8) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = self.head_dim ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)                      # each (B, heads, N, head_dim)
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        out = (attn @ v).transpose(1, 2)             # (B, N, heads, head_dim), non-contiguous
        out = out.view(B, N, C)  # PT001: needs .contiguous() or .reshape
        return self.proj(out)


class PatchEmbed(nn.Module):
    """Patches to tokens: splitting dims after a transpose is fine."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, dim, kernel_size=16, stride=16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        B, C, H, W = x.shape
        tokens = x.flatten(2).transpose(1, 2)        # (B, H*W, C)
        grid = tokens.transpose(1, 2).view(B, C, H, W)   # only splits a dim: works
        return tokens + grid.flatten(2).transpose(1, 2)


def accuracy(output, target, topk=(1,)):
    """The classic ImageNet-example helper: fine for top-1, crashes for top-5."""
    with torch.no_grad():
        maxk = max(topk)
        batch_size = target.size(0)
        _, pred = output.topk(maxk, 1, True, True)
        pred = pred.t()
        correct = pred.eq(target.view(1, -1).expand_as(pred))
        res = []
        for k in topk:
            correct_k = correct[:k].view(-1).float().sum(0, keepdim=True)  # PT001
            res.append(correct_k.mul_(100.0 / batch_size))
        return res


if __name__ == "__main__":
    x = torch.randn(2, 16, 64)
    print(SelfAttention(64)(x).shape)
