// Turns a request's text into the difficulty model's inputs: hashed word uni/bi-grams (presence, scaled by
// 1/sqrt(count)) and a few dense features (length, turns, numbers, code, maths, multiple choice, constraints,
// tools, JSON mode, reasoning verbs). Pure and fast: long prompts are sampled, never scanned whole for n-grams.

export const hashBits = 18;
const hashMask = (1 << hashBits) - 1;
const headChars = 1_200;
const tailChars = 300;

export const denseNames = [
  'bias',
  'input_tokens',
  'question_words',
  'turns',
  'digit_share',
  'numbers',
  'code',
  'math_symbols',
  'questions',
  'multiple_choice',
  'numeric_options',
  'option_length',
  'reasoning_verbs',
  'constraints',
  'tools',
  'json_mode',
  'sentences',
  'word_length',
  'ratios',
  'negation',
  'long_words',
  'capitalised',
  'money',
  'rates',
] as const;
export const denseCount = denseNames.length;

export interface DifficultyInput {
  /** The text the request asks about now (the last user message, or a legacy prompt). */
  question: string;
  inputTokens: number;
  turns: number;
  tools: boolean;
  jsonMode: boolean;
}

export interface FeatureVector {
  /** Distinct hashed n-gram indices, each with value `hashedValue`. */
  hashed: Uint32Array;
  hashedValue: number;
  dense: Float64Array;
}

