import { parentPort } from 'node:worker_threads';
import { runCase } from './pipeline.js';
import type { Job, Reply } from './protocol.js';

// The fuzz worker thread: runs one case per message, for as long as the runner keeps it (the runner
// terminates it after a hang and starts a fresh one).

const port = parentPort;
if (!port) throw new Error('fuzz/worker.ts runs as a worker thread of fuzz/runner.ts');
port.on('message', (job: Job) => {
  const reply: Reply = { type: 'result', index: job.index, outcome: runCase(job.bytes, job.options, job.limits, job.workDir) };
  port.postMessage(reply);
});
port.postMessage({ type: 'ready' } satisfies Reply);
