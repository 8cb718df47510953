/** Numbers for people: sizes, speeds, durations, and download progress with speed and time left. */

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '?';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n >= 100 || i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 1) return 'under a second';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export interface ProgressSnapshot {
  loaded: number;
  total: number;
  /** 0..1, or null when the total is unknown. */
  fraction: number | null;
  bytesPerSecond: number | null;
  secondsLeft: number | null;
  /** e.g. "312 MB of 570 MB · 24.1 MB/s · 11 s left". */
  text: string;
}

/**
 * Download speed over a sliding window (the last few seconds), and the time left at that speed.
 * Feed it the overall loaded/total bytes as they arrive.
 */
export class ProgressMeter {
  private samples: Array<{ t: number; loaded: number }> = [];
  constructor(
    private readonly windowMs = 3000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  update(loaded: number, total: number): ProgressSnapshot {
    const t = this.now();
    this.samples.push({ t, loaded });
    while (this.samples.length > 2 && t - this.samples[0].t > this.windowMs) this.samples.shift();
    const first = this.samples[0];
    const dt = (t - first.t) / 1000;
    const bytesPerSecond = dt > 0.2 && loaded >= first.loaded ? (loaded - first.loaded) / dt : null;
    const fraction = total > 0 ? Math.min(1, loaded / total) : null;
    const secondsLeft = bytesPerSecond && total > 0 ? Math.max(0, (total - loaded) / bytesPerSecond) : null;
    const parts = [total > 0 ? `${formatBytes(loaded)} of ${formatBytes(total)}` : formatBytes(loaded)];
    if (bytesPerSecond !== null) parts.push(`${formatBytes(bytesPerSecond)}/s`);
    if (secondsLeft !== null && fraction !== null && fraction < 1) parts.push(`${formatDuration(secondsLeft)} left`);
    return { loaded, total, fraction, bytesPerSecond, secondsLeft, text: parts.join(' · ') };
  }
}
