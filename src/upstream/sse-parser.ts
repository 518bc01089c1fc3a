// Incremental Server-Sent Events parser: bytes in, events out. Pure (no I/O).
// Handles CR, LF and CRLF line ends even when split across chunks, multi-byte UTF-8 split across chunks,
// comment lines, multi-line data, and a final event with no trailing blank line.

export interface SseEvent {
  data: string;
  event?: string;
  id?: string;
}

export interface SseParser {
  push(chunk: Uint8Array | string): SseEvent[];
  /** Flushes what is left when the stream ends (an event without its closing blank line still counts). */
  end(): SseEvent[];
}

export function createSseParser(): SseParser {
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  let lastWasCR = false;
  // An event's data lines: almost always one, kept as a string; an array only when there are more.
  let data: string | string[] | undefined;
  let event: string | undefined;
  let id: string | undefined;

  function dispatch(out: SseEvent[]): void {
    if (data !== undefined) {
      const ev: SseEvent = { data: typeof data === 'string' ? data : data.join('\n') };
      if (event !== undefined) ev.event = event;
      if (id !== undefined) ev.id = id;
      out.push(ev);
    }
    data = undefined;
    event = undefined;
  }

  function line(text: string, out: SseEvent[]): void {
    if (text === '') {
      dispatch(out);
      return;
    }
    if (text.charCodeAt(0) === 58 /* : */) return; // comment
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') addData(value);
    else if (field === 'event') event = value;
    else if (field === 'id') id = value;
  }

  /** A whole `data:` line read in place: one slice for its value (nearly every line of a stream is one). */
  function dataLine(text: string, start: number, end: number): boolean {
    if (
      end - start < 5 ||
      text.charCodeAt(start) !== 100 /* d */ ||
      text.charCodeAt(start + 1) !== 97 /* a */ ||
      text.charCodeAt(start + 2) !== 116 /* t */ ||
      text.charCodeAt(start + 3) !== 97 /* a */ ||
      text.charCodeAt(start + 4) !== 58 /* : */
    )
      return false;
    const from = start + 5 < end && text.charCodeAt(start + 5) === 32 ? start + 6 : start + 5;
    addData(text.slice(from, end));
    return true;
  }

  function addData(value: string): void {
    if (data === undefined) data = value;
    else if (typeof data === 'string') data = [data, value];
    else data.push(value);
  }

  // Line ends are found with indexOf (native search) rather than a loop over every character.
  function feed(text: string, out: SseEvent[]): void {
    let start = 0;
    if (lastWasCR && text.charCodeAt(0) === 10) start = 1; // CRLF split across chunks
    lastWasCR = false;
    let lf = text.indexOf('\n', start);
    let cr = text.indexOf('\r', start);
    while (lf !== -1 || cr !== -1) {
      const end = cr === -1 || (lf !== -1 && lf < cr) ? lf : cr;
      if (pending !== '') line(pending + text.slice(start, end), out);
      else if (start === end) dispatch(out);
      else if (!dataLine(text, start, end)) line(text.slice(start, end), out);
      pending = '';
      start = end + 1;
      if (end === cr) {
        if (start === text.length) lastWasCR = true;
        else if (text.charCodeAt(start) === 10) start++;
        cr = text.indexOf('\r', start);
      }
      if (lf !== -1 && lf < start) lf = text.indexOf('\n', start);
    }
    pending += text.slice(start);
  }

  return {
    push(chunk) {
      const out: SseEvent[] = [];
      feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }), out);
      return out;
    },
    end() {
      const out: SseEvent[] = [];
      feed(decoder.decode(), out);
      if (pending !== '') line(pending, out);
      pending = '';
      dispatch(out);
      return out;
    },
  };
}
