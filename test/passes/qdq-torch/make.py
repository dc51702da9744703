"""Makes the fixture of test/passes/qdq-torch.test.ts: a real exporter's QDQ model.

torch 1.13 (Debian python3-torch) eager-mode static quantization (fbgemm: per-channel int8 weights, uint8
activations, int32 biases) of a small CNN, exported by torch.onnx.export (opset 13), then two edits for what
tilec's importer lacks (Cast is not an IR op):
- the Cast(uint8 -> uint8) torch writes between every QuantizeLinear and DequantizeLinear is a no-op: dropped;
- the int32 bias zero point, built as Cast(ConstantOfShape(...)), is folded into an int32 initializer.
Also writes io.json: 20 inputs and torch's quantized model outputs (fbgemm integer kernels) for them.

    python3 make.py      # writes model.onnx and io.json next to this file
"""
import json
import os

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper
from torch.ao.quantization import DeQuantStub, QuantStub, convert, fuse_modules, get_default_qconfig, prepare

HERE = os.path.dirname(os.path.abspath(__file__))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.q = QuantStub()
        self.c1 = nn.Conv2d(1, 4, 3, padding=1)
        self.r = nn.ReLU()
        self.p = nn.MaxPool2d(2)
        self.fc = nn.Linear(4 * 4 * 4, 5)
        self.dq = DeQuantStub()

    def forward(self, x):
        x = self.p(self.r(self.c1(self.q(x))))
        return self.dq(self.fc(torch.flatten(x, 1)))


def main():
    torch.manual_seed(0)
    m = Net().eval()
    m.qconfig = get_default_qconfig('fbgemm')
    fuse_modules(m, [['c1', 'r']], inplace=True)
    prepare(m, inplace=True)
    for _ in range(4):
        m(torch.rand(8, 1, 8, 8))
    convert(m, inplace=True)
    path = os.path.join(HERE, 'model.onnx')
    torch.onnx.export(m, torch.rand(1, 1, 8, 8), path, opset_version=13, input_names=['x'], output_names=['y'])

    model = onnx.load(path)
    g = model.graph
    producer = {o: n for n in g.node for o in n.output}
    rename, drop, inits = {}, set(), []
    for n in g.node:
        if n.op_type != 'Cast':
            continue
        src = producer.get(n.input[0])
        if src is not None and src.op_type == 'ConstantOfShape':
            shape = numpy_helper.to_array(producer[src.input[0]].attribute[0].t)
            fill = numpy_helper.to_array(src.attribute[0].t).item() if src.attribute else 0
            assert n.attribute[0].i == onnx.TensorProto.INT32
            inits.append(numpy_helper.from_array(np.full(tuple(shape), fill, dtype=np.int32), n.output[0]))
            drop |= {n.name, src.name, producer[src.input[0]].name}
        else:
            rename[n.output[0]] = n.input[0]
            drop.add(n.name)
    keep = [n for n in g.node if n.name not in drop]
    for n in keep:
        for i, v in enumerate(n.input):
            if v in rename:
                n.input[i] = rename[v]
    del g.node[:]
    g.node.extend(keep)
    g.initializer.extend(inits)
    onnx.checker.check_model(model)
    onnx.save(model, path)

    xs = torch.rand(20, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ys = [m(xs[i:i + 1]).numpy().ravel().tolist() for i in range(len(xs))]
    with open(os.path.join(HERE, 'io.json'), 'w') as f:
        json.dump({'x': [x.ravel().tolist() for x in xs.numpy()], 'y': ys}, f)


if __name__ == '__main__':
    main()
