import type { Command } from 'commander';
import { ONNX_TOLERANCE } from '../check/compare.js';
import { discoverTests } from '../check/discover.js';
import { type TestResult, runBackendTest } from '../check/run-test.js';
import { EXIT } from '../io.js';
import { type RawLimitOptions, addLimitOptions, resolveLimits } from '../limits.js';
import { parseNonNegative } from '../options.js';
import { type CommandContext, printJson, wantsJson } from './context.js';

export interface CheckReport {
  readonly total: number;
  readonly passed: number;
  readonly failed: number;
  readonly unsupported: number;
  readonly tests: readonly TestResult[];
}

const LABEL = { passed: 'PASS ', failed: 'FAIL ', unsupported: 'UNSUP' } as const;

export function registerCheck(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('check')
    .summary('run ONNX backend-test directories through the float reference interpreter')
    .description(
      'Runs each ONNX backend test (model.onnx + test_data_set_*/input_*.pb, output_*.pb) through import, the float '
      + 'pipeline and the float reference interpreter, and compares every output with |got - expected| <= atol + rtol*|expected| '
      + '(dtype and shape must match; NaN equals NaN). Input shapes come from the input .pb files. '
      + 'A test is passed, failed, or unsupported (an op or attribute tilec does not implement; this does not fail the run).',
    )
    .argument('<DIR...>', 'a test directory, or a parent of many (searched two levels deep)')
    .option('--rtol <R>', 'relative tolerance', parseNonNegative, ONNX_TOLERANCE.rtol)
    .option('--atol <A>', 'absolute tolerance', parseNonNegative, ONNX_TOLERANCE.atol);
  addLimitOptions(cmd, ['maxModelBytes', 'maxTensorElements', 'maxMemoryBytes'])
    .addHelpText('after', `
Exit status: 0 when nothing failed, 1 when any test failed, 2 when a DIR is unusable.

Examples:
  $ tilec check ../shared/onnx-node-tests
  $ tilec check ../shared/models/light/resnet50 ../shared/models/mnist-8
  $ tilec check ../shared/onnx-node-tests --json | jq '.tests[] | select(.status != "passed")'`)
    .action((dirs: string[], opts: RawLimitOptions & { rtol: number; atol: number }, command: Command) => {
      const json = wantsJson(command);
      const limits = resolveLimits(opts);
      const tests = discoverTests(dirs);
      const results: TestResult[] = [];
      for (const tc of tests) {
        const r = runBackendTest(tc, {
          tolerance: { rtol: opts.rtol, atol: opts.atol },
          limits,
          warn: (m) => ctx.io.err(`warning: ${tc.name}: ${m}\n`),
        });
        results.push(r);
        if (!json) ctx.io.out(`${LABEL[r.status]} ${r.name}${r.reason !== null ? `: ${r.reason}` : ''}\n`);
      }
      const report = tally(results);
      if (json) printJson(ctx, report);
      else ctx.io.out(`\n${report.total} tests: ${report.passed} passed, ${report.failed} failed, ${report.unsupported} unsupported\n`);
      ctx.exitCode = report.failed > 0 ? EXIT.checkFailed : EXIT.ok;
    });
}

export function tally(tests: readonly TestResult[]): CheckReport {
  const count = (s: TestResult['status']): number => tests.filter((t) => t.status === s).length;
  return { total: tests.length, passed: count('passed'), failed: count('failed'), unsupported: count('unsupported'), tests };
}
