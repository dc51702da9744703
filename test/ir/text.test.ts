import { describe, expect, it } from 'vitest';
import { TilecError } from '../../ir/errors.js';
import { graphDiff } from '../../ir/equal.js';
import type { Graph } from '../../ir/graph.js';
import { parseGraph } from '../../ir/parse.js';
import { printGraph } from '../../ir/print.js';
import { type Tensor, scalar, tensor } from '../../ir/tensor.js';
import { verifyGraph } from '../../ir/verify.js';
import { T, graph, i64, mk } from './build.js';

function mnistLike(): Graph {
  const w = tensor('float32', [2, 1, 2, 2], [0.5, -0, 1e-7, 3.4028234663852886e38, 1, 2, 3, 4]);
  const g = graph({
    name: 'mnist',
    inputs: { Input3: T('float32', 1, 1, 4, 4) },
    initializers: { 'gpu_0/res2_0_branch2a_w_0': w, shape: i64(1, -1) },
    nodes: [
      mk('Conv', ['Input3', 'gpu_0/res2_0_branch2a_w_0', ''], { group: 1, auto_pad: 'SAME_UPPER', strides: [1, 1], kernel_shape: [2, 2] }, ['conv 1'], 'Convolution28'),
      mk('MaxPool', ['conv 1'], { kernel_shape: [2, 2], auto_pad: 'NOTSET', ceil_mode: 0, count_include_pad: 0, storage_order: 0 }, ['pool', ''], 'conv1/7x7_s2'),
      mk('Reshape', ['pool', 'shape'], { allowzero: 0 }, ['out'], 'r'),
    ],
    outputs: ['out'],
  });
  return { ...g, opsets: new Map([['', 8], ['com.microsoft', 1]]) };
}

const roundTrip = (g: Graph): Graph => parseGraph(printGraph(g));

describe('printGraph', () => {
  it('prints the documented form', () => {
    expect(printGraph(mnistLike())).toBe([
      'graph "mnist" opset(""=8, "com.microsoft"=1) {',
      '  input %Input3: float32[1,1,4,4]',
      '  init %gpu_0/res2_0_branch2a_w_0: float32[2,1,2,2] = [0.5,-0,1.0000000116860974e-7,3.4028234663852886e+38,1,2,3,4]',
      '  init %shape: int64[2] = [1,-1]',
      '  %"conv 1": float32[1,2,4,4] = Conv @Convolution28 (%Input3, %gpu_0/res2_0_branch2a_w_0, _) {auto_pad="SAME_UPPER", group=1, kernel_shape=[2,2], strides=[1,1]}',
      '  %pool: float32[1,2,3,3], _ = MaxPool @conv1/7x7_s2 (%"conv 1") {auto_pad="NOTSET", ceil_mode=0, count_include_pad=0, kernel_shape=[2,2], storage_order=0}',
      '  %out: float32[1,18] = Reshape @r (%pool, %shape) {allowzero=0}',
      '  output %out',
      '}',
      '',
    ].join('\n'));
  });

  it('prints big or NaN-holding tensors as base64 of the little-endian bytes', () => {
    const t = tensor('float32', [17]);
    t.data[3] = NaN;
    const small = tensor('float32', [2], [NaN, 1]);
    const text = printGraph(graph({ initializers: { big: t, small } }));
    const bytes = new Uint8Array(17 * 4);
    new DataView(bytes.buffer).setFloat32(12, NaN, true);
    expect(text).toContain(`init %big: float32[17] = base64"${Buffer.from(bytes).toString('base64')}"`);
    expect(text).toContain('init %small: float32[2] = base64"AADAfwAAgD8="');
  });

  it('elides big tensors on request, and such text refuses to parse', () => {
    const text = printGraph(mnistLike(), { elideTensorsAbove: 4 });
    expect(text).toContain('init %gpu_0/res2_0_branch2a_w_0: float32[2,1,2,2] = ...\n');
    expect(text).toContain('init %shape: int64[2] = [1,-1]');
    expect(() => parseGraph(text, 'dump.ir')).toThrow('dump.ir:3:');
    expect(() => parseGraph(text)).toThrow('the tensor data was elided');
  });

  it('prints quant params, special numbers and tensor attributes', () => {
    const g = graph({
      inputs: { x: T('float32', 2) },
      initializers: { s: i64(2) },
      nodes: [
        mk('Clip', ['x'], { min: -Infinity, max: 6 }, ['c'], 'clip'),
        mk('LeakyRelu', ['c'], { alpha: -0 }, ['l'], 'lr'),
        mk('ConstantOfShape', ['s'], { value: scalar('int32', 7) }, ['k'], 'cos'),
        mk('Softmax', ['l'], { axis: -1, coerce2d: true }, ['sm'], 'sm'),
      ],
    });
    const values = new Map(g.values).set('c', { ...T('float32', 2), quant: { scale: [5e-324, 1.5], zeroPoint: [0, -3], bits: 4, axis: 0 } });
    const text = printGraph({ ...g, values });
    expect(text).toContain('%c: float32[2] quant{axis=0, bits=4, scale=[5e-324,1.5], zeroPoint=[0,-3]} = Clip @clip (%x) {max=6, min=-inf}');
    expect(text).toContain('{alpha=-0}');
    expect(text).toContain('ConstantOfShape @cos (%s) {value=int32[] [7]}');
    expect(text).toContain('{axis=-1, coerce2d=true}');
    const back = parseGraph(text);
    expect(graphDiff(back, { ...g, values })).toBeUndefined();
    expect(Object.is((back.nodes[1]!.attrs as { alpha: number }).alpha, -0)).toBe(true);
  });

  it('prints broken graphs too (untyped values, stale types, wrong initializer types)', () => {
    const g = mnistLike();
    const values = new Map(g.values);
    values.delete('pool');
    values.set('stale', T('bool', 0));
    values.set('shape', T('int64', 1, 2));
    const broken: Graph = { ...g, values, initializers: new Map(g.initializers).set('untyped', i64(5)) };
    const text = printGraph(broken);
    expect(text).toContain('  value %stale: bool[0]\n');
    expect(text).toContain('  %pool, _ = MaxPool');
    expect(text).toContain('  init %shape: int64[1,2] = int64[2] [1,-1]\n');
    expect(text).toContain('  init %untyped = int64[1] [5]\n');
    expect(graphDiff(parseGraph(text), broken)).toBeUndefined();
    expect(printGraph(parseGraph(text))).toBe(text);
  });
});

