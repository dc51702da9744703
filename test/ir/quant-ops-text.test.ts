import { describe, expect, it } from 'vitest';
import { graphDiff } from '../../ir/equal.js';
import { parseGraph } from '../../ir/parse.js';
import { printGraph } from '../../ir/print.js';
import { STAGES, checkStage } from '../../ir/stages.js';
import { verifyGraph } from '../../ir/verify.js';
import { everyRealizedOp, miniModel } from './quant-ops-fixture.js';

// The textual form carries realized graphs exactly: the integer ops' attributes, and quant params on
// values (per-channel weight scales with their axis, 4-bit activations, int32 biases at bits 32).

function roundTrip(text: string): void {
  const back = parseGraph(text, 'realized.ir');
  expect(printGraph(back)).toBe(text);
  verifyGraph(back);
}

describe('realized graphs in text', () => {
  it('round-trips the mini CNN', () => {
    const { realized } = miniModel();
    verifyGraph(realized);
    checkStage(realized, STAGES.quantized);
    const text = printGraph(realized);
    const back = parseGraph(text, 'mini.ir');
    expect(graphDiff(back, realized)).toBeUndefined();
    roundTrip(text);
    // What a reader sees: the per-channel weight scales with their axis, the fused clamp, quoted names.
    expect(text).toMatch(/init %W: int8\[4,2,3,3\] quant\{axis=0, bits=6, scale=\[[^\]]+\], zeroPoint=\[0,0,0,0\]\} = base64"/);
    expect(text).toMatch(/init %b: int32\[4\] quant\{axis=0, bits=32, scale=\[[^\]]+\], zeroPoint=\[0,0,0,0\]\} = \[/);
    expect(text).toMatch(/%r: int8\[1,4,6,6\] quant\{bits=8, scale=\[[^\]]+\], zeroPoint=\[-128\]\} = QConv @conv \(%"x:q", %W, %b\) \{auto_pad="NOTSET", group=1, multiplier=\[\d+,\d+,\d+,\d+\], padValue=3, pads=\[1,1,1,1\], qmax=127, qmin=-128, shift=\[-?\d+,-?\d+,-?\d+,-?\d+\], zeroPoint=-128\}/);
    expect(text).toContain('= QGemm @fc (%flat, %B, %c) {multiplier=[');
    expect(text).toContain('%y: float32[1,5] = Dequantize @"y:dequantize" (%"y:q") {scale=');
  });

  it('round-trips every other integer op', () => {
    const g = everyRealizedOp();
    verifyGraph(g);
    const text = printGraph(g);
    expect(graphDiff(parseGraph(text), g)).toBeUndefined();
    roundTrip(text);
    expect(text).toContain('%s: int8[1,2,4,4] quant{bits=4, scale=[0.5], zeroPoint=[1]} = QAdd @add (%a, %b) {aMultiplier=1073741824, aShift=0, aZeroPoint=0, bMultiplier=1073741824, bShift=-1, bZeroPoint=-8, leftShift=20, outMultiplier=1073741824, outShift=-19, qmax=7, qmin=-8, zeroPoint=1}');
    expect(text).toContain('= QGlobalAveragePool @gap (%avg) {zeroPoint=1}');
    expect(text).toContain('= Requantize @"a:requantize" (%a) {inZeroPoint=0, multiplier=[1073741824], qmax=7, qmin=-8, shift=[0], zeroPoint=-8}');
    expect(text).toContain('%xr: float32[1,2,4,4] = Round @round (%x)');
  });

  it('rejects a realized op with a missing or mistyped attribute, at its line', () => {
    const text = printGraph(everyRealizedOp());
    expect(() => parseGraph(text.replace('{zeroPoint=1}', '{}'), 'bad.ir')).toThrow(/^bad\.ir:\d+:\d+: .*zeroPoint/);
    expect(() => parseGraph(text.replace('multiplier=[1073741824]', 'multiplier=1073741824'), 'bad.ir')).toThrow(/bad\.ir:\d+:\d+: attribute 'multiplier' of Requantize must be a numbers?, got a number/);
  });
});
