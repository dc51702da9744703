// Child process of the compile bench: onnxruntime-node's InferenceSession.create on one model, the point of
// comparison for tilec's compile time and memory. Prints one JSON line.
//   node --import tsx bench/children/ort-create.ts MODEL
import * as ort from 'onnxruntime-node';

const model = process.argv[2]!;
const t0 = performance.now();
try {
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  const wallMs = performance.now() - t0;
  await session.release();
  process.stdout.write(`${JSON.stringify({ code: 0, wall_ms: Math.round(wallMs), peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
} catch (e) {
  process.stdout.write(`${JSON.stringify({ code: 1, error: String(e instanceof Error ? e.message : e).split('\n')[0] })}\n`);
}