describe('parseGraph', () => {
  it('round-trips the example exactly, structurally and as text', () => {
    const g = mnistLike();
    const back = roundTrip(g);
    expect(graphDiff(back, g)).toBeUndefined();
    expect(printGraph(back)).toBe(printGraph(g));
    expect(() => verifyGraph(back)).not.toThrow();
  });

  it('accepts comments, free spacing, float lists that round to float32, and quoted names', () => {
    const text = `# a hand-written graph
      graph "h"   opset( ""=13 ) {
        input %"x y":float32[ 2 ]   # the input
        init %w : float32[2] = [0.1, +2]
        %"z\\n\\"q\\"" : float32[2] = Add @"add #1" ( %"x y" , %w )
        output %"z\\n\\"q\\""
      }`;
    const g = parseGraph(text);
    expect(g.inputs).toEqual(['x y']);
    expect(g.nodes[0]!.name).toBe('add #1');
    expect(g.outputs).toEqual(['z\n"q"']);
    expect(Array.from(g.initializers.get('w')!.data)).toEqual([Math.fround(0.1), 2]);
    expect(() => verifyGraph(g)).not.toThrow();
    expect(printGraph(g)).toContain('%"z\\n\\"q\\"": float32[2] = Add @"add #1" (%"x y", %w)');
  });

  it('reads every dtype bit-exactly from lists and base64', () => {
    const cases: Tensor[] = [
      tensor('float64', [3], [Math.PI, -0, Number.MIN_VALUE]),
      tensor('int8', [2], [-128, 127]),
      tensor('uint8', [1], [255]),
      tensor('int16', [2], [-32768, 32767]),
      tensor('uint16', [1], [65535]),
      tensor('int32', [2], [-2147483648, 2147483647]),
      tensor('int64', [3], [-(2 ** 53), 2 ** 53, -1]),
      tensor('bool', [2], [1, 0]),
    ];
    for (const t of cases) {
      const big = tensor(t.dtype, [20], Array.from({ length: 20 }, (_, i) => t.data[i % t.data.length]!));
      const g = graph({ initializers: { t, big } });
      const back = roundTrip(g);
      expect(graphDiff(back, g), t.dtype).toBeUndefined();
      expect(printGraph(g)).toContain('base64"');
    }
    // A NaN payload survives (a list would canonicalize it).
    const bits = new Uint32Array([0x7fa00001, 0xffc00000]);
    const nan = { dtype: 'float32' as const, shape: [2], data: new Float32Array(bits.buffer) };
    const back = roundTrip(graph({ initializers: { nan } })).initializers.get('nan')!;
    expect(Array.from(new Uint32Array(back.data.buffer))).toEqual([0x7fa00001, 0xffc00000]);
  });

  const bad: [string, string, string][] = [
    ['missing graph keyword', 'grap "g" opset() {}', "<ir>:1:1: expected 'graph' at the start"],
    ['unknown op', 'graph "g" opset() {\n  %y = Foo @n (%x)\n}', "<ir>:2:8: unknown op 'Foo'"],
    ['unknown attribute', 'graph "g" opset() {\n  %y = Relu @n (%x) {alpha=1}\n}', "<ir>:2:22: Relu has no attribute 'alpha'"],
    ['attribute kind', 'graph "g" opset() {\n  %y = Flatten @n (%x) {axis="1"}\n}', "<ir>:2:30: attribute 'axis' of Flatten must be a number, got a string"],
    ['enum value', 'graph "g" opset() {\n  %y = Conv @n (%x, %w) {auto_pad="SAME", group=1}\n}', '<ir>:2:35: attribute \'auto_pad\' must be one of "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID", got "SAME"'],
    ['missing attribute', 'graph "g" opset() {\n  %y = Gemm @n (%a, %b) {alpha=1, beta=1, transA=0}\n}', "<ir>:2:8: Gemm 'n' is missing required attribute 'transB'"],
    ['duplicate attribute', 'graph "g" opset() {\n  %y = Flatten @n (%x) {axis=1, axis=2}\n}', "<ir>:2:33: attribute 'axis' is given twice"],
    ['bad dtype', 'graph "g" opset() {\n  input %x: float16[2]\n}', "<ir>:2:13: expected a dtype"],
    ['bad dim', 'graph "g" opset() {\n  input %x: float32[2,-1]\n}', '<ir>:2:23: expected a dimension (an integer >= 0), got -1'],
    ['list too short', 'graph "g" opset() {\n  init %w: float32[3] = [1,2]\n}', '<ir>:2:25: 2 values for float32[3], which needs 3'],
    ['int out of range', 'graph "g" opset() {\n  init %w: uint8[1] = [256]\n}', '<ir>:2:23: element 0 = 256 is not a uint8 (an integer in [0, 255])'],
    ['base64 length', 'graph "g" opset() {\n  init %w: float32[1] = base64"AAAA"\n}', '<ir>:2:25: 3 bytes of data, but float32[1] needs 4'],
    ['base64 alphabet', 'graph "g" opset() {\n  init %w: float32[1] = base64"AA*A"\n}', '<ir>:2:25: malformed base64 data'],
    ['int64 beyond 2^53', 'graph "g" opset() {\n  init %w: int64[1] = base64"AQAAAAAAIAA="\n}', '<ir>:2:23: int64 element 0 = 9007199254740993 is beyond 2^53'],
    ['untyped init', 'graph "g" opset() {\n  init %w = [1]\n}', "<ir>:2:8: initializer %w has no type"],
    ['two types', 'graph "g" opset() {\n  input %x: float32[1]\n  %x: float32[2] = Relu @r (%x)\n}', '<ir>:3:3: value %x is declared as float32[1] and again as float32[2]'],
    ['unterminated string', 'graph "g opset() {}', '<ir>:1:7: unterminated string'],
    ['missing brace', 'graph "g" opset() {\n  input %x: float32[1]\n', "<ir>:3:1: unexpected end of input: missing '}'"],
    ['trailing text', 'graph "g" opset() {}\nextra', "<ir>:2:1: unexpected 'extra' after the closing '}'"],
    ['duplicate opset', 'graph "g" opset(""=1, ""=2) {}', '<ir>:1:23: opset domain "" is given twice'],
    ['bad opset version', 'graph "g" opset(""=0) {}', '<ir>:1:20: expected an opset version, got 0'],
    ['number into word', 'graph "g" opset() {\n  %y = Flatten @n (%x) {axis=1x}\n}', '<ir>:2:30: expected an attribute value'],
    ['space after %', 'graph "g" opset() {\n  output % y\n}', '<ir>:2:11: expected a value name after %'],
    ['quant field', 'graph "g" opset() {\n  input %x: float32[1] quant{bits=8, scale=[1], zp=[0]}\n}', "<ir>:2:49: unknown quant field 'zp'"],
    ['quant missing', 'graph "g" opset() {\n  input %x: float32[1] quant{bits=8, scale=[1]}\n}', "quant{...} is missing 'zeroPoint'"],
    ['inherited key', 'graph "g" opset() {\n  %y = Relu @n (%x) {constructor=1}\n}', "<ir>:2:22: Relu has no attribute 'constructor'"],
    ['unknown item', 'graph "g" opset() {\n  inputs %x: float32[1]\n}', "<ir>:2:3: expected 'input', 'init', 'value', 'output', a node or '}', found 'inputs'"],
  ];
  it.each(bad)('reports %s with line:col', (_, text, message) => {
    expect(() => parseGraph(text)).toThrow(TilecError);
    expect(() => parseGraph(text)).toThrow(message);
  });

  it('reads names that end in a backslash', () => {
    const g = parseGraph('graph "g\\\\" opset() {\n  input %"a\\\\": float32[1]\n  output %"a\\\\"\n}');
    expect(g.name).toBe('g\\');
    expect(g.inputs).toEqual(['a\\']);
  });

  it('names the source in errors', () => {
    expect(() => parseGraph('graph "g" opset() {\n  bogus\n}', 'bug-123.ir')).toThrow('bug-123.ir:2:3: ');
  });
});
