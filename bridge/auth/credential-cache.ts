import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Remembers passwords that verified recently, so a cron job posting every second does not pay
 * the slow hash each time. Only a keyed digest is kept (the key lives in this process only), and
 * the digest covers the stored salt: a password change makes every earlier entry useless.
 */
export class CredentialCache {
  readonly #key = randomBytes(32);
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, { digest: Buffer; expires: number }>();

  constructor(ttlMs: number, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  has(name: string, password: string, salt: string): boolean {
    const entry = this.#entries.get(name);
    if (entry === undefined) return false;
    if (entry.expires <= this.#now()) {
      this.#entries.delete(name);
      return false;
    }
    return timingSafeEqual(entry.digest, this.#digest(name, password, salt));
  }

  remember(name: string, password: string, salt: string): void {
    if (this.#ttlMs === 0) return;
    const expires = this.#now() + this.#ttlMs;
    this.#entries.set(name, { digest: this.#digest(name, password, salt), expires });
  }

  #digest(name: string, password: string, salt: string): Buffer {
    return createHmac('sha256', this.#key).update(`${name}\0${salt}\0${password}`).digest();
  }
}
