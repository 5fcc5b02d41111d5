import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** What the report says of a process: peak memory and CPU time, or why it cannot say. */
export interface ProcessUsage {
  /** Peak resident set (VmHWM), MiB; null when unavailable. */
  peakRssMiB: number | null;
  /** User + system CPU time over the process's life, seconds. */
  cpuSeconds: number | null;
  /** CPU time inside the measured phase only (boot and migrations excluded). */
  cpuSecondsMeasured: number | null;
  /** CPU seconds per wall second in the measured phase: 1.0 is one core fully busy. */
  cpuCoresMeasured: number | null;
  /**
   * Write system calls in the measured phase (/proc/<pid>/io syscw): each statement sent to PostgreSQL
   * and each HTTP request is one, so per customer it counts the round trips behind an answer.
   */
  writeSyscallsMeasured: number | null;
  /** 'proc' on Linux; otherwise 'unavailable' and every figure is null. */
  source: 'proc' | 'unavailable';
}

interface Reading {
  cpuSeconds: number;
  hwmKiB: number;
  writeSyscalls: number | null;
}

let clockTicks: number | undefined;

/** USER_HZ, the unit of utime and stime in /proc/<pid>/stat (100 almost everywhere). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** Null where /proc/<pid>/io is not readable (another user's process, a kernel without task I/O accounting). */
function writeSyscalls(pid: number): number | null {
  try {
    const value = Number(/^syscw:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1]);
    return Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}

function read(pid: number): Reading | null {
  if (process.platform !== 'linux') return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime) || !Number.isFinite(hwm)) return null;
    return { cpuSeconds: (utime + stime) / ticksPerSecond(), hwmKiB: hwm, writeSyscalls: writeSyscalls(pid) };
  } catch {
    return null;
  }
}

/**
 * Samples a child process from /proc while it runs, so that the last reading before it exits is never
 * more than one interval old; `mark()` and `usage()` bracket the measured phase.
 */
export class ProcessSampler {
  private last: Reading | null = null;
  private atMark: { reading: Reading; wallMs: number } | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 250,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** The measured phase starts now. */
  mark(): void {
    const reading = this.sample();
    this.atMark = reading ? { reading, wallMs: performance.now() } : null;
  }

  /** Figures so far; call before the process is stopped (its /proc entry goes with it). */
  usage(): ProcessUsage {
    const now = this.sample() ?? this.last;
    if (!now) return { peakRssMiB: null, cpuSeconds: null, cpuSecondsMeasured: null, cpuCoresMeasured: null, writeSyscallsMeasured: null, source: 'unavailable' };
    const measured = this.atMark ? now.cpuSeconds - this.atMark.reading.cpuSeconds : null;
    const wallS = this.atMark ? (performance.now() - this.atMark.wallMs) / 1000 : 0;
    return {
      peakRssMiB: Math.round((now.hwmKiB / 1024) * 10) / 10,
      cpuSeconds: Math.round(now.cpuSeconds * 100) / 100,
      cpuSecondsMeasured: measured === null ? null : Math.round(measured * 100) / 100,
      cpuCoresMeasured: measured === null || wallS <= 0 ? null : Math.round((measured / wallS) * 100) / 100,
      writeSyscallsMeasured: this.atMark && now.writeSyscalls !== null && this.atMark.reading.writeSyscalls !== null ? now.writeSyscalls - this.atMark.reading.writeSyscalls : null,
      source: 'proc',
    };
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): Reading | null {
    const reading = read(this.pid);
    if (reading) this.last = reading;
    return reading;
  }
}
