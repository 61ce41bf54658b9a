import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Remembers passwords that verified recently, so a cron job posting every second does not pay
 * the slow hash each time. Only a keyed digest is kept (the key lives in this process only), and
 * the digest covers the stored salt: a password change makes every earlier entry useless.
 * Concurrent checks of the same credentials share one slow hash.
 */
export class CredentialCache {
  readonly #key = randomBytes(32);
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, { digest: Buffer; expires: number }>();
  readonly #inFlight = new Map<string, Promise<boolean>>();

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

  /**
   * True when the password is remembered or `verify` confirms it; 50 clients starting at once
   * with one credential then cost one slow hash, not 50.
   */
  async verify(
    name: string,
    password: string,
    salt: string,
    verify: () => Promise<boolean>,
  ): Promise<boolean> {
    if (this.has(name, password, salt)) return true;

    const key = this.#digest(name, password, salt).toString('base64');
    let pending = this.#inFlight.get(key);
    if (pending === undefined) {
      pending = verify().finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, pending);
    }
    const valid = await pending;
    if (valid) this.remember(name, password, salt);
    return valid;
  }

  #digest(name: string, password: string, salt: string): Buffer {
    return createHmac('sha256', this.#key).update(`${name}\0${salt}\0${password}`).digest();
  }
}
