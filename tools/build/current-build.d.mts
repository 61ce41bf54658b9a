/** Names the sources under `root` by path, size and modification time. */
export function sourceStamp(root?: string): string;

/** The file URL of the bundle of the sources under `root`, built when needed; undefined when none can be. */
export function currentBuild(root?: string): Promise<string | undefined>;
