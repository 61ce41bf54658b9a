import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { isValidName, NAME_RULE, reservedNameProblem } from '../../lib/names.js';
import { UsersError } from '../errors.js';
import { hashPassword, passwordHashSchema, passwordProblem } from './password-hash.js';

/** Roles an HTTP user may hold: the three levels of the old API (1, 2, 3). */
export const USER_ROLES = ['service', 'monitor', 'admin'] as const;

export type UserRole = (typeof USER_ROLES)[number];

export function isUserRole(value: unknown): value is UserRole {
  return typeof value === 'string' && (USER_ROLES as readonly string[]).includes(value);
}

/** The old API's permission levels; a disabled user is level 0. */
export const LEGACY_LEVELS: Record<UserRole, 1 | 2 | 3> = { service: 1, monitor: 2, admin: 3 };

const userSchema = z.strictObject({
  name: z.string().refine(isValidName),
  role: z.enum(USER_ROLES),
  memo: z.string(),
  disabled: z.boolean(),
  password: passwordHashSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
});

export type UserRecord = z.infer<typeof userSchema>;

const fileSchema = z.strictObject({ version: z.literal(1), users: z.array(userSchema) });

/** `<data>/users.json`, readable by its owner only. */
export function usersFile(dataDir: string): string {
  return join(dataDir, 'users.json');
}

export function checkUserName(name: string): void {
  if (!isValidName(name)) {
    throw new UsersError('BAD_NAME', `"${name}" is not a valid user name: use ${NAME_RULE}`);
  }
}

export function checkUserRole(role: string): asserts role is UserRole {
  if (!isUserRole(role)) {
    throw new UsersError('BAD_ROLE', `unknown role "${role}": use ${USER_ROLES.join(', ')}`);
  }
}

function checkPassword(password: string): void {
  const problem = passwordProblem(password);
  if (problem !== undefined) throw new UsersError('BAD_PASSWORD', `the password ${problem}`);
}

export interface PutUser {
  name: string;
  role: UserRole;
  password: string;
  memo?: string | undefined;
}

/**
 * The HTTP users, kept in one JSON file that other processes (`piminder users`) may rewrite
 * while the bridge runs: every read checks the file's identity and time and re-reads it when
 * it changed. Writes go through a temporary file and a rename, so a reader never sees half.
 */
export class UserStore {
  readonly path: string;
  readonly #recheckMs: number;
  #cache: { stamp: string; users: UserRecord[]; checked: number } | undefined;
  #writing: Promise<unknown> = Promise.resolve();

  /**
   * `recheckMs`: how long a read trusts the last look at the file. Every login reads the
   * users; a stat per request would queue behind the broker's disk writes in libuv's thread
   * pool, so the bridge looks at most once a second.
   */
  constructor(path: string, recheckMs = 0) {
    this.path = path;
    this.#recheckMs = recheckMs;
  }

  async list(): Promise<UserRecord[]> {
    const cached = this.#cache;
    if (cached !== undefined && Date.now() - cached.checked < this.#recheckMs) return cached.users;

    let stamp: string;
    try {
      const info = await stat(this.path);
      stamp = `${info.ino}:${info.size}:${info.mtimeMs}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw this.#fileError('cannot read', error);
    }
    if (cached?.stamp === stamp) {
      cached.checked = Date.now();
      return cached.users;
    }

    const users = await this.#read();
    this.#cache = { stamp, users, checked: Date.now() };
    return users;
  }

  async find(name: string): Promise<UserRecord | undefined> {
    return (await this.list()).find((user) => user.name === name);
  }

  /** A new user; refuses a name that exists. */
  async add(user: PutUser): Promise<UserRecord> {
    const reserved = reservedNameProblem(user.name, user.role);
    if (reserved !== undefined) throw new UsersError('BAD_NAME', reserved, 'choose another name');
    return this.#change(async (users) => {
      if (users.some((existing) => existing.name === user.name)) {
        throw new UsersError(
          'EXISTS',
          `user "${user.name}" exists`,
          'use "piminder users passwd" to change its password',
        );
      }
      const record = await this.#record(user, undefined);
      return { users: [...users, record], result: record };
    });
  }

  /** Creates or overwrites a user (the old API's POST and PATCH), enabling it again. */
  async put(user: PutUser): Promise<UserRecord> {
    return this.#change(async (users) => {
      const existing = users.find((candidate) => candidate.name === user.name);
      const record = await this.#record(user, existing);
      return { users: [...users.filter((u) => u !== existing), record], result: record };
    });
  }

  async setPassword(name: string, password: string): Promise<UserRecord> {
    checkPassword(password);
    const hashed = await hashPassword(password);
    return this.#update(name, async (user) => ({ ...user, password: hashed }));
  }

  async setDisabled(name: string, disabled: boolean): Promise<UserRecord> {
    return this.#update(name, async (user) => ({ ...user, disabled }));
  }

  async #update(name: string, change: (user: UserRecord) => Promise<UserRecord>) {
    return this.#change(async (users) => {
      const user = users.find((candidate) => candidate.name === name);
      if (user === undefined) {
        throw new UsersError('UNKNOWN', `no user "${name}"`, 'see "piminder users list"');
      }
      const changed = { ...(await change(user)), updatedAt: new Date().toISOString() };
      return { users: users.map((u) => (u === user ? changed : u)), result: changed };
    });
  }

  async #record(user: PutUser, existing: UserRecord | undefined): Promise<UserRecord> {
    checkUserName(user.name);
    checkUserRole(user.role);
    checkPassword(user.password);
    const now = new Date().toISOString();
    return {
      name: user.name,
      role: user.role,
      memo: user.memo ?? existing?.memo ?? '',
      disabled: false,
      password: await hashPassword(user.password),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
  }

  /** Read, change and write one at a time within this process. */
  async #change<T>(
    apply: (users: UserRecord[]) => Promise<{ users: UserRecord[]; result: T }>,
  ): Promise<T> {
    const run = this.#writing.then(async () => {
      const { users, result } = await apply(existsSync(this.path) ? await this.#read() : []);
      await this.#write(users);
      return result;
    });
    this.#writing = run.catch(() => undefined);
    return run;
  }

  async #read(): Promise<UserRecord[]> {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(this.path, 'utf8'));
    } catch (error) {
      throw this.#fileError('cannot read', error);
    }
    const parsed = fileSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue === undefined ? '' : ` at ${issue.path.join('.')}: ${issue.message}`;
      throw new UsersError(
        'FILE',
        `${this.path} is not a valid users file${where}`,
        'restore it from a backup or remove it and add the users again',
      );
    }
    return [...parsed.data.users].sort((a, b) => a.name.localeCompare(b.name));
  }

  async #write(users: UserRecord[]): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const sorted = [...users].sort((a, b) => a.name.localeCompare(b.name));
    const text = `${JSON.stringify({ version: 1, users: sorted }, null, 2)}\n`;
    const temporary = `${this.path}.${process.pid}.tmp`;
    try {
      await writeFile(temporary, text, { mode: 0o600 });
      await chmod(temporary, 0o600);
      await rename(temporary, this.path);
    } catch (error) {
      throw this.#fileError('cannot write', error);
    }
    this.#cache = undefined;
  }

  #fileError(what: string, error: unknown): UsersError {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return new UsersError(
      'FILE',
      `${what} ${this.path}: ${reason}`,
      'check the --data folder and its permissions',
    );
  }
}
