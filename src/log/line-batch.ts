// Log lines gathered in an array and handed to the writer (pino's sonic-boom) joined, one string per batch. The
// writer, given line after line, appends each to one growing string and measures that string's byte length at the
// next line, which copies it flat every time: about 4 µs and several kB of garbage per line under load. Joined
// once, each batch is flat already. Order is kept; what is held waits at most `flushMs`, and is handed over
// before the writer's own flush at exit.
import type { DestinationStream } from 'pino';

/** The writer behind the batch: sonic-boom's methods that matter here. */
export interface LineWriter {
  write(text: string): unknown;
  flush?(cb?: (err?: Error) => void): void;
  flushSync?(): void;
  end?(): void;
}

export interface LineBatch extends DestinationStream {
  readonly writer: LineWriter;
  /** Hands what is held to the writer. */
  release(): void;
  flush(cb?: (err?: Error) => void): void;
  flushSync(): void;
  end(): void;
}

const live = new Set<LineBatch>();
// Registered when this module loads, before any writer registers its own exit flush (process listeners run in
// order): held lines reach the writer while it can still write them.
process.on('exit', () => {
  for (const b of live) b.release();
});

export function lineBatch(writer: LineWriter, opts: { minLength: number; flushMs: number }): LineBatch {
  let lines: string[] = [];
  let size = 0;
  const release = () => {
    if (lines.length === 0) return;
    const text = lines.length === 1 ? lines[0]! : lines.join('');
    lines = [];
    size = 0;
    writer.write(text);
  };
  const timer = setInterval(release, opts.flushMs).unref();
  const batch: LineBatch = {
    writer,
    write(line: string) {
      lines.push(line);
      size += line.length;
      if (size >= opts.minLength) release();
    },
    release,
    flush(cb) {
      release();
      if (writer.flush) writer.flush(cb);
      else cb?.();
    },
    flushSync() {
      release();
      writer.flushSync?.();
    },
    end() {
      release();
      clearInterval(timer);
      live.delete(batch);
      writer.end?.();
    },
  };
  live.add(batch);
  return batch;
}
