import cliProgress from 'cli-progress';
import { type Io, processIo } from './io.js';

// A progress bar for long loops (calibration, verify over 10,000 samples). It draws on stderr only when
// stderr is a terminal of the real process: in pipes, CI logs and in-process tests stderr stays quiet,
// and stdout is never touched (it may carry the --json document).

export interface Progress {
  /** Moves the bar to `done` of `total`. */
  update(done: number): void;
  /** Removes the bar (call it on success and on error). */
  stop(): void;
}

const NO_PROGRESS: Progress = { update: () => {}, stop: () => {} };

/** True when a bar would be drawn for this Io (the process's own stderr, and it is a TTY). */
export const progressVisible = (io: Io): boolean => io === processIo && process.stderr.isTTY === true;

/** A bar titled `label` counting to `total`, or a silent stand-in when stderr is not a terminal. */
export function startProgress(io: Io, label: string, total: number): Progress {
  if (!progressVisible(io) || total <= 0) return NO_PROGRESS;
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: `${label} [{bar}] {value}/{total} {percentage}% | {duration_formatted} elapsed, ETA {eta_formatted}`,
    clearOnComplete: true,
    hideCursor: true,
    fps: 5,
  }, cliProgress.Presets.shades_classic);
  bar.start(total, 0);
  return {
    update: (done) => bar.update(done),
    stop: () => bar.stop(),
  };
}
