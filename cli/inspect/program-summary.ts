import type { QuantParams } from '../../ir/graph.js';
import { numel, shapeStr } from '../../ir/tensor.js';
import { OP, type OpcodeName } from '../../backend/isa.js';
import { hostOpOfFn } from '../../backend/host-ops.js';
import { decodeCode, dtypeBytes, hex, type TileProgram } from '../../backend/program.js';
import { TBIN_VERSION } from '../../backend/tbin.js';
import { normalizeTarget } from '../../backend/target.js';
import { formatTable, thousands } from '../table.js';

// What `tilec inspect PROGRAM.tbin` reports: the target, the tensor table, the instruction mix and the constants.

export interface ProgramTensorSummary {
  readonly name: string;
  readonly role: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly addr: number;
  readonly bytes: number;
  readonly quant?: QuantParams;
}

export interface ProgramSummary {
  readonly format: string;
  readonly target: ReturnType<typeof normalizeTarget>;
  readonly dram_bytes: number;
  readonly inputs: readonly ProgramTensorSummary[];
  readonly outputs: readonly ProgramTensorSummary[];
  readonly tensors: readonly ProgramTensorSummary[];
  /** Instruction counts by opcode (every opcode listed), and their total. */
  readonly instructions: { readonly total: number; readonly by_opcode: Readonly<Record<OpcodeName, number>> };
  /** HOST instructions by operation (function code name, or `fn N` for a code this tilec does not know). */
  readonly host_ops: Readonly<Record<string, number>>;
  readonly constants: { readonly count: number; readonly bytes: number; readonly by_kind: Readonly<Record<string, number>> };
  readonly host_data_bytes: number;
  readonly code_bytes: number;
}

export function summarizeProgram(p: TileProgram): ProgramSummary {
  const tensors = p.tensors.map((t) => ({
    name: t.name, role: t.role, dtype: t.dtype, shape: t.shape, addr: t.addr, bytes: numel(t.shape) * dtypeBytes(t.dtype), ...(t.quant ? { quant: t.quant } : {}),
  }));
  const byOpcode = Object.fromEntries(Object.keys(OP).map((k) => [k, 0])) as Record<OpcodeName, number>;
  const hostOps = new Map<string, number>();
  const code = decodeCode(p.code, 'instruction ');
  for (const ins of code) {
    byOpcode[ins.op]++;
    if (ins.op === 'HOST') {
      const name = hostOpOfFn(ins.fn) ?? `fn ${ins.fn}`;
      hostOps.set(name, (hostOps.get(name) ?? 0) + 1);
    }
  }
  const byKind: Record<string, number> = {};
  let constBytes = 0;
  for (const c of p.constants) { byKind[c.kind] = (byKind[c.kind] ?? 0) + c.data.length; constBytes += c.data.length; }
  return {
    format: `tbin ${TBIN_VERSION.major}.${TBIN_VERSION.minor}`,
    target: normalizeTarget(p.target),
    dram_bytes: p.dramBytes,
    inputs: tensors.filter((t) => t.role === 'input'),
    outputs: tensors.filter((t) => t.role === 'output'),
    tensors,
    instructions: { total: code.length, by_opcode: byOpcode },
    host_ops: Object.fromEntries([...hostOps].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))),
    constants: { count: p.constants.length, bytes: constBytes, by_kind: byKind },
    host_data_bytes: p.hostData.length,
    code_bytes: p.code.length,
  };
}

const quantText = (q: QuantParams | undefined): string => {
  if (!q) return '';
  const list = (v: readonly number[]): string => (v.length > 3 ? `[${v.slice(0, 3).join(',')},... ${v.length}]` : `[${v.join(',')}]`);
  return `bits=${q.bits} scale=${list(q.scale.map((s) => Number(s.toPrecision(6))))} zp=${list(q.zeroPoint)}${q.axis !== undefined ? ` axis=${q.axis}` : ''}`;
};

export function formatProgramSummary(file: string, s: ProgramSummary): string {
  const t = s.target;
  const table = (ts: readonly ProgramTensorSummary[], withRole: boolean): string => formatTable(
    [...(withRole ? ['role'] : []), 'name', 'dtype', 'shape', 'addr', 'bytes', 'quantization'],
    ts.map((x) => [...(withRole ? [x.role] : []), x.name, x.dtype, shapeStr(x.shape), hex(x.addr), thousands(x.bytes), quantText(x.quant)]),
    new Set([withRole ? 5 : 4]),
  ).trimEnd().split('\n').map((l) => `  ${l}`).join('\n');
  const ops = Object.entries(s.instructions.by_opcode).filter(([, n]) => n > 0).map(([op, n]) => `${op} ${thousands(n)}`).join(', ');
  const hosts = Object.entries(s.host_ops).map(([op, n]) => `${op} ${n}`).join(', ');
  const kinds = Object.entries(s.constants.by_kind).map(([k, n]) => `${k} ${thousands(n)}`).join(', ');
  return [
    `tile program ${file} (${s.format})`,
    `target '${t.name}': t=${t.tile}, scratchpad ${thousands(t.scratchpadBytes)} B, accumulator ${thousands(t.accumulatorBytes)} B, `
      + `${t.dramBytesPerCycle} B/cycle, latency load/matmul/store ${t.latency.load}/${t.latency.matmul}/${t.latency.store}, `
      + `loop order ${t.loopOrder}${t.unlimitedMemory ? ', unlimited memory' : ''}`,
    `DRAM ${thousands(s.dram_bytes)} bytes`,
    '',
    'inputs (float32 feeds are quantized on entry when the tensor is int8 with quantization):', table(s.inputs, false),
    'outputs (int8 with quantization are dequantized on exit):', table(s.outputs, false),
    '',
    `instructions: ${thousands(s.instructions.total)} (${ops || 'none'})`,
    ...(hosts ? [`host operations: ${hosts}`] : []),
    `constants: ${s.constants.count} (${thousands(s.constants.bytes)} bytes${kinds ? `: ${kinds}` : ''}); host operand data ${thousands(s.host_data_bytes)} bytes; code ${thousands(s.code_bytes)} bytes`,
    '',
    `tensors (${s.tensors.length}):`, table(s.tensors, true),
    '',
  ].join('\n');
}
