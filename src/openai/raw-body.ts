// A client's JSON body sent on as its own bytes, with only the top-level members Sluice changed spliced in (the
// backend's model, stream usage, logprobs), instead of parsed and serialised again: a 2 MB prompt is then never
// copied into a new string or buffer. Pure: bytes and objects in, buffers (views of the input) out.

/** Where one top-level member's value lies in the bytes: [start, end). */
interface Member {
  key: string;
  start: number;
  end: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The body to send: `out` (a shallow edit of `original`, the parse of `bytes`) written as `bytes` with each changed
 * or added top-level member spliced in. Undefined when that cannot be done safely: a member removed, a key given
 * twice, bytes that are not one JSON object. Then the caller serialises `out` as usual.
 */
export function spliceBody(
  bytes: Buffer,
  original: Record<string, unknown>,
  out: Record<string, unknown>,
): { parts: Buffer[]; length: number } | undefined {
  for (const key in original) if (!Object.hasOwn(out, key)) return undefined;
  const edits: Array<{ key: string; text: string }> = [];
  let added = '';
  for (const key in out) {
    const value = out[key];
    if (Object.hasOwn(original, key)) {
      if (value === original[key]) continue;
      const text = JSON.stringify(value);
      if (text === undefined) return undefined;
      edits.push({ key, text });
    } else if (value !== undefined) {
      const text = JSON.stringify(value);
      if (text === undefined) return undefined;
      added += `,${JSON.stringify(key)}:${text}`;
    }
  }
  if (edits.length === 0 && added === '') return { parts: [bytes], length: bytes.length };
  const scan = topLevelMembers(bytes);
  if (!scan || scan.members.length === 0) return undefined;
  const spans: Array<{ start: number; end: number; text: string }> = [];
  for (const edit of edits) {
    const found = scan.members.filter((m) => m.key === edit.key);
    if (found.length !== 1) return undefined;
    spans.push({ start: found[0]!.start, end: found[0]!.end, text: edit.text });
  }
  if (added !== '') spans.push({ start: scan.close, end: scan.close, text: added });
  spans.sort((a, b) => a.start - b.start);
  const parts: Buffer[] = [];
  let at = 0;
  for (const s of spans) {
    if (s.start > at) parts.push(bytes.subarray(at, s.start));
    parts.push(Buffer.from(s.text));
    at = s.end;
  }
  if (at < bytes.length) parts.push(bytes.subarray(at));
  return { parts, length: parts.reduce((n, p) => n + p.length, 0) };
}

/**
 * The top-level members of a JSON object and the index of its closing brace. The bytes are known to parse, so the
 * scan needs only strings' ends (found natively, by indexOf) and bracket depth; undefined for anything else.
 */
export function topLevelMembers(b: Buffer): { members: Member[]; close: number } | undefined {
  const members: Member[] = [];
  let i = skipSpace(b, 0);
  if (b[i] !== 0x7b) return undefined;
  i = skipSpace(b, i + 1);
  if (b[i] === 0x7d) return { members, close: i };
  for (;;) {
    if (b[i] !== QUOTE) return undefined;
    const keyEnd = stringEnd(b, i);
    if (keyEnd < 0) return undefined;
    const key = keyText(b, i, keyEnd);
    i = skipSpace(b, keyEnd + 1);
    if (b[i] !== 0x3a) return undefined;
    const start = skipSpace(b, i + 1);
    const end = valueEnd(b, start);
    if (end < 0) return undefined;
    members.push({ key, start, end });
    i = skipSpace(b, end);
    if (b[i] === 0x2c) i = skipSpace(b, i + 1);
    else if (b[i] === 0x7d) return { members, close: i };
    else return undefined;
  }
}

function skipSpace(b: Buffer, i: number): number {
  while (i < b.length) {
    const c = b[i]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/** The index of the quote closing the string that opens at `q`; -1 when there is none. */
function stringEnd(b: Buffer, q: number): number {
  let j = q + 1;
  for (;;) {
    j = b.indexOf(QUOTE, j);
    if (j < 0) return -1;
    let k = j - 1;
    while (b[k] === BACKSLASH) k--;
    if ((j - 1 - k) % 2 === 0) return j; // an even run of backslashes escapes only itself
    j++;
  }
}

function keyText(b: Buffer, open: number, close: number): string {
  for (let i = open + 1; i < close; i++)
    if (b[i] === BACKSLASH) return JSON.parse(b.toString('utf8', open, close + 1)) as string;
  return b.toString('utf8', open + 1, close);
}

/** The index just past the value that starts at `i`; -1 when the bytes end first. */
function valueEnd(b: Buffer, i: number): number {
  const c = b[i];
  if (c === QUOTE) {
    const end = stringEnd(b, i);
    return end < 0 ? -1 : end + 1;
  }
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    for (let j = i; j < b.length; j++) {
      const d = b[j]!;
      if (d === QUOTE) {
        j = stringEnd(b, j);
        if (j < 0) return -1;
      } else if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  // A number, true, false or null: up to the next delimiter.
  let j = i;
  while (j < b.length) {
    const d = b[j]!;
    if (d === 0x2c || d === 0x7d || d === 0x5d || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) break;
    j++;
  }
  return j > i ? j : -1;
}
