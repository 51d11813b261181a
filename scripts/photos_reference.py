#!/usr/bin/python3
"""The photos preset (configs/photos.yaml) in PyTorch, for scripts/bench.sh.

Trains the same tower as `siamese train --config configs/photos.yaml` on
balanced random pairs from a class-per-folder tree and prints one JSON object
with train_pairs_per_s and peak_rss_mib (and what was run).

The tower, layer for layer as internal/network builds it:

  conv3x3(32, stride 2, pad 1, no bias) - batchnorm - relu
  residual(32, stride 2)   conv3x3-bn-relu-conv3x3-bn + shortcut, relu
  residual(64, stride 2)   shortcut: conv1x1(stride 2, no bias)-bn when the
  residual(128, stride 2)  channels or the stride change
  global average pool - dense(128, bias) - l2 normalise

Initial weights: uniform on +-1/sqrt(fan_in) for conv and dense weights and
the dense bias, batch norm weight 1, bias 0, running mean 0, var 1 (eps 1e-5,
momentum 0.1), as internal/network/net.go does. The twins are two calls of
one tower (batch statistics per branch, running statistics updated twice a
step, as ours). Distance d = sqrt(sum (a-b)^2 + 1e-6); loss
mean(y d^2 + (1-y) max(margin - d, 0)^2), y = 1 for a similar pair. Adam
(0.9, 0.999, eps 1e-8) with decoupled weight decay (AdamW) and gradient
clipping by joint L2 norm, the preset's --weight-decay 1e-4 and --clip-norm 5;
its cosine schedule is per epoch and keeps lr constant within a one-epoch run.

Images are decoded once with PIL (RGB, bilinear resize to size x size) and kept
as uint8 (as siamese's decoded cache does), scaled to [0, 1] per batch. The
timed part is the training loop: pair drawing, batch assembly, forward,
backward and the optimiser step.

  /usr/bin/python3 scripts/photos_reference.py --train data/icons/train --size 64 --pairs 5000
"""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

EXTS = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff"}


def load_tree(root, size, channels):
    """Images of root/<class>/... (nested folders count for the top class)."""
    classes = sorted(d for d in os.listdir(root) if not d.startswith(".") and os.path.isdir(os.path.join(root, d)))
    paths, labels = [], []
    for ci, c in enumerate(classes):
        for dirpath, dirnames, files in os.walk(os.path.join(root, c)):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for f in sorted(files):
                if not f.startswith(".") and os.path.splitext(f)[1].lower() in EXTS:
                    paths.append(os.path.join(dirpath, f))
                    labels.append(ci)
    mode = "RGB" if channels == 3 else "L"
    x = np.empty((len(paths), channels, size, size), dtype=np.uint8)
    keep = []
    for i, p in enumerate(paths):
        try:
            with Image.open(p) as im:
                a = np.asarray(im.convert(mode).resize((size, size), Image.BILINEAR))
        except Exception as e:  # skipped with a warning, as siamese does
            print(f"warning: skipping {p}: {e}", file=sys.stderr)
            continue
        x[len(keep)] = a.reshape(size, size, channels).transpose(2, 0, 1)
        keep.append(labels[i])
    return torch.from_numpy(x[: len(keep)]), np.array(keep, dtype=np.int64), classes


def uniform_fan_in_(t, fan_in):
    b = 1.0 / fan_in ** 0.5
    with torch.no_grad():
        t.uniform_(-b, b)


def conv(cin, cout, k, stride):
    c = nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False)
    uniform_fan_in_(c.weight, cin * k * k)
    return c


def bn(c):
    return nn.BatchNorm2d(c, eps=1e-5, momentum=0.1)  # weight 1, bias 0, mean 0, var 1


class Residual(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1, self.bn1 = conv(cin, cout, 3, stride), bn(cout)
        self.conv2, self.bn2 = conv(cout, cout, 3, 1), bn(cout)
        self.proj = None
        if cin != cout or stride != 1:
            self.proj, self.bnp = conv(cin, cout, 1, stride), bn(cout)

    def forward(self, x):
        s = x if self.proj is None else self.bnp(self.proj(x))
        h = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(h)) + s)


