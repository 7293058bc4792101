import type { JobProgress, PhaseProgress } from './jobStore.js';

/** Where a phase's current pass began (kept beside a running job; not stored). */
interface Pass {
  startedAt: number;
  doneAtStart: number;
  /** Milliseconds of the phase's earlier passes. */
  earlier: number;
}

/**
 * Keeps a job's `phase` and `phases` up to date from its progress events: which phase runs now
 * (train, evaluate, test, features, bank), how far it is, the time spent in it and an ETA. Training
 * steps carry their own speed (steps/s); other phases are timed here, per pass (each dev
 * evaluation is a pass of `evaluate`).
 */
export class PhaseClock {
  readonly #passes = new Map<string, Pass>();
  /** When each phase last reported (the end of its latest pass). */
  readonly #lastSeen = new Map<string, number>();

  /** A new run starts (a transfer job runs several): its phases start over. */
  reset(p: JobProgress): void {
    this.#passes.clear();
    this.#lastSeen.clear();
    p.phases = [];
    p.phase = null;
  }

  /**
   * Records that `name` has `done` of `total` units done at `now` (ms); `rate` (units/s), when the
   * event measured one, gives the ETA, else the pass's own elapsed time does.
   */
  update(p: JobProgress, name: string, done: number, total: number, unit: string, now: number, rate?: number): PhaseProgress {
    let entry = p.phases.find((e) => e.name === name);
    if (!entry) {
      entry = { name, done: 0, total, unit, seconds: 0, etaSeconds: null };
      p.phases.push(entry);
    }
    let pass = this.#passes.get(name);
    // A new pass: another phase ran in between, or the count went back (the next dev evaluation).
    if (!pass || p.phase !== name || done < entry.done) {
      const earlier = pass ? pass.earlier + (this.#lastSeen.get(name) ?? pass.startedAt) - pass.startedAt : entry.seconds * 1000;
      pass = { startedAt: now, doneAtStart: done, earlier };
      this.#passes.set(name, pass);
    }
    this.#lastSeen.set(name, now);
    p.phase = name;
    entry.done = done;
    entry.total = total;
    entry.unit = unit;
    entry.seconds = (pass.earlier + now - pass.startedAt) / 1000;
    const left = Math.max(0, total - done);
    if (rate && Number.isFinite(rate) && rate > 0) entry.etaSeconds = left / rate;
    else if (done > pass.doneAtStart && now > pass.startedAt) entry.etaSeconds = (left * (now - pass.startedAt)) / 1000 / (done - pass.doneAtStart);
    else entry.etaSeconds = left === 0 ? 0 : null;
    return entry;
  }
}
