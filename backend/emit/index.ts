// The backend's emission stage: lowered graph -> tile program (docs/host-ops.md, docs/isa.md).
export { emitProgram, HOST_IM2COL_NOTE, type EmitOptions, type EmitResult } from './emit-program.js';
export type { LayerReport, EmitTotals } from './report.js';
