import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { decodeTensorFile } from '../../frontend/index.js';
import { fail } from '../../ir/errors.js';
import type { Tensor } from '../../ir/tensor.js';

// ONNX backend-test data: `test_data_set_N/{input,output}_K.pb`, one TensorProto per file.

/** test_data_set_* subdirectories of dir in numeric order (test_data_set_2 before test_data_set_10). */
export function testDataSets(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => /^test_data_set_\d+$/.test(n) && statSync(path.join(dir, n)).isDirectory())
    .sort((a, b) => Number(a.slice(14)) - Number(b.slice(14)))
    .map((n) => path.join(dir, n));
}

/** `prefix_K.pb` files of a data set in numeric K order. */
export function tensorFiles(setDir: string, prefix: 'input' | 'output'): string[] {
  const re = new RegExp(`^${prefix}_(\\d+)\\.pb$`);
  return readdirSync(setDir)
    .map((n) => [n, re.exec(n)] as const)
    .filter((x): x is readonly [string, RegExpExecArray] => x[1] !== null)
    .sort((a, b) => Number(a[1][1]) - Number(b[1][1]))
    .map(([n]) => path.join(setDir, n));
}

export interface NamedTensor { readonly name: string; readonly tensor: Tensor; readonly file: string }

export function readTensorFile(file: string): NamedTensor {
  const { name, tensor } = decodeTensorFile(readFileSync(file), file);
  return { name, tensor, file };
}

/** The data sets a `pb:DIR` spec means: DIR's test_data_set_*, or DIR itself when it holds input_*.pb. */
export function pbSampleDirs(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) fail(`pb:${dir}: not a directory`);
  const sets = testDataSets(dir);
  if (sets.length > 0) return sets;
  if (tensorFiles(dir, 'input').length > 0) return [dir];
  return fail(`pb:${dir}: no test_data_set_* directories and no input_*.pb files`);
}
