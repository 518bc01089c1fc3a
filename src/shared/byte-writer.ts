// Bytes written one after another and handed out as views: a door's per-token events are made without a string per
// event, and reach the socket without being joined and encoded again. Pure (no I/O).
//
// All writers share one slab, so a stream costs no buffer of its own (a buffer per stream is external memory that
// makes V8 collect sooner). A writer's run of bytes ends where another writer starts writing or the slab is full:
// the run is kept as a view, and the writer goes on after it. Views are never copied or overwritten; a full slab is
// replaced, and lives on while views of it wait to be written.

const slabBytes = 64 * 1024;
let slab: Buffer = Buffer.allocUnsafe(slabBytes);
let used = 0;
let owner: ByteWriter | undefined;

export class ByteWriter {
  private runs: Uint8Array[] = [];
  /** Where this writer's current run starts in the slab, while it is the slab's owner. */
  private start = 0;

  /** Room for `n` more bytes at `used`, in this writer's run. */
  private room(n: number): void {
    if (owner !== this) {
      owner?.seal();
      owner = this;
      this.start = used;
    }
    if (used + n <= slab.length) return;
    this.seal();
    slab = Buffer.allocUnsafe(Math.max(slabBytes, n));
    used = 0;
    this.start = 0;
  }

  private seal(): void {
    if (used > this.start) this.runs.push(slab.subarray(this.start, used));
    this.start = used;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    slab.set(b, used);
    used += b.length;
  }

  /** A string as UTF-8 (as a write of the string would encode it). */
  text(s: string): void {
    const n = s.length;
    this.room(n * 3);
    // A long string is encoded natively; a short one (a token) costs less in this loop than a call into C++.
    if (n > 64) {
      used += slab.write(s, used, 'utf8');
      return;
    }
    const into = slab;
    let at = used;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        used = at + into.write(i === 0 ? s : s.slice(i), at, 'utf8');
        return;
      }
      into[at++] = c;
    }
    used = at;
  }

  /** A string that needs no JSON escaping, between double quotes: its JSON string literal. */
  quoted(s: string): void {
    this.room(1);
    slab[used++] = 34;
    this.text(s);
    this.room(1);
    slab[used++] = 34;
  }

  /** A non-negative integer in decimal. */
  uint(value: number): void {
    let digits = 1;
    for (let p = 10; p <= value; p *= 10) digits++;
    this.room(digits);
    let v = value;
    let i = used + digits;
    used = i;
    do {
      slab[--i] = 48 + (v % 10);
      v = Math.floor(v / 10);
    } while (v > 0);
  }

  /** The bytes written since the last take, in order, as views (undefined when there are none). */
  take(): Uint8Array[] | undefined {
    if (owner === this) this.seal();
    if (this.runs.length === 0) return undefined;
    const runs = this.runs;
    this.runs = [];
    return runs;
  }
}
