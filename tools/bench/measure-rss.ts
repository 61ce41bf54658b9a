import { readFileSync } from 'node:fs';
import { BenchError } from './errors.js';

export interface MemoryFigures {
  /** Resident set size now, in MiB (VmRSS). */
  rssMb: number;
  /** Largest resident set size so far, in MiB (VmHWM). */
  peakRssMb: number;
}

function field(status: string, name: string, pid: number): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (match?.[1] === undefined) {
    throw new BenchError('NO_PROCESS', `/proc/${pid}/status has no ${name} line`);
  }
  return Number(match[1]) / 1024;
}

/** Memory of a process as the kernel counts it, from /proc/<pid>/status. */
export function readMemory(pid: number): MemoryFigures {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new BenchError('NO_PROCESS', `cannot read /proc/${pid}/status: ${reason}`);
  }
  return { rssMb: field(status, 'VmRSS', pid), peakRssMb: field(status, 'VmHWM', pid) };
}
