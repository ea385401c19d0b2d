// What a process holds right now, read from /proc (Linux): resident memory
// (and its peak, which can be reset), CPU time and open file descriptors,
// sampled on a timer for the soak's trends.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** A memory field of /proc/PID/status (VmRSS, VmHWM, RssAnon, RssFile…) in MB; NaN when absent. */
export function statusMb(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** Resident set size (VmRSS) in MB. */
export function rssMb(pid: number): number {
  return statusMb(pid, 'VmRSS');
}

/** CPU seconds (user + system, all threads) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Open file descriptors: sockets, the log file, epoll, and Node's own. */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export interface Sample {
  /** Seconds since sampling began. */
  t: number;
  rssMb: number;
  fds: number;
}

/** Samples `pid` now and every `everyMs` until stop(). */
export function sample(pid: number, everyMs: number): { samples: Sample[]; stop: () => Sample[] } {
  const samples: Sample[] = [];
  const started = performance.now();
  const take = (): void => {
    try {
      samples.push({ t: (performance.now() - started) / 1000, rssMb: rssMb(pid), fds: fdCount(pid) });
    } catch {
      // The process has exited; the caller sees it in its own checks.
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    samples,
    stop: () => {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

/** Least-squares slope of y over t, per minute. */
export function slopePerMinute(points: readonly { t: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const meanT = points.reduce((s, p) => s + p.t, 0) / n;
  const meanY = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - meanT) * (p.y - meanY);
    den += (p.t - meanT) ** 2;
  }
  return den === 0 ? Number.NaN : (num / den) * 60;
}

/** Resets a process's peak RSS (Linux clear_refs 5); false where not permitted. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Peak resident set size (VmHWM) in MB since start or the last reset. */
export function peakRssMb(pid: number): number {
  return statusMb(pid, 'VmHWM');
}
