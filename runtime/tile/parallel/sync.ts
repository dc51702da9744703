// The shared control block of the two-thread runner (runtime/tile/parallel/runner.ts) and the barrier its
// participants meet at after every segment. Participant 0 is the main thread; the others are workers. The
// main thread starts a run by zeroing the arrivals and bumping `go`; each participant, after its share of
// segment s, publishes arrival s + 1 and waits until everyone has arrived (or someone aborted); at the end
// each worker publishes the run it finished. Waits spin briefly first: a segment often lasts microseconds.

const GO = 0, STOP = 1, ABORT = 2, HEADER = 3;
/** Bytes of error text a worker can leave for the main thread (which is blocked, so cannot take messages). */
const ERROR_TEXT = 4096;
/** Arrival of a participant that aborted: at or beyond every barrier. */
const ABORTED = 0x7fffffff;
const SPINS = 4000;

/** What went wrong in a worker's run. */
export const WorkerFault = { None: 0, Program: 1, Internal: 2 } as const;
export type WorkerFault = (typeof WorkerFault)[keyof typeof WorkerFault];

export class Control {
  readonly words: Int32Array;
  private readonly text: Uint8Array;

  constructor(readonly participants: number, readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(4 * (HEADER + 3 * participants) + ERROR_TEXT * participants)) {
    this.words = new Int32Array(buffer, 0, HEADER + 3 * participants);
    this.text = new Uint8Array(buffer, 4 * (HEADER + 3 * participants));
  }

  private arrival(p: number): number { return HEADER + p; }
  private finished(p: number): number { return HEADER + this.participants + p; }
  private fault(p: number): number { return HEADER + 2 * this.participants + p; }

  /** Main thread: starts run `generation` (> the previous one) on every worker. */
  start(generation: number): void {
    const w = this.words;
    Atomics.store(w, ABORT, 0);
    for (let p = 0; p < this.participants; p++) { Atomics.store(w, this.arrival(p), 0); Atomics.store(w, this.fault(p), WorkerFault.None); }
    Atomics.store(w, GO, generation);
    Atomics.notify(w, GO);
  }

  /** Main thread: tells the workers to exit. */
  stop(): void {
    Atomics.store(this.words, STOP, 1);
    Atomics.add(this.words, GO, 1);
    Atomics.notify(this.words, GO);
  }

  /** Worker: blocks until a run after `generation` starts; returns it, or undefined when told to stop. */
  awaitRun(generation: number): number | undefined {
    const w = this.words;
    while (Atomics.load(w, GO) === generation) Atomics.wait(w, GO, generation);
    return Atomics.load(w, STOP) === 1 ? undefined : Atomics.load(w, GO);
  }

  get aborted(): boolean { return Atomics.load(this.words, ABORT) === 1; }

  /** Participant p stops the run (a fault or an error): everyone leaves at the next barrier. */
  abort(p: number): void {
    Atomics.store(this.words, ABORT, 1);
    this.arrive(p, ABORTED);
  }

  private arrive(p: number, value: number): void {
    Atomics.store(this.words, this.arrival(p), value);
    Atomics.notify(this.words, this.arrival(p));
  }

  /** Participant p finished segment `segment`; waits for the others. False when the run was aborted. */
  barrier(p: number, segment: number): boolean {
    const target = segment + 1, w = this.words;
    this.arrive(p, target);
    for (let q = 0; q < this.participants; q++) {
      if (q === p) continue;
      const at = this.arrival(q);
      let spins = 0;
      for (let v = Atomics.load(w, at); v < target; v = Atomics.load(w, at)) {
        if (spins++ < SPINS) continue;
        Atomics.wait(w, at, v);
      }
    }
    if (this.aborted) { this.arrive(p, ABORTED); return false; }
    return true;
  }

  /** Worker p: run `generation` is over (its fault, if any, recorded first). */
  finish(p: number, generation: number): void {
    Atomics.store(this.words, this.finished(p), generation);
    Atomics.notify(this.words, this.finished(p));
  }

  /** Main thread: waits until worker p has finished run `generation`. */
  awaitFinished(p: number, generation: number): void {
    const w = this.words, at = this.finished(p);
    for (let v = Atomics.load(w, at); v !== generation; v = Atomics.load(w, at)) Atomics.wait(w, at, v);
  }

  /** Worker p records why its run stopped. */
  recordFault(p: number, kind: WorkerFault, message: string): void {
    const bytes = Buffer.from(message, 'utf8').subarray(0, ERROR_TEXT - 4);
    const slot = this.text.subarray(p * ERROR_TEXT, (p + 1) * ERROR_TEXT);
    new DataView(slot.buffer, slot.byteOffset, 4).setUint32(0, bytes.length, true);
    slot.set(bytes, 4);
    Atomics.store(this.words, this.fault(p), kind);
  }

  faultOf(p: number): { kind: WorkerFault; message: string } {
    const kind = Atomics.load(this.words, this.fault(p)) as WorkerFault;
    const slot = this.text.subarray(p * ERROR_TEXT, (p + 1) * ERROR_TEXT);
    const n = new DataView(slot.buffer, slot.byteOffset, 4).getUint32(0, true);
    return { kind, message: Buffer.from(slot.subarray(4, 4 + n)).toString('utf8') };
  }
}
