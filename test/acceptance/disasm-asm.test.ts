import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../helpers/shared.js';
import { type CompileJson, tempDir, tilec, tilecJson } from './cli.js';

// Acceptance, "Lowering and tiling" criterion 3: `tilec disasm X.tbin > X.tasm && tilec asm X.tasm -o Y.tbin`
// gives back X.tbin byte for byte, on real compiler output (mnist-8 and the light ResNet-50: every section of
// the format, host operations, placed concatenations and ~1.7 million instructions).

const out = tempDir('acceptance-asm');

const models: readonly { readonly name: string; readonly rel: string }[] = [
  { name: 'mnist-8', rel: 'models/mnist-8/model.onnx' },
  { name: 'resnet50', rel: 'models/light/resnet50/model.onnx' },
];

describe('acceptance: disasm > X.tasm, asm X.tasm -o Y.tbin reproduces the compiled .tbin', () => {
  for (const { name, rel } of models) {
    const model = sharedPath(rel);
    it.skipIf(!model)(name, async () => {
      const dir = path.join(out, name);
      const compiled = await tilecJson<CompileJson>('compile', model!, '-o', dir);
      expect(compiled.files).toContain('model.tbin');
      const x = path.join(dir, 'model.tbin');

      // `tilec disasm X.tbin > X.tasm`: stdout, byte for byte, is the file.
      const d = await tilec('disasm', x);
      expect([d.code, d.err]).toEqual([0, '']);
      const tasm = path.join(dir, 'X.tasm');
      writeFileSync(tasm, d.out);
      // The same text compile wrote next to the program.
      expect(d.out === readFileSync(path.join(dir, 'model.tasm'), 'utf8')).toBe(true);

      const y = path.join(dir, 'Y.tbin');
      const a = await tilec('asm', tasm, '-o', y);
      expect([a.code, a.err]).toEqual([0, '']);
      const original = readFileSync(x), copy = readFileSync(y);
      expect(copy.length).toBe(original.length);
      expect(copy.equals(original)).toBe(true);
    }, 900_000);
  }
});
