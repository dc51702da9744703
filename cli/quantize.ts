import type { Graph } from '../ir/graph.js';
import { unsupported } from '../ir/errors.js';
import type { CompileSettings } from './compile-options.js';
import type { CalibrationReport } from './compile-report.js';
import type { SampleSource } from './samples.js';
import type { SessionLog } from './session.js';

// Calibration + QUANT_PIPELINE, called by the compile session. Placeholder until runtime/calibrate.ts and
// passes' QUANT_PIPELINE land.

export const QUANT_PASS_NAMES: readonly string[] = [];

export interface PassPrintOptions {
  readonly printIrAfter?: string;
  readonly timePasses: boolean;
  readonly print: (text: string) => void;
}

export function quantizeModel(_float: Graph, _calib: SampleSource, _s: CompileSettings, _log: SessionLog, _passOpts: PassPrintOptions): { graph: Graph; calibration: CalibrationReport } {
  return unsupported('quantization is not available yet: QUANT_PIPELINE has not landed');
}
