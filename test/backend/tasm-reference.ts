import { CodeBuilder, decodeCode, hex, type TileProgram } from '../../backend/program.js';
import { normalizeTarget, presetTarget } from '../../backend/target.js';
import { formatInstruction } from '../../backend/tasm.js';
import { TBIN_VERSION } from '../../backend/tbin.js';

// Test oracles for the streamed .tasm (test/backend/tasm-stream.test.ts, test/cli/tasm-stream.test.ts).

/** The previous `disassemble`, which built the text as one string, kept verbatim: streaming must not change a byte. */
export function referenceDisassemble(p: TileProgram): string {
  const num = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));
  const pushData = (out: string[], data: Uint8Array): void => {
    for (let o = 0; o < data.length; o += 64) out.push(`.data ${Buffer.from(data.subarray(o, o + 64)).toString('base64')}`);
  };
  const out: string[] = [];
  const t = normalizeTarget(p.target);
  out.push('; tilec tile program: `tilec asm` assembles this back into the identical .tbin');
  out.push(`.tbin ${TBIN_VERSION.major}.${TBIN_VERSION.minor}`);
  out.push(`.dram ${p.dramBytes}`);
  out.push(`.target ${JSON.stringify(t.name)} tile=${t.tile} scratchpad_bytes=${t.scratchpadBytes} accumulator_bytes=${t.accumulatorBytes} ` +
    `dram_bytes_per_cycle=${num(t.dramBytesPerCycle)} latency_load=${t.latency.load} latency_matmul=${t.latency.matmul} ` +
    `latency_store=${t.latency.store} loop_order=${t.loopOrder} unlimited_memory=${t.unlimitedMemory}`);
  for (const e of p.tensors) {
    let line = `.tensor ${JSON.stringify(e.name)} role=${e.role} dtype=${e.dtype} shape=[${e.shape.join(',')}] addr=${hex(e.addr)}`;
    if (e.quant) {
      const q = e.quant;
      line += ` bits=${q.bits} scale=[${q.scale.map(num).join(',')}] zero_point=[${q.zeroPoint.join(',')}]`;
      if (q.axis !== undefined) line += ` axis=${q.axis}`;
    }
    out.push(line);
  }
  for (const c of p.constants) {
    out.push(`.const ${JSON.stringify(c.name)} kind=${c.kind} addr=${hex(c.addr)} bytes=${c.data.length}`);
    pushData(out, c.data);
  }
  if (p.hostData.length > 0) {
    out.push(`.hostdata bytes=${p.hostData.length}`);
    pushData(out, p.hostData);
  }
  out.push('.code');
  decodeCode(p.code, 'instruction ').forEach((ins, i) => out.push(`${formatInstruction(ins)} ; #${i}`));
  return out.join('\n') + '\n';
}

/** A program with several chunks' worth of constant data, non-ASCII names and a tensor line longer than a chunk. */
export function largeProgram(): TileProgram {
  const code = new CodeBuilder();
  for (let i = 0; i < 3000; i++) {
    code.load(i % 7, 0x100 + i, 28, 16, 16);
    code.matmul(1, 0, i % 3, 16, 16, 16, i % 2 === 0);
    code.store(1, 0x800, 16, 16, 16, i % 5 === 0 ? 'raw32' : 'requant', i % 5 === 0 ? 0 : 0x600, i % 3 === 1 && i % 5 !== 0, -128, 127);
  }
  code.fence();
  const channels = 6000;
  return {
    target: presetTarget('default'),
    dramBytes: 1 << 20,
    tensors: [
      { name: 'entrée "x" ✓', role: 'input', dtype: 'int8', shape: [1, 3, 8, 8], addr: 0x100 },
      { name: 'w', role: 'weight', dtype: 'int8', shape: [channels, 1], addr: 0x1000, quant: { scale: Array.from({ length: channels }, (_, i) => 1 / (i + 3)), zeroPoint: new Array(channels).fill(0), axis: 0, bits: 8 } },
    ],
    constants: [
      { name: 'big', kind: 'bytes', addr: 0x10000, data: new Uint8Array(200_001).map((_, i) => (i * 131) % 251) },
      { name: 'empty', kind: 'int8', addr: 0x100, data: new Uint8Array(0) },
    ],
    hostData: new Uint8Array(130).map((_, i) => i),
    code: code.bytes(),
  };
}

