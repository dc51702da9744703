import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DTYPES, type DType, type TensorData, intRange, newTensorData } from '../../ir/dtype.js';
import { graphDiff } from '../../ir/equal.js';
import type { Graph, QuantParams, ValueType } from '../../ir/graph.js';
import { type Node, OP_NAMES, type OpName } from '../../ir/ops.js';
import { parseGraph } from '../../ir/parse.js';
import { printGraph } from '../../ir/print.js';
import type { Tensor } from '../../ir/tensor.js';
import { type AttrSpec, attrSpecs } from '../../ir/text/attr-schema.js';

// Random graphs, valid or not (the printer is total and the parser reads broken graphs back), with
// hostile names, every dtype, raw float bit patterns (NaN payloads, -0, subnormals) and any double
// in attributes and quant params. Property: print -> parse gives an equal graph and the same text.

const anyChar = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const nameArb = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_./-]{1,6}$/),
  fc.string({ maxLength: 6 }),
  fc.string({ unit: anyChar, maxLength: 4 }),
);

const shapeArb = fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 });
const typeArb = (quant: boolean): fc.Arbitrary<ValueType> => fc.record({
  dtype: fc.constantFrom(...DTYPES),
  shape: shapeArb,
  ...(quant ? { quant: fc.option(quantArb, { nil: undefined }) } : {}),
}, { requiredKeys: ['dtype', 'shape'] });

const quantArb: fc.Arbitrary<QuantParams> = fc.record({
  scale: fc.array(fc.double(), { maxLength: 3 }),
  zeroPoint: fc.array(fc.double(), { maxLength: 3 }),
  bits: fc.double(),
  axis: fc.option(fc.integer({ min: -3, max: 3 }), { nil: undefined }),
}, { requiredKeys: ['scale', 'zeroPoint', 'bits'] });

/** Element data from raw bits for floats (every pattern), from the exact range for integers. */
function dataArb(dtype: DType, n: number): fc.Arbitrary<TensorData> {
  const words = (k: number) => fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: k, maxLength: k }).map((w) => new Uint32Array(w).buffer);
  if (dtype === 'float32') return words(n).map((b) => new Float32Array(b));
  if (dtype === 'float64') return words(2 * n).map((b) => new Float64Array(b));
  const [lo, hi] = intRange(dtype);
  const el = dtype === 'int64' ? fc.oneof(fc.maxSafeInteger(), fc.constantFrom(lo, hi)) : fc.integer({ min: lo, max: hi });
  return fc.array(el, { minLength: n, maxLength: n }).map((xs) => { const d = newTensorData(dtype, n); d.set(xs); return d; });
}

const tensorOf = (dtype: DType, shape: readonly number[]): fc.Arbitrary<Tensor> =>
  dataArb(dtype, shape.reduce((a, b) => a * b, 1)).map((data) => ({ dtype, shape: [...shape], data }));
const tensorArb: fc.Arbitrary<Tensor> = typeArb(false).chain((t) => tensorOf(t.dtype, t.shape));

function attrArb(spec: AttrSpec): fc.Arbitrary<unknown> {
  switch (spec.kind) {
    case 'number': return fc.double();
    case 'numbers': return fc.array(fc.double(), { maxLength: 4 });
    case 'string': return spec.oneOf ? fc.constantFrom(...spec.oneOf) : fc.string();
    case 'bool': return fc.boolean();
    case 'tensor': return tensorArb;
  }
}

function attrsArb(op: OpName): fc.Arbitrary<Record<string, unknown>> {
  const specs = attrSpecs(op);
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [k, s] of Object.entries(specs)) fields[k] = attrArb(s);
  const required = Object.entries(specs).filter(([, s]) => !s.optional).map(([k]) => k);
  return fc.record(fields, { requiredKeys: required });
}

const graphArb: fc.Arbitrary<Graph> = fc.uniqueArray(nameArb, { minLength: 1, maxLength: 10 }).chain((pool) => {
  const ref = fc.constantFrom(...pool);
  const maybeAbsent = fc.oneof({ weight: 4, arbitrary: ref }, { weight: 1, arbitrary: fc.constant('') });
  const nodeArb: fc.Arbitrary<Node> = fc.constantFrom(...OP_NAMES).chain((op) => fc.record({
    op: fc.constant(op),
    name: nameArb,
    inputs: fc.array(maybeAbsent, { maxLength: 4 }),
    outputs: fc.array(maybeAbsent, { maxLength: 3 }),
    attrs: attrsArb(op),
  })) as fc.Arbitrary<Node>;
  // Initializers usually match their declared type; sometimes not (a broken graph must print too).
  const initArb = fc.tuple(ref, fc.boolean()).chain(([name, own]) => (own ? tensorArb : tensorOf('float32', [2])).map((t) => [name, t] as const));
  return fc.record({
    name: fc.string(),
    inputs: fc.array(ref, { maxLength: 3 }),
    outputs: fc.array(ref, { maxLength: 3 }),
    nodes: fc.array(nodeArb, { maxLength: 6 }),
    values: fc.array(fc.tuple(ref, typeArb(true)), { maxLength: 10 }).map((kv) => new Map(kv)),
    initializers: fc.array(initArb, { maxLength: 3 }).map((kv) => new Map(kv)),
    opsets: fc.uniqueArray(fc.tuple(fc.string({ maxLength: 5 }), fc.integer({ min: 1, max: 30 })), { selector: ([d]) => d, maxLength: 3 }).map((kv) => new Map(kv)),
  });
});

describe('textual IR round trip (property)', () => {
  it('print -> parse -> print is the identity, structurally and as text', () => {
    fc.assert(fc.property(graphArb, (g) => {
      const text = printGraph(g);
      const back = parseGraph(text, 'generated.ir');
      expect(graphDiff(back, g)).toBeUndefined();
      expect(printGraph(back)).toBe(text);
    }), { seed: 20240607, numRuns: 300 });
  });
});