const optionLineRe = /^\s*\(?([A-Ja-j])[.)]\s+(.*)$/gm;
const codeRe = /```|\bdef |\bfunction\b|\bclass \w+|;\s*$|\{\s*$/m;

const categoryNames = ['reasoning', 'constraint', 'ratio', 'negation', 'rate'] as const;
type Category = (typeof categoryNames)[number];
const fnvSeed = 0x811c9dc5;
// Hashes are kept to 30 bits so V8 holds them as small integers (no heap numbers in the hot loop); the feature
// index is their low `hashBits` bits.
const smi = 0x3fffffff;
const fnv1a = (s: string) => {
  let h = fnvSeed;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h & smi;
};
const pairKey = (a: number, b: number) => (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b) & smi;

/** Keyword categories keyed by word hash (and by bigram hash for two-word phrases): no substrings needed. */
const categories = new Map<number, number>();
const phraseStarts = new Set<number>();
const add = (c: Category, words: string) =>
  words.split(',').forEach((w) => {
    const parts = w.split(' ').map(fnv1a);
    const id = categoryNames.indexOf(c);
    if (parts.length === 1) categories.set(parts[0]!, id);
    else {
      categories.set(pairKey(parts[0]!, parts[1]!), id);
      phraseStarts.add(parts[0]!);
    }
  });
add(
  'reasoning',
  'prove,proof,derive,implement,justify,calculate,compute,solve,evaluate,determine,optimise,optimize,design,analyse,analyze,explain why',
);
add('constraint', 'must,only,exactly,between,without,except,at least,at most,no more,no less');
add('ratio', '%,percent,half,third,quarter,twice,thrice,ratio,fraction,average,rate');
add('negation', 'not,false,incorrect,never,least likely');
add('rate', 'per,each,every,hourly,daily,weekly,monthly,annually');
/** Character classes for the scanner: 1 letter (either case), 2 digit, 3 symbol token, 0 separator. */
const charClass = new Uint8Array(65_536);
for (let c = 97; c <= 122; c++) charClass[c] = 1;
for (let c = 65; c <= 90; c++) charClass[c] = 1;
for (let c = 48; c <= 57; c++) charClass[c] = 2;
for (const ch of '$%?=+*/^<>√∑∫≤≥≠') charClass[ch.charCodeAt(0)] = 3;
const maths = new Set([...'=+*/^<>√∑∫≤≥≠'].map((c) => c.charCodeAt(0)));

// Scratch space for one call (safe: extraction is synchronous). Distinct n-grams are kept with a small
// open-addressing table stamped with the call number: it stays in cache, unlike a table over all 2^18 features.
const slots = 4_096;
const found = new Uint32Array(3_000);
const slotKeys = new Uint32Array(slots);
const slotStamps = new Uint32Array(slots);
let call = 0;

/** Adds a feature index once; returns the new count of distinct indices. */
function addDistinct(index: number, count: number): number {
  if (count >= found.length) return count;
  let slot = Math.imul(index, 0x9e3779b1) >>> 20;
  for (;;) {
    if (slotStamps[slot] !== call) {
      slotStamps[slot] = call;
      slotKeys[slot] = index;
      found[count] = index;
      return count + 1;
    }
    if (slotKeys[slot] === index) return count;
    slot = (slot + 1) & (slots - 1);
  }
}

interface Counts {
  words: number;
  numbers: number;
  digitChars: number;
  letters: number;
  longWords: number;
  wordChars: number;
  maths: number;
  questions: number;
  money: number;
  capitalised: number;
  sentences: number;
  cat: Record<Category, number>;
}

/**
 * One pass over the text, reading the same tokens as /[a-z]+|\d+(?:[.,]\d+)?|[$%?=+*\/^<>…]/ on its lower-cased
 * form: hashes each as it goes (FNV-1a), counts, and records each distinct uni- and bigram hash (the model
 * weighs n-grams by presence). Capitalised words and sentence ends are counted on the way.
 */
export function scan(text: string): { hashed: Uint32Array; counts: Counts } {
  const cat = new Uint16Array(categoryNames.length);
  let words = 0,
    numbers = 0,
    digitChars = 0,
    letters = 0,
    longWords = 0,
    wordChars = 0,
    mathCount = 0,
    questions = 0,
    money = 0,
    capitalised = 0,
    sentences = 0;
  const lower = text;
  let nFound = 0;
  if (++call === 0xffffffff) {
    slotStamps.fill(0);
    call = 1;
  }
  let prev = -1;
  const n = lower.length;
  let i = 0;
  while (i < n) {
    let c = lower.charCodeAt(i);
    const kind = charClass[c]!;
    if (kind === 0) {
      if ((c === 46 || c === 33) && (i + 1 === n || lower.charCodeAt(i + 1) <= 32)) sentences++;
      i++;
      continue;
    }
    let h = fnvSeed;
    const start = i;
    if (kind === 1) {
      if (c <= 90 && i + 1 < n && lower.charCodeAt(i + 1) >= 97 && (i === 0 || lower.charCodeAt(i - 1) <= 32))
        capitalised++;
      do {
        h = Math.imul(h ^ (c | 32), 0x01000193);
        c = lower.charCodeAt(++i);
      } while (charClass[c] === 1 && i < n);
      letters++;
      wordChars += i - start;
      if (i - start >= 10) longWords++;
    } else if (kind === 2) {
      do {
        h = Math.imul(h ^ c, 0x01000193);
        c = lower.charCodeAt(++i);
      } while (charClass[c] === 2 && i < n);
      if ((c === 46 || c === 44) && charClass[lower.charCodeAt(i + 1)] === 2) {
        do {
          h = Math.imul(h ^ c, 0x01000193);
          c = lower.charCodeAt(++i);
        } while (charClass[c] === 2 && i < n);
      }
      numbers++;
      digitChars += i - start;
    } else {
      h = Math.imul(h ^ c, 0x01000193);
      i++;
      if (c === 63) {
        questions++;
        if (i === n || lower.charCodeAt(i) <= 32) sentences++;
      } else if (c === 36) money++;
      else if (maths.has(c)) mathCount++;
    }
    h &= smi;
    words++;
    const single = categories.get(h);
    if (single !== undefined) cat[single]!++;
    nFound = addDistinct(h & hashMask, nFound);
    if (prev >= 0) {
      const pair = pairKey(prev, h);
      if (phraseStarts.has(prev)) {
        const phrase = categories.get(pair);
        if (phrase !== undefined) cat[phrase]!++;
      }
      nFound = addDistinct(pair & hashMask, nFound);
    }
    prev = h;
  }
  return {
    hashed: found.slice(0, nFound),
    counts: {
      words,
      numbers,
      digitChars,
      letters,
      longWords,
      wordChars,
      maths: mathCount,
      questions,
      money,
      capitalised,
      sentences,
      cat: Object.fromEntries(categoryNames.map((n, i) => [n, cat[i]!])) as Record<Category, number>,
    },
  };
}

export function extractFeatures(input: DifficultyInput): FeatureVector {
  const full = input.question;
  const text = full.length > headChars + tailChars ? `${full.slice(0, headChars)}\n${full.slice(-tailChars)}` : full;
  const { hashed, counts: k } = scan(text);
  const options = text.includes('\n') ? [...text.matchAll(optionLineRe)].map((m) => m[2] ?? '') : [];
  const dense = new Float64Array(denseCount);
  dense[0] = 1;
  dense[1] = Math.log1p(input.inputTokens) / 10;
  dense[2] = Math.log1p(k.words) / 8;
  dense[3] = Math.min(input.turns, 10) / 10;
  dense[4] = text.length === 0 ? 0 : k.digitChars / text.length;
  dense[5] = Math.log1p(k.numbers) / 4;
  dense[6] = codeRe.test(text) ? 1 : 0;
  dense[7] = Math.log1p(k.maths) / 4;
  dense[8] = Math.min(k.questions, 5) / 5;
  dense[9] = options.length >= 3 ? 1 : 0;
  dense[10] =
    options.length > 0
      ? options.filter((o) => /^[-\d.,/\s$%()√^+*=a-z]{1,24}$/i.test(o) && /\d/.test(o)).length / options.length
      : 0;
  dense[11] = options.length > 0 ? Math.log1p(options.reduce((n, o) => n + o.length, 0) / options.length) / 5 : 0;
  dense[12] = Math.min(k.cat.reasoning, 4) / 4;
  dense[13] = Math.min(k.cat.constraint, 4) / 4;
  dense[14] = input.tools ? 1 : 0;
  dense[15] = input.jsonMode ? 1 : 0;
  dense[16] = Math.log1p(k.sentences) / 4;
  dense[17] = Math.min(k.wordChars / (k.letters || 1), 12) / 12;
  dense[18] = Math.min(k.cat.ratio, 4) / 4;
  dense[19] = Math.min(k.cat.negation, 3) / 3;
  dense[20] = k.longWords / (k.letters || 1);
  dense[21] = k.capitalised / (k.letters || 1);
  dense[22] = k.money > 0 ? 1 : 0;
  dense[23] = Math.min(k.cat.rate, 4) / 4;
  return { hashed, hashedValue: hashed.length > 0 ? 1 / Math.sqrt(hashed.length) : 0, dense };
}
