/** Flag parsing helpers: every bad value becomes a ConfigError naming the flag. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../core/errors.ts';

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | undefined>;

/** Parses `argv` against `options`; unknown flags and missing values are ConfigErrors. */
export function parse(argv: string[], options: Options, command: string): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true, allowNegative: true } as ParseArgsConfig);
    return { values: values as Values, positionals };
  } catch (err) {
    const message = (err as Error).message.split('\n')[0]!;
    throw new ConfigError(`spinalnet ${command}`, 'known flags', message, `run \`spinalnet ${command} --help\` for the flags`);
  }
}

export function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function num(values: Values, name: string, fallback: number): number;
export function num(values: Values, name: string, fallback?: number): number | undefined;
export function num(values: Values, name: string, fallback?: number): number | undefined {
  const v = str(values, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new ConfigError(`--${name}`, 'a number', v);
  return n;
}

export function bool(values: Values, name: string, fallback: boolean): boolean {
  const v = values[name];
  return typeof v === 'boolean' ? v : fallback;
}

export function oneOf<T extends string>(values: Values, name: string, choices: readonly T[], fallback: T): T {
  const v = str(values, name);
  if (v === undefined) return fallback;
  if (!(choices as readonly string[]).includes(v)) throw new ConfigError(`--${name}`, `one of ${choices.join(', ')}`, v);
  return v as T;
}