class Tower(nn.Module):
    def __init__(self, channels=3, dim=128):
        super().__init__()
        self.stem, self.bn = conv(channels, 32, 3, 2), bn(32)
        self.blocks = nn.Sequential(Residual(32, 32, 2), Residual(32, 64, 2), Residual(64, 128, 2))
        self.dense = nn.Linear(128, dim)
        uniform_fan_in_(self.dense.weight, 128)
        uniform_fan_in_(self.dense.bias, 128)

    def forward(self, x):
        x = F.relu(self.bn(self.stem(x)))
        x = self.blocks(x)
        x = x.mean(dim=(2, 3))
        x = self.dense(x)
        return x / torch.sqrt((x * x).sum(dim=1, keepdim=True) + 1e-10)


def draw_pairs(rng, labels, by_class, multi, n):
    """n balanced pairs: even i similar (two images of one class), odd dissimilar."""
    a = np.empty(n, dtype=np.int64)
    b = np.empty(n, dtype=np.int64)
    y = np.empty(n, dtype=np.float32)
    ncls = len(by_class)
    for i in range(n):
        if i % 2 == 0:
            c = multi[rng.integers(len(multi))]
            m = by_class[c]
            j, k = rng.choice(len(m), 2, replace=False)
            a[i], b[i], y[i] = m[j], m[k], 1
        else:
            c1 = rng.integers(ncls)
            c2 = rng.integers(ncls - 1)
            c2 += c2 >= c1
            a[i] = by_class[c1][rng.integers(len(by_class[c1]))]
            b[i] = by_class[c2][rng.integers(len(by_class[c2]))]
            y[i] = 0
    return a, b, y


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", required=True, help="class-per-folder tree")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--channels", type=int, default=3)
    ap.add_argument("--pairs", type=int, default=20000, help="pairs per epoch")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--margin", type=float, default=1.0)
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--clip-norm", type=float, default=5.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    t0 = time.perf_counter()
    x, labels, classes = load_tree(args.train, args.size, args.channels)
    load_s = time.perf_counter() - t0
    by_class = [np.flatnonzero(labels == c) for c in range(len(classes))]
    by_class = [m for m in by_class if len(m) > 0]
    multi = [c for c, m in enumerate(by_class) if len(m) >= 2]
    if len(by_class) < 2 or not multi:
        sys.exit("need at least 2 classes and one class with 2 images")
    print(f"loaded {len(labels)} images of {len(by_class)} classes in {load_s:.1f}s", file=sys.stderr)

    net = Tower(args.channels)
    net.train()
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8,
                            weight_decay=args.weight_decay)
    steps = args.pairs // args.batch
    done, secs, loss_sum = 0, 0.0, 0.0
    for epoch in range(args.epochs):
        start = time.perf_counter()
        for s in range(steps):
            ia, ib, y = draw_pairs(rng, labels, by_class, multi, args.batch)
            xa = x[torch.from_numpy(ia)].float().div_(255)
            xb = x[torch.from_numpy(ib)].float().div_(255)
            yt = torch.from_numpy(y)
            ea, eb = net(xa), net(xb)
            d = torch.sqrt(((ea - eb) ** 2).sum(dim=1) + 1e-6)
            loss = (yt * d * d + (1 - yt) * torch.clamp(args.margin - d, min=0) ** 2).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if args.clip_norm > 0:
                nn.utils.clip_grad_norm_(net.parameters(), args.clip_norm)
            opt.step()
            loss_sum += loss.item()
            done += 1
        el = time.perf_counter() - start
        secs += el
        print(f"epoch {epoch + 1}/{args.epochs}  train loss {loss_sum / max(done, 1):.4f}  "
              f"{steps * args.batch / el:.0f} pairs/s  {el:.1f}s", file=sys.stderr)

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({
        "train_pairs": done * args.batch,
        "train_seconds": round(secs, 3),
        "train_pairs_per_s": round(done * args.batch / secs, 1),
        "train_loss": round(loss_sum / max(done, 1), 5),
        "peak_rss_mib": round(peak, 1),
        "images": int(len(labels)), "classes": len(by_class),
        "size": args.size, "channels": args.channels, "batch": args.batch,
        "threads": torch.get_num_threads(), "load_seconds": round(load_s, 2),
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
