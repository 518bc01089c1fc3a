import { describe, expect, it } from 'vitest';
import { StreamAccumulator } from '../../src/cascade/stream-accumulator.js';
import type { DoorContext } from '../../src/doors/door.js';
import { messagesStream } from '../../src/doors/messages.js';
import { responsesStream } from '../../src/doors/responses.js';
import { mulberry32 } from '../../src/classify/logistic-model.js';
import { TEXT_ONLY, TextDelta, textOnlyChunk } from '../../src/openai/text-chunk.js';

const head = '"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m"';
const textChunk = (literal: string, extra = '') =>
  `{${head},"choices":[{"index":0,"delta":{"content":${literal}},"logprobs":null,"finish_reason":null}]${extra}}`;

describe('reading a text-only stream chunk without parsing it', () => {
  it('reads the text of the chunks that hold nothing else, escapes decoded, the literal kept', () => {
    for (const text of ['Paris', '', 'say "hi"\n', 'caf\u00e9 \u{1f600}', 'back\\slash', '\u2028 and </script>']) {
      const literal = JSON.stringify(text);
      const read = textOnlyChunk(textChunk(literal));
      expect(read).toBeInstanceOf(TextDelta);
      expect([read?.text, read?.json]).toEqual([text, literal]);
    }
    expect(textOnlyChunk(textChunk('"\\u00e9\\/"'))?.text).toBe('é/');
    // Fields around the choices in any order, flat values of every kind; OpenAI's obfuscation field after them.
    const other = `{"created":1.5e3,"id":"x","system_fingerprint":null,"service_tier":"default","flag":true,"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}],"obfuscation":"q1w2"}`;
    expect(textOnlyChunk(other)?.text).toBe('a');
    // Answer text that reads like a refused field name is still only text.
    for (const text of ['usage', 'error', '"usage":null'])
      expect(textOnlyChunk(textChunk(JSON.stringify(text)))?.text).toBe(text);
  });

  it('leaves every other shape to the full parse', () => {
    const others = [
      `{${head},"choices":[{"index":0,"delta":{"role":"assistant","content":"a"},"finish_reason":null}]}`,
      `{${head},"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"stop"}]}`,
      `{${head},"choices":[{"index":0,"delta":{"content":"a"},"logprobs":{"content":[]},"finish_reason":null}]}`,
      `{${head},"choices":[{"index":1,"delta":{"content":"a"},"finish_reason":null}]}`,
      `{${head},"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null},{"index":1,"delta":{"content":"b"},"finish_reason":null}]}`,
      `{${head},"choices":[{"index":0,"delta":{"tool_calls":[]},"finish_reason":null}]}`,
      textChunk('"a"', ',"usage":null'),
      textChunk('"a"', ',"usage":{"prompt_tokens":1}'),
      textChunk('"a"', ',"error":null'),
      `{"usage":null,${head.slice(1)},"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}`,
      `{"error":"x","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}`,
      textChunk('"a"', ',"x_groq":{"id":"1"}'),
      textChunk('"a"', ',"choices":null'),
      `{"meta":{"choices":1},${head.slice(1)},"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}`,
      `{"id":"a\\"b","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}`,
      textChunk('"bad \\q escape"'),
      textChunk('"bad \\u12 escape"'),
      textChunk('"raw \u0001 control"'),
      textChunk('"a"').slice(0, -1),
      `${textChunk('"a"')} `,
      '{"choices":[]}',
      'not json',
    ];
    for (const data of others) expect(textOnlyChunk(data), data).toBeUndefined();
  });

  it('reads what a capture of the literal reads, on 20,000 generated chunks', () => {
    // The reference: the same shape with the content literal captured (what the reader did before it stopped
    // allocating a match per token).
    const FLAT = String.raw`"(?!choices"|usage"|error")[a-z_]+":(?:"[^"\\\u0000-\u001f]*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null)`;
    const CAPTURE = new RegExp(
      String.raw`^\{(?:${FLAT},)*"choices":\[\{"index":0,"delta":\{"content":("(?:[^"\\\u0000-\u001f]|\\.)*")\}(?:,"logprobs":null)?,"finish_reason":null\}\](?:,${FLAT})*\}$`,
    );
    // The same shape as the reader's, but for the capture.
    expect(CAPTURE.source.replace('("(?:', '"(?:').replace('.)*")', '.)*"')).toBe(TEXT_ONLY.source);
    const reference = (data: string) => {
      const literal = CAPTURE.exec(data)?.[1];
      if (literal === undefined) return undefined;
      try {
        return [JSON.parse(literal) as string, literal];
      } catch {
        return undefined;
      }
    };
    const rand = mulberry32(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const fields = [
      '"id":"chatcmpl-1"',
      '"content":"x"',
      '"delta":null',
      '"choices_x":1',
      '"created":-1.5e+3',
      '"flag":true',
      '"model":"a{b}c"',
      '"usage":null',
      '"error":false',
      '"Bad":1',
      '"n":1.',
      '"s":"q\\"',
      '"o":{}',
    ];
    const pieces = [
      'a',
      ' ',
      'é',
      '😀',
      '\\"',
      '\\\\',
      '\\n',
      '\\u00e9',
      '\\q',
      '\\u12',
      '"',
      '\\',
      '\u0001',
      '\u2028',
      '\\\n',
      '}',
      '{"content":"',
      ',',
    ];
    let read = 0;
    for (let n = 0; n < 20_000; n++) {
      const list = (k: number) => Array.from({ length: k }, () => pick(fields));
      const before = list(Math.floor(rand() * 3));
      const after = list(Math.floor(rand() * 3));
      const content = Array.from({ length: Math.floor(rand() * 5) }, () => pick(pieces)).join('');
      const logprobs = rand() < 0.3 ? ',"logprobs":null' : '';
      const choices = `"choices":[{"index":0,"delta":{"content":"${content}"}${logprobs},"finish_reason":null}]`;
      const data = `{${[...before, choices].join(',')}${after.map((f) => `,${f}`).join('')}}`;
      const got = textOnlyChunk(data);
      const want = reference(data);
      expect(got && [got.text, got.json], data).toEqual(want);
      if (got) read++;
    }
    expect(read).toBeGreaterThan(2_000); // the generated chunks are not all refused
    expect(read).toBeLessThan(18_000); // nor all read
  });

  it('the stream reads the same answer with the reader as with the full parse, and forwards each chunk unchanged', () => {
    const pieces = ['The', ' "capital"', '', ' is\n', ' Paris', ' \u{1f600}'];
    const chunks = [
      `{${head},"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
      ...pieces.map((p) => textChunk(JSON.stringify(p))),
      `{${head},"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}`,
    ];
    const acc = new StreamAccumulator(true);
    const read: boolean[] = [];
    const forwarded = chunks.map((data) => {
      const out = acc.accept({ data });
      read.push(acc.last instanceof TextDelta);
      return out;
    });
    expect(forwarded).toEqual(chunks);
    expect(read).toEqual([false, ...pieces.map(() => true), false]); // the head and the usage chunk are parsed
    expect(acc.text).toBe(pieces.join(''));
    expect(acc.contentEvents).toBe(pieces.filter((p) => p !== '').length + 1); // + the finish reason
    expect(acc.head).toEqual({ id: 'chatcmpl-1', created: 1700000000, model: 'm', object: 'chat.completion.chunk' });
    expect(acc.finishReason).toBe('stop');
    // A client that did not ask for usage: the usage chunk is still parsed and stripped.
    const quiet = new StreamAccumulator(false);
    expect(chunks.map((data) => quiet.accept({ data })).at(-1)).toBe(
      `{${head},"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
    );
  });

  it("each door's translator writes the same events from the text alone as from the parsed chunk", () => {
    const ctx: DoorContext = {
      id: 'abc123',
      model: 'auto',
      inputTokens: 3,
      request: { model: 'auto', input: 'hi', max_output_tokens: 9 },
      now: 1_700_000_000_000,
    };
    const pieces = ['', 'He said "hi"', ' \u2028ok\n'];
    const end = { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] };
    for (const make of [responsesStream, messagesStream]) {
      const parsed = make(ctx);
      const read = make(ctx);
      let a = '';
      let b = '';
      for (const p of pieces) {
        const chunk = { choices: [{ index: 0, delta: { content: p }, finish_reason: null }] };
        a += parsed.chunk(JSON.stringify(chunk), chunk);
        b += read.chunk(JSON.stringify(chunk), new TextDelta(p, JSON.stringify(p)));
      }
      a += parsed.chunk(JSON.stringify(end), end) + parsed.end();
      b += read.chunk(JSON.stringify(end), end) + read.end();
      expect(b).toBe(a);
      expect(b).toContain('He said \\"hi\\"');
    }
  });
});
