// The judge's arithmetic check, on lines taken from the shared GSM8K answers of the weak model.
import { describe, expect, it } from 'vitest';
import { checkArithmetic, evaluate } from '../../src/judge/arithmetic.js';

describe('evaluate', () => {
  it('follows precedence, parentheses, unary minus and the written operators', () => {
    expect(evaluate('425 / 5 + 17')).toBe(102);
    expect(evaluate('(2 * 102) + 5')).toBe(209);
    expect(evaluate('-6 + 3')).toBe(-3);
    expect(evaluate('108 x 2 + 5')).toBe(221);
    expect(evaluate('38\\*216')).toBe(8208);
    expect(evaluate('$1,800 ÷ 20')).toBe(90);
  });
  it('refuses what is not arithmetic', () => {
    for (const s of ['', '3 +', '(2 * 3', 'x * 4', '2 3', '1/0']) expect(evaluate(s)).toBeUndefined();
  });
});

describe('checkArithmetic', () => {
  it('finds a false step in calculator notation and in chains', () => {
    // 425/5 + 17 is 102, not 91 + 17; and 38 × 216 is 8,208. "38 * 216 = $<<" states no value, so it is not checked.
    expect(
      checkArithmetic('On Tuesday, the post office delivered 425 / 5 + 17 = <<425/5+17=91+17=108>>108 letters.'),
    ).toMatchObject({ wrong: 1 });
    expect(
      checkArithmetic(
        'for a total of 4 + 34 = $<<4+34=38>>38 per square foot,\nor 38 * 216 = $<<38\\*216=8128>>8128 in total.',
      ),
    ).toMatchObject({ checked: 2, wrong: 1 });
  });
  it('accepts true arithmetic, whole chains included, and rounded results', () => {
    const ok = checkArithmetic(
      'Their combined age is 21 + 42 + 126 = <<21+42+126=189>>189 years.\n' +
        'So the average is (24 + 66 + 45) / 3 = 135 / 3 = 45, about 12 / 7 = 1.71 each, and 1,500 * 2 = 3,000.',
    );
    expect(ok.wrong).toBe(0);
    expect(ok.checked).toBe(5);
    expect([...ok.results]).toEqual(expect.arrayContaining(['189', '45', '1.71', '3000']));
  });
  it('leaves algebra, units and percentages alone', () => {
    const c = checkArithmetic('x * 4 + 8 = 40, so 4x = 32 and 50% = 0.5; removing 1 liter/day * 3 days = 3 liters.');
    expect(c).toMatchObject({ checked: 0, wrong: 0 });
  });
  it('reads a negative start only where a minus cannot be subtraction', () => {
    expect(checkArithmetic('the temperature was -6 + 3 = -3 degrees')).toMatchObject({ checked: 1, wrong: 0 });
    expect(checkArithmetic('then 10-6 = 4 and 7 -2 = 5')).toMatchObject({ checked: 2, wrong: 0 });
  });
  it('handles a long run of digits without an equals sign', () => {
    expect(checkArithmetic('9'.repeat(200_000))).toMatchObject({ checked: 0 });
  });
  it('finds every equation in a long answer, however far apart, up to the longest run it reads', () => {
    const numbers = Array.from({ length: 10_000 }, (_, i) => `${i * 7}.5`).join(', ');
    const answer = `The values: ${numbers}. So 2 + 2 = 5, and ${'word '.repeat(100)} 3 * 4 = 12 ${'x'.repeat(5000)} 10 / 4 = 2.5.`;
    expect(checkArithmetic(answer)).toMatchObject({ checked: 3, wrong: 1 });
    // The longest expression read whole: 160 characters after its first one before the "=".
    const longest = `1${' + 1'.repeat(40)}`;
    expect(checkArithmetic(`Sum: ${longest}= 41`)).toMatchObject({ checked: 1, wrong: 0 });
    expect(checkArithmetic(`Sum: ${longest}= 42`)).toMatchObject({ checked: 1, wrong: 1 });
    // And the longest claim: 160 characters after the "=" and its last digit.
    expect(checkArithmetic(`So 5 + 5 = ${'0'.repeat(158)}10 in all.`)).toMatchObject({ checked: 1, wrong: 0 });
  });
});
