// Reads the shipped (or configured) model files once at startup. Relative paths resolve from the Sluice install,
// so the gateway finds its weights whatever the working directory.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JudgeModel } from '../judge/verbosity-model.js';
import { difficultyModel, fromFile, type DifficultyModel } from './difficulty-model.js';

/** The package root: two levels above this file in src/ (tsx, vitest) and three in dist/src/. */
const packageRoot = resolve(
  fileURLToPath(new URL('.', import.meta.url)),
  import.meta.url.includes('/dist/') ? '../../..' : '../..',
);

export function resolveModelPath(path: string): string {
  return isAbsolute(path) ? path : resolve(packageRoot, path);
}

export function loadDifficultyModel(path: string): DifficultyModel {
  return difficultyModel(fromFile(JSON.parse(readFileSync(resolveModelPath(path), 'utf8'))));
}

export function loadJudgeModel(path: string): JudgeModel {
  return JSON.parse(readFileSync(resolveModelPath(path), 'utf8')) as JudgeModel;
}
