// A live line chart over time (uPlot on a canvas), sized to its container and
// redrawn in the theme's colours. For screen readers it is an image whose
// label gives the latest value of each series.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useTheme } from '../settings/theme';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string; // a CSS colour or var(--name)
  unit?: string;
}

interface Props {
  title: string;
  times: number[]; // unix seconds, increasing
  series: ChartSeries[];
  yMin?: number;
  yMax?: number; // fixed top (e.g. 100 for %); otherwise automatic
  height?: number;
  formatValue?: (v: number) => string;
  xTime?: boolean; // x axis shows clock time (default) or plain numbers
  points?: boolean; // mark each value (for sparse series such as benchmark runs)
}

function cssColor(c: string, el: Element): string {
  const m = /^var\((--[\w-]+)\)$/.exec(c);
  if (!m) return c;
  return getComputedStyle(el).getPropertyValue(m[1]).trim() || '#888';
}

export function latestSummary(series: ChartSeries[], fmt: (v: number) => string): string {
  return series
    .map((s) => {
      const last = [...s.values].reverse().find((v) => v !== null && v !== undefined);
      return `${s.label}: ${last === undefined || last === null ? 'no data' : fmt(last) + (s.unit ?? '')}`;
    })
    .join(', ');
}

export function TimeChart({ title, times, series, yMin, yMax, height = 160, formatValue, xTime = true, points = false }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const theme = useTheme();
  const fmt = formatValue ?? ((v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1)));
  const shape = series.map((s) => s.label + s.color).join('|');

  // (Re)create the plot when the series set, the theme or the fixed range changes.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const axisColor = cssColor('var(--fg-muted)', el);
    const gridColor = cssColor('var(--grid)', el);
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth || 400),
      height,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: xTime },
        y: { range: (_u, min, max) => [yMin ?? Math.min(0, min ?? 0), yMax ?? Math.max(1, (max ?? 1) * 1.1)] },
      },
      axes: [
        {
          stroke: axisColor,
          grid: { stroke: gridColor, width: 1 },
          ticks: { stroke: gridColor },
          space: 70,
          // Whole seconds and up: samples come every second or more.
          ...(xTime ? { incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400, 604800, 2592000] } : {}),
        },
        { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor }, size: 50,
          values: (_u, vals) => vals.map((v) => fmt(v)) },
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: cssColor(s.color, el),
          width: 2,
          spanGaps: false,
          points: { show: points, size: 6 },
          value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? '—' : fmt(v) + (s.unit ?? '')),
        })),
      ],
    };
    const u = new uPlot(opts, [times, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    plot.current = u;
    const ro = typeof ResizeObserver !== 'undefined'
      ? new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }))
      : null;
    ro?.observe(el);
    return () => {
      ro?.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [shape, theme, yMin, yMax, height, xTime, points]);

  // New data: update in place.
  useEffect(() => {
    plot.current?.setData([times, ...series.map((s) => s.values)] as uPlot.AlignedData);
  }, [times, series]);

  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} className="chart-canvas" role="img" aria-label={`${title}. ${latestSummary(series, fmt)}`} />
    </figure>
  );
}
