// Checks the arithmetic an answer writes out: every "expression = value" (and chains "a = b = c", and the
// calculator notation "<<12*3=36>>") is evaluated and compared with what the answer claims. A false equation is
// one of the plainest signs of a wrong answer, whatever the subject. Pure, no eval: a small recursive-descent
// parser over numbers, + - * / (also × x ÷ and \*) and parentheses.

export interface ArithmeticCheck {
  /** Equations with at least one operator that could be evaluated. */
  checked: number;
  /** Of those, how many claim a value the expression does not have. */
  wrong: number;
  /** The values the answer states as results (normalised number text). */
  results: Set<string>;
}

// A run of arithmetic: numbers, operators, parentheses, spaces, "$" and the "=" signs that chain it.
// Bounded so a long digit string costs linear time.
const reach = 160;
const runRe = new RegExp(
  String.raw`(?:-(?=\d)|[\d$(])[\d\s.,+\-*/×÷x()$\\=]{0,${reach}}=[\d\s.,+\-*/×÷x()$\\=]{0,${reach}}\d`,
  'g',
);

export function checkArithmetic(text: string): ArithmeticCheck {
  const out: ArithmeticCheck = { checked: 0, wrong: 0, results: new Set() };
  for (const [start, end] of equalsWindows(text)) {
    const part = text.slice(start, end);
    runRe.lastIndex = 0;
    for (let m = runRe.exec(part); m !== null; m = runRe.exec(part)) {
      // A run glued to a word or a percent sign ("3x = 12", "50% = 0.5") is algebra or units, and one after an
      // operator ("x * 4 = 32") is the tail of an expression with unknowns: neither is checkable arithmetic.
      const at = start + m.index;
      const before = /(\S?)(\s*)$/.exec(text.slice(Math.max(0, at - 8), at))!;
      const prev = before[1]!;
      if (/[+*/×÷=\\-]/.test(prev) || (before[2] === '' && /[A-Za-z%.]/.test(prev))) continue;
      if (m[0].startsWith('-') && /[A-Za-z0-9)]/.test(prev) && before[2] === '') continue;
      checkChain(m[0].split('='), out);
    }
  }
  return out;
}

/**
 * The stretches of text a run can lie in: a run holds an "=" at most `reach + 1` characters from its start and ends
 * at most `reach + 1` after it, so only text that near an "=" is scanned. Scanning everything cost up to `reach`
 * steps a character wherever digits run long without an "=" (37 ms for an answer listing 10,000 numbers).
 */
function equalsWindows(text: string): Array<[number, number]> {
  const windows: Array<[number, number]> = [];
  for (let eq = text.indexOf('='); eq !== -1; eq = text.indexOf('=', eq + 1)) {
    const start = Math.max(0, eq - reach - 1);
    const end = Math.min(text.length, eq + reach + 2);
    const last = windows[windows.length - 1];
    if (last && start <= last[1]) last[1] = end;
    else windows.push([start, end]);
  }
  return windows;
}

function checkChain(sides: string[], out: ArithmeticCheck): void {
  const values = sides.map(evaluate);
  for (let i = 1; i < sides.length; i++) {
    const left = values[i - 1];
    const right = values[i];
    if (left === undefined || right === undefined || !hasOperator(sides[i - 1]!)) continue;
    out.checked++;
    if (Math.abs(left - right) > tolerance(sides[i]!, right)) out.wrong++;
  }
  const last = sides[sides.length - 1]!.trim().replace(/[$,\s]/g, '');
  if (/^-?\d+(?:\.\d+)?$/.test(last)) out.results.add(normaliseNumber(last));
}

/** A claimed value may be rounded to the decimals it shows ("= 3.33"), and a little beyond for long numbers. */
function tolerance(claimed: string, value: number): number {
  const decimals = /\.(\d+)\s*$/.exec(claimed)?.[1]?.length ?? 0;
  return Math.max(0.5 * 10 ** -decimals, Math.abs(value) * 1e-3) + 1e-9;
}

const hasOperator = (s: string) =>
  /\d\s*(?:[+*/×÷x-]|\\\*)\s*[\d($]/.test(s) || /\)\s*(?:[+*/×÷x-]|\\\*)|(?:[+*/×÷x-]|\\\*)\s*\(/.test(s);

export function normaliseNumber(s: string): string {
  const plain = s.includes(',') ? s.replace(/,/g, '') : s;
  // Most numbers need nothing more; the patterns below cost about 0.3 µs a number (answers can hold thousands).
  if (!plain.includes('.')) return plain;
  return plain.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

/** Value of an arithmetic expression, or undefined when it is not one. */
export function evaluate(expr: string): number | undefined {
  const tokens = tokenize(expr);
  if (!tokens || tokens.length === 0) return undefined;
  let pos = 0;
  const peek = () => tokens[pos];
  const sum = (): number | undefined => {
    let v = product();
    while (v !== undefined && (peek() === '+' || peek() === '-')) {
      const op = tokens[pos++];
      const r = product();
      v = r === undefined ? undefined : op === '+' ? v + r : v - r;
    }
    return v;
  };
  const product = (): number | undefined => {
    let v = unary();
    while (v !== undefined && (peek() === '*' || peek() === '/')) {
      const op = tokens[pos++];
      const r = unary();
      v = r === undefined ? undefined : op === '*' ? v * r : v / r;
    }
    return v;
  };
  const unary = (): number | undefined => {
    if (peek() === '-') {
      pos++;
      const v = unary();
      return v === undefined ? undefined : -v;
    }
    if (peek() === '(') {
      pos++;
      const v = sum();
      if (tokens[pos++] !== ')') return undefined;
      return v;
    }
    const t = tokens[pos++];
    return typeof t === 'number' ? t : undefined;
  };
  const v = sum();
  return pos === tokens.length && v !== undefined && Number.isFinite(v) ? v : undefined;
}

type Token = number | '+' | '-' | '*' | '/' | '(' | ')';
const tokenRe = /\s*(?:(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)|(\\\*|[+\-*/×÷x()])|(\$))/y;

function tokenize(expr: string): Token[] | undefined {
  const tokens: Token[] = [];
  const text = expr.trimEnd(); // the token pattern skips whitespace before a token, not after the last one
  let i = 0;
  while (i < text.length) {
    tokenRe.lastIndex = i;
    const m = tokenRe.exec(text);
    if (!m) return undefined;
    i = tokenRe.lastIndex;
    if (m[1] !== undefined) tokens.push(Number(m[1].replace(/,/g, '')));
    else if (m[2] !== undefined)
      tokens.push(m[2] === '×' || m[2] === 'x' || m[2] === '\\*' ? '*' : m[2] === '÷' ? '/' : (m[2] as Token));
  }
  return tokens;
}
