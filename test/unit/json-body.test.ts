// The body parser's fast path and its prototype-poisoning refusals.
import { describe, expect, it } from 'vitest';
import { parseJsonBody } from '../../src/http/json-body.js';

const code = (text: string) => {
  try {
    parseJsonBody(text);
    return 'ok';
  } catch (e) {
    return (e as { code: string }).code;
  }
};

describe('the JSON body parser', () => {
  it('parses ordinary bodies, words like constructor in text included', () => {
    expect(parseJsonBody('{"model":"auto","messages":[{"role":"user","content":"a constructor"}]}')).toEqual({
      model: 'auto',
      messages: [{ role: 'user', content: 'a constructor' }],
    });
    expect(parseJsonBody('{"a":"caf\\u00e9"}')).toEqual({ a: 'café' });
  });

  it('refuses prototype poisoning however it is spelled', () => {
    expect(code('{"__proto__":{"admin":true}}')).toBe('FST_ERR_CTP_INVALID_JSON_BODY');
    expect(code('{"\\u005f_proto__":{"admin":true}}')).toBe('FST_ERR_CTP_INVALID_JSON_BODY');
    expect(code('{"constructor":{"prototype":{"admin":true}}}')).toBe('FST_ERR_CTP_INVALID_JSON_BODY');
    expect(code('{"constructor":"fine"}')).toBe('ok');
  });

  it('names an empty body and bad JSON', () => {
    expect(code('')).toBe('FST_ERR_CTP_EMPTY_JSON_BODY');
    expect(code('{"model":')).toBe('FST_ERR_CTP_INVALID_JSON_BODY');
  });
});
