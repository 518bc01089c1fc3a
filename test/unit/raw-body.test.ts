// The client's bytes sent on with only the changed top-level members spliced in: what arrives must parse to
// exactly what re-serialising the edited body would have sent, and anything unsafe falls back.
import { describe, expect, it } from 'vitest';
import { spliceBody, topLevelMembers } from '../../src/openai/raw-body.js';

const send = (text: string, edit: (body: Record<string, unknown>) => Record<string, unknown>) => {
  const bytes = Buffer.from(text);
  const original = JSON.parse(text) as Record<string, unknown>;
  const out = edit(original);
  const spliced = spliceBody(bytes, original, out);
  if (!spliced) return { out, sent: undefined };
  const joined = Buffer.concat(spliced.parts);
  expect(joined.length).toBe(spliced.length);
  return { out, sent: joined.toString('utf8') };
};
const withModel = (model: string) => (b: Record<string, unknown>) => Object.assign({}, b, { model });

describe('splicing a body', () => {
  it('replaces the model and keeps every other byte as the client sent it', () => {
    const text =
      '{ "messages" : [{"role":"user","content":"hi \\"there\\" \\\\"}],\n "model":"auto", "seed": 12345678901234567890 }';
    const { sent } = send(text, withModel('gpt-4o-mini'));
    expect(sent).toBe(text.replace('"auto"', '"gpt-4o-mini"'));
    // Digits JSON.parse would round are sent as the client wrote them.
    expect(sent).toContain('12345678901234567890');
  });

  it('finds the top-level key, not nested or quoted look-alikes', () => {
    const text = JSON.stringify({
      messages: [
        { role: 'user', content: 'say "model": "x"' },
        { role: 'model', content: '{"model":"inner"}' },
      ],
      tools: [{ type: 'function', function: { name: 'f', parameters: { properties: { model: { type: 'string' } } } } }],
      model: 'auto',
    });
    const { out, sent } = send(text, withModel('backend-model'));
    expect(JSON.parse(sent!)).toEqual(out);
  });

  it('adds members the edit added and replaces objects it rebuilt', () => {
    const text = '{"model":"auto","stream":true,"stream_options":{"include_usage":false,"x":1},"messages":[]}';
    const { out, sent } = send(text, (b) => ({
      ...b,
      model: 'm',
      stream_options: { ...(b.stream_options as object), include_usage: true },
      logprobs: true,
    }));
    expect(JSON.parse(sent!)).toEqual(out);
    expect(sent).toBe(
      '{"model":"m","stream":true,"stream_options":{"include_usage":true,"x":1},"messages":[],"logprobs":true}',
    );
  });

  it('sends the bytes untouched when nothing changed', () => {
    const text = '{"model":"same","messages":[{"role":"user","content":"é ✓ 🙂"}]}';
    const bytes = Buffer.from(text);
    const original = JSON.parse(text) as Record<string, unknown>;
    const spliced = spliceBody(bytes, original, { ...original, model: 'same' });
    expect(spliced?.parts).toEqual([bytes]);
  });

  it('handles multi-byte text and escaped keys', () => {
    const text = '{"messages":[{"role":"user","content":"naïve café ✓ 🙂"}],"mod\\u0065l":"auto","n":1}';
    const { out, sent } = send(text, withModel('x'));
    expect(JSON.parse(sent!)).toEqual(out);
  });

  it('falls back when a member is removed or a key is given twice', () => {
    const text = '{"model":"auto","stream_options":{"include_usage":true},"messages":[]}';
    const removed = send(text, (b) => {
      const out: Record<string, unknown> = { ...b, model: 'x' };
      delete out.stream_options;
      return out;
    });
    expect(removed.sent).toBeUndefined();
    // A removed member named like a property every object inherits is still a removal.
    const inherited = send('{"model":"auto","messages":[],"constructor":"x"}', (b) => {
      const out: Record<string, unknown> = { ...b, model: 'x' };
      delete out['constructor'];
      return out;
    });
    expect(inherited.sent).toBeUndefined();
    expect(send('{"model":"a","messages":[],"model":"b"}', withModel('x')).sent).toBeUndefined();
  });

  it('reads the top-level members of any valid object', () => {
    const text = ' {"a" : -1.5e3 ,"b":[1,[2,{"c":"]}"}]],"c":{"d":null},"e":true,"f":"\\\\"}  ';
    const scan = topLevelMembers(Buffer.from(text))!;
    expect(scan.members.map((m) => [m.key, text.slice(m.start, m.end)])).toEqual([
      ['a', '-1.5e3'],
      ['b', '[1,[2,{"c":"]}"}]]'],
      ['c', '{"d":null}'],
      ['e', 'true'],
      ['f', '"\\\\"'],
    ]);
    expect(text[scan.close]).toBe('}');
    expect(topLevelMembers(Buffer.from('[1,2]'))).toBeUndefined();
    expect(topLevelMembers(Buffer.from('{}'))?.members).toEqual([]);
  });
});
