/**
 * The replay list of RFC 3711 §3.3.2 as a sliding window: indices up to `size` behind the highest
 * accepted one are remembered in a ring of bits; older ones are refused as replays.
 */
export class ReplayWindow {
  private highest = -1;
  private readonly bits: Uint8Array;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`replay window size ${size} must be at least 1`);
    this.bits = new Uint8Array(size);
  }

  /** Whether `index` may be accepted: newer than the window's top, or inside it and not seen yet. */
  check(index: number): boolean {
    if (index > this.highest) return true;
    if (this.highest - index >= this.size) return false;
    return this.bits[index % this.size] === 0;
  }

  /** Record an authenticated packet's index (call after check() passed). */
  accept(index: number): void {
    if (index > this.highest) {
      // clear the slots the window slides over (at most its size)
      const from = Math.max(this.highest + 1, index - this.size + 1);
      for (let i = from; i <= index; i++) this.bits[i % this.size] = 0;
      this.highest = index;
    }
    this.bits[index % this.size] = 1;
  }
}
