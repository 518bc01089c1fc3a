// Bytes written one after another into a slab and handed out as views of it: a door's per-token events are made
// without a string per event, and reach the socket without being joined and encoded again. Views handed out stay
// valid: later bytes go after them, or into a new slab. Pure (no I/O).

const slabBytes = 16 * 1024;

export class ByteWriter {
  private slab: Buffer = Buffer.allocUnsafe(slabBytes);
  /** Where the bytes not yet taken start, and where the next byte goes. */
  private start = 0;
  private at = 0;

  /** Room for `n` more bytes: a new slab when this one is full, with the bytes not yet taken carried over. */
  private room(n: number): void {
    if (this.at + n <= this.slab.length) return;
    const pending = this.at - this.start;
    // At least twice what it must hold: bytes that keep coming untaken are copied a bounded number of times.
    const next = Buffer.allocUnsafe(Math.max(slabBytes, 2 * (pending + n)));
    this.slab.copy(next, 0, this.start, this.at);
    this.slab = next;
    this.start = 0;
    this.at = pending;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.slab.set(b, this.at);
    this.at += b.length;
  }

  /** A string as UTF-8 (as a write of the string would encode it). */
  text(s: string): void {
    const n = s.length;
    this.room(n * 3);
    const slab = this.slab;
    let at = this.at;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.at = at + slab.write(i === 0 ? s : s.slice(i), at, 'utf8');
        return;
      }
      slab[at++] = c;
    }
    this.at = at;
  }

  /** A non-negative integer in decimal. */
  uint(value: number): void {
    let digits = 1;
    for (let p = 10; p <= value; p *= 10) digits++;
    this.room(digits);
    let v = value;
    let i = this.at + digits;
    this.at = i;
    do {
      this.slab[--i] = 48 + (v % 10);
      v = Math.floor(v / 10);
    } while (v > 0);
  }

  /** The bytes written since the last take, as a view (undefined when there are none). */
  take(): Uint8Array | undefined {
    if (this.at === this.start) return undefined;
    const view = this.slab.subarray(this.start, this.at);
    this.start = this.at;
    return view;
  }
}
