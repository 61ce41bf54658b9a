import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { z } from 'zod';

/**
 * Passwords are kept only as salted scrypt digests. Cost 2^15 with block size 8 takes tens of
 * milliseconds and 32 MiB per check, which makes guessing from a stolen users file slow; the
 * work runs on libuv's thread pool, so the event loop stays free.
 */
const COST = 2 ** 15;
const BLOCK_SIZE = 8;
const PARALLELIZATION = 1;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

export const passwordHashSchema = z.strictObject({
  algorithm: z.literal('scrypt'),
  cost: z
    .number()
    .int()
    .min(2 ** 10)
    .max(2 ** 20),
  blockSize: z.number().int().min(1).max(32),
  parallelization: z.number().int().min(1).max(16),
  salt: z.base64(),
  hash: z.base64(),
});

export type PasswordHash = z.infer<typeof passwordHashSchema>;

function derive(password: string, salt: Buffer, params: ScryptOptions, bytes: number) {
  return new Promise<Buffer>((resolve, reject) => {
    // maxmem must cover 128 * N * r bytes, or scrypt refuses the cost.
    const maxmem = 256 * (params.N ?? COST) * (params.r ?? BLOCK_SIZE);
    scrypt(password, salt, bytes, { ...params, maxmem }, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(SALT_BYTES);
  const params = { N: COST, r: BLOCK_SIZE, p: PARALLELIZATION };
  const key = await derive(password, salt, params, KEY_BYTES);
  return {
    algorithm: 'scrypt',
    cost: COST,
    blockSize: BLOCK_SIZE,
    parallelization: PARALLELIZATION,
    salt: salt.toString('base64'),
    hash: key.toString('base64'),
  };
}

/** Compares in constant time: the answer takes as long whichever byte differs. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const expected = Buffer.from(stored.hash, 'base64');
  const params = { N: stored.cost, r: stored.blockSize, p: stored.parallelization };
  const salt = Buffer.from(stored.salt, 'base64');
  const actual = await derive(password, salt, params, expected.length);
  return expected.length > 0 && timingSafeEqual(actual, expected);
}

let decoy: Promise<PasswordHash> | undefined;

/**
 * Spends the same work as a real check and fails: used for unknown or disabled users, so the
 * answer time does not tell which user names exist.
 */
export async function verifyDecoy(password: string): Promise<false> {
  decoy ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(password, await decoy);
  return false;
}

/** Rules for a new password; returns the reason it is refused, or undefined. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < 8) return 'must be at least 8 characters';
  if (Buffer.byteLength(password, 'utf8') > 1024) return 'must be at most 1024 bytes';
  return undefined;
}
