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

/** Copies `b` in at `at`; returns where it ends. A few bytes cost less in a loop than a call to set (25 ns). */
function put(into: Buffer, at: number, b: Uint8Array): number {
  if (b.length > 16) {
    into.set(b, at);
    return at + b.length;
  }
  for (let k = 0; k < b.length; k++) into[at++] = b[k]!;
  return at;
}

/**
 * Encodes `s` as UTF-8 in at `at`; returns where it ends. A long string is encoded natively; a short one (a token)
 * costs less in this loop than a call into C++.
 */
function utf8(into: Buffer, at: number, s: string): number {
  const n = s.length;
  if (n > 64) return at + into.write(s, at, 'utf8');
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return at + into.write(i === 0 ? s : s.slice(i), at, 'utf8');
    into[at++] = c;
  }
  return at;
}

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

  /** A string as UTF-8 (as a write of the string would encode it). */
  text(s: string): void {
    this.room(s.length * 3);
    used = utf8(slab, used, s);
  }

  /**
   * One event around a piece of text, in one reservation: `head`, the text (between double quotes when `quote`, for
   * a string that needs no JSON escaping; else as it is), `tail`, then `seq` in decimal and `end` when `seq` is not
   * negative. The per-token events of a door's stream, where a call apiece cost more than the copying.
   */
  around(head: Uint8Array, text: string, quote: boolean, tail: Uint8Array, seq = -1, end?: Uint8Array): void {
    this.room(head.length + text.length * 3 + 2 + tail.length + (seq < 0 ? 0 : 16 + end!.length));
    const into = slab;
    into.set(head, used); // a head is long: set, not the loop
    let at = used + head.length;
    if (quote) into[at++] = 34;
    at = utf8(into, at, text);
    if (quote) into[at++] = 34;
    at = put(into, at, tail);
    if (seq >= 0) {
      let digits = 1;
      for (let p = 10; p <= seq; p *= 10) digits++;
      let v = seq;
      let d = at + digits;
      at = d;
      do {
        into[--d] = 48 + (v % 10);
        v = Math.floor(v / 10);
      } while (v > 0);
      at = put(into, at, end!);
    }
    used = at;
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
