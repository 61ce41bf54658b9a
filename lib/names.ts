/** Service, check and identity names: the grammar from the topic contract. */
export const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export const NAME_RULE = '1 to 64 characters from A-Z, a-z, 0-9, ".", "_" and "-"';

export function isValidName(value: string): boolean {
  // "." and ".." match the character class but would be path segments on disk and in URLs.
  return NAME_PATTERN.test(value) && value !== '.' && value !== '..';
}

/** The service name under which the broker reports on itself; no reporter may take it. */
export const BROKER_SERVICE = 'piminder';

/** Why a reporter may not be called `name`, or undefined: the broker's own name is taken. */
export function reservedNameProblem(name: string, role: string): string | undefined {
  if (role !== 'service' || name !== BROKER_SERVICE) return undefined;
  return `"${name}" is reserved for the broker's own statuses: a service cannot report under it`;
}
