import seedrandom from 'seedrandom';

/**
 * A seeded random source. One seed drives initialisation, shuffling and sampling; derive
 * independent streams with `fork(label)` so that adding a consumer does not shift the others.
 */
export class Rng {
  readonly seed: string;
  readonly #prng: seedrandom.PRNG;

  constructor(seed: number | string) {
    this.seed = String(seed);
    this.#prng = seedrandom(this.seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.#prng.double();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** A 31-bit integer seed, for APIs (tfjs initialisers, dropout) that take a number. */
  int32(): number {
    return this.#prng.int32() >>> 1;
  }

  /** An independent stream named by `label`. */
  fork(label: string): Rng {
    return new Rng(`${this.seed}/${label}`);
  }

  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }
}
