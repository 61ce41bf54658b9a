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

/** Kernel clock ticks per second, the unit of /proc/<pid>/stat times (USER_HZ). */
const TICKS_PER_SECOND = 100;

/**
 * CPU time a process has used so far, user and system, all threads, in ms. The kernel counts
 * it whatever else the machine runs, so it compares brokers better than wall time when the
 * machine is busy. Resolution: 10 ms.
 */
export function readCpuMs(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new BenchError('NO_PROCESS', `cannot read /proc/${pid}/stat: ${reason}`);
  }
  // The command name in parentheses may hold spaces; the fields after it are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const userTicks = Number(fields[11]);
  const systemTicks = Number(fields[12]);
  if (!Number.isFinite(userTicks) || !Number.isFinite(systemTicks)) {
    throw new BenchError('NO_PROCESS', `/proc/${pid}/stat has no CPU times`);
  }
  return ((userTicks + systemTicks) * 1000) / TICKS_PER_SECOND;
}
