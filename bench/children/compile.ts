// Child process of the compile bench: runs `tilec compile ARGS... --json` in-process (fresh heap per run, so
// one model's peak cannot hide another's) and prints one JSON line: exit code, wall time, the high-water RSS
// and the compile's --json document.
//   node --import tsx bench/children/compile.ts ARGS...
import { main } from '../../cli/tilec.js';

const args = process.argv.slice(2);
let out = '', err = '';
const t0 = performance.now();
const code = await main(['compile', ...args, '--json'], { out: (t) => { out += t; }, err: (t) => { err += t; } });
const wallMs = performance.now() - t0;
// resourceUsage().maxRSS is in KiB: the process's peak resident set, import and compile together.
const peakRssMb = process.resourceUsage().maxRSS / 1024;
let report: unknown;
try { report = code === 0 ? JSON.parse(out) : undefined; } catch { report = undefined; }
process.stdout.write(`${JSON.stringify({ code, wall_ms: Math.round(wallMs), peak_rss_mb: Math.round(peakRssMb), error: code === 0 ? undefined : err.trim().split('\n').at(-1), report })}\n`);
