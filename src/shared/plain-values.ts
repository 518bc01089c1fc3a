// Checks for the ordinary shapes of request fields, for the plain-body checks that let ordinary requests skip zod
// (http/plain-chat.ts, doors/plain-bodies.ts). Each says yes only where the zod schema it stands for would too. Pure.
import { asObject, type JsonObject } from '../openai/wire-values.js';

/** A JSON object (not null, not an array), as `asObject` reads one. */
export const isObject = (v: unknown): v is JsonObject => asObject(v) !== undefined;
export const nullish = (v: unknown): v is null | undefined => v === undefined || v === null;
/** Absent, or an object that passes. */
export const nullishObject = (v: unknown, check: (o: JsonObject) => boolean) => nullish(v) || (isObject(v) && check(v));
/** Absent (undefined only, as zod's optional()) or a string. */
export const optionalString = (v: unknown) => v === undefined || typeof v === 'string';
/** A safe integer in [min, max] (zod's z.int() is a safe integer), or null/undefined. */
export const intIn = (v: unknown, min: number, max: number) =>
  nullish(v) || (Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max);
export const numberIn = (v: unknown, min: number, max: number) =>
  nullish(v) || (typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max);
export const boolean = (v: unknown) => nullish(v) || typeof v === 'boolean';
export const string = (v: unknown) => nullish(v) || typeof v === 'string';
export const nonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
/** An object with a string `type` (a content part, a tool, a tool choice). */
export const typed = (v: unknown): v is JsonObject => isObject(v) && typeof v.type === 'string';
/** An array whose every element passes. */
export const every = (v: unknown, each: (x: unknown) => boolean): v is unknown[] => Array.isArray(v) && v.every(each);
/** One of the strings (never null or undefined). */
export const oneOf = (v: unknown, values: ReadonlySet<string>) => typeof v === 'string' && values.has(v);
