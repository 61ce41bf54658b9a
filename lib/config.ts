import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { PiminderError } from './errors.js';

/**
 * One definition per part serves the config file, `PIMINDER_*` environment variables and
 * command-line flags: a zod object schema with defaults. Environment names are derived from
 * the key path (`limits.maxPacketSize` → `PIMINDER_LIMITS_MAX_PACKET_SIZE`); flags are given
 * by key path. Precedence: defaults < file < environment < flags. The result is frozen.
 */
export type ConfigSchema = z.ZodObject;

export interface ConfigSources {
  /** Path of a JSON config file, if any. */
  file?: string | undefined;
  /** Values to use instead of a file when no file is given (a built-in configuration). */
  base?: Record<string, unknown> | undefined;
  /** Environment to read `PIMINDER_*` overrides from; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Values given on the command line, by key path (`port`, `limits.maxPacketSize`). */
  flags?: Record<string, unknown>;
}

export class ConfigError extends PiminderError {
  constructor(message: string, hint = 'fix the named key and start again') {
    super('PIMINDER_ERR_CONFIG_INVALID', message, { hint });
  }
}

const WRAPPERS = new Set(['default', 'optional', 'nullable', 'prefault', 'readonly', 'catch']);

/** The schema under defaults, optionals and the like. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = current._zod.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
    if (WRAPPERS.has(def.type) && def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else return current;
  }
}

function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  const inner = unwrap(schema);
  return inner._zod.def.type === 'object' ? (inner as z.ZodObject).shape : undefined;
}

/** `limits.maxPacketSize` → `PIMINDER_LIMITS_MAX_PACKET_SIZE`. */
export function envName(path: string): string {
  const snake = path.replace(/\./g, '_').replace(/([a-z0-9])([A-Z])/g, '$1_$2');
  return `PIMINDER_${snake.toUpperCase()}`;
}

/** Every leaf key path of a schema with its leaf schema, nested objects walked. */
export function leafKeys(schema: ConfigSchema, base = ''): Array<[string, z.ZodType]> {
  const out: Array<[string, z.ZodType]> = [];
  for (const [key, child] of Object.entries(schema.shape)) {
    const path = base === '' ? key : `${base}.${key}`;
    const shape = objectShape(child);
    if (shape) out.push(...leafKeys(z.object(shape), path));
    else out.push([path, child]);
  }
  return out;
}

/** Turns a string from the environment or a flag into the type its key expects. */
function fromText(text: string, leaf: z.ZodType): unknown {
  const type = unwrap(leaf)._zod.def.type;
  switch (type) {
    case 'number':
    case 'int': {
      const value = Number(text);
      return text.trim() === '' || Number.isNaN(value) ? text : value;
    }
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(text)) return true;
      if (/^(false|0|no|off)$/i.test(text)) return false;
      return text;
    case 'array':
    case 'object':
    case 'record':
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    default:
      return text;
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function unitOf(origin: string): string {
  if (origin === 'string') return ' characters';
  if (origin === 'array' || origin === 'set') return ' entries';
  return '';
}

/** The usual mistakes in the words of a config file: what the value must be, and what it was. */
function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  // A schema's own message says it best; only zod's generic wording is replaced.
  if (!/^(Invalid input|Too big|Too small)/.test(issue.message)) return issue.message;
  const given = value === undefined ? '' : `, not ${JSON.stringify(value)}`;
  switch (issue.code) {
    case 'invalid_type':
      return value === undefined
        ? `is required (a ${issue.expected})`
        : `must be a ${issue.expected}${given}`;
    case 'too_big': {
      const bound = issue.inclusive === false ? 'less than' : 'at most';
      return `must be ${bound} ${String(issue.maximum)}${unitOf(issue.origin)}${given}`;
    }
    case 'too_small': {
      const bound = issue.inclusive === false ? 'more than' : 'at least';
      return `must be ${bound} ${String(issue.minimum)}${unitOf(issue.origin)}${given}`;
    }
    default:
      return issue.message;
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = value;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(`cannot read config file ${file}: ${reason}`, 'check the --config path');
  }

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      `config file ${file} is not valid JSON: ${(error as Error).message}`,
      'fix the JSON syntax at the position named',
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`config file ${file} must hold a JSON object`);
  }
  return value as Record<string, unknown>;
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Merges file, environment and flags over the schema's defaults, validates once, freezes. */
export function loadConfig<S extends ConfigSchema>(
  schema: S,
  sources: ConfigSources = {},
): Readonly<z.infer<S>> {
  const raw: Record<string, unknown> = sources.file
    ? readConfigFile(sources.file)
    : structuredClone(sources.base ?? {});
  const origin = new Map<string, string>();
  const env = sources.env ?? process.env;

  for (const [path, leaf] of leafKeys(schema)) {
    const name = envName(path);
    const text = env[name];
    if (text !== undefined && text !== '') {
      setPath(raw, path, fromText(text, leaf));
      origin.set(path, name);
    }

    const flag = sources.flags?.[path];
    if (flag !== undefined) {
      setPath(raw, path, typeof flag === 'string' ? fromText(flag, leaf) : flag);
      origin.set(path, `--${path.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`);
    }
  }

  const result = schema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        const where = issue.path.length > 0 ? ` in ${issue.path.join('.')}` : '';
        const from = sources.file ?? 'the environment or flags';
        const keys = issue.keys.join(', ');
        return `unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}${where} (from ${from})`;
      }
      const path = issue.path.join('.');
      const from = origin.get(path) ?? (sources.file ? sources.file : 'default');
      return `${path}: ${describeIssue(issue, valueAt(raw, issue.path))} (from ${from})`;
    });
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
  }
  return deepFreeze(result.data);
}
