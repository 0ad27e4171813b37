// Number formatting for the pages: sizes, rates, durations, percentages.

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 || v >= 100 ? 0 : 1)} ${units[i]}`;
}

export function formatGB(gb: number | null | undefined, digits = 1): string {
  if (gb === null || gb === undefined || !Number.isFinite(gb)) return '—';
  if (gb > 0 && gb < 0.1) return `${Math.round(gb * 1024)} MB`;
  return `${gb.toFixed(digits)} GB`;
}

export function formatPercent(v: number | null | undefined, digits = 0): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return `${v.toFixed(digits)}%`;
}

export function formatRate(tokensPerSec: number | null | undefined): string {
  if (tokensPerSec === null || tokensPerSec === undefined || !Number.isFinite(tokensPerSec)) return '—';
  return `${tokensPerSec >= 100 ? tokensPerSec.toFixed(0) : tokensPerSec.toFixed(1)} tok/s`;
}

// "45 s", "3 min 20 s", "2 h 5 min".
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const m = Math.floor((s % 3600) / 60);
  return `${Math.floor(s / 3600)} h${m ? ` ${m} min` : ''}`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

// Speed in megabytes per second ("speed_mbps" in the download API).
export function formatSpeed(mbps: number | null | undefined): string {
  if (mbps === null || mbps === undefined || !Number.isFinite(mbps)) return '—';
  return mbps >= 1000 ? `${(mbps / 1000).toFixed(2)} GB/s` : `${mbps.toFixed(1)} MB/s`;
}

// A timestamp (unix seconds, unix ms or ISO text) as a local date and time.
export function formatTime(t: string | number | null | undefined): string {
  const d = toDate(t);
  return d ? d.toLocaleString() : '—';
}

export function toDate(t: string | number | null | undefined): Date | null {
  if (t === null || t === undefined || t === '') return null;
  if (typeof t === 'number') return new Date(t > 1e12 ? t : t * 1000);
  const n = Number(t);
  if (Number.isFinite(n)) return new Date(n > 1e12 ? n : n * 1000);
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? null : d;
}
