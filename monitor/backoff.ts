/**
 * Delay before reconnect attempt `attempt` (0 for the first retry), in milliseconds: doubling
 * from `minMs` up to `maxMs`, each drawn between half and all of that, so that many monitors
 * cut off together do not return to the broker in step.
 */
export function backoffDelay(
  attempt: number,
  minMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
