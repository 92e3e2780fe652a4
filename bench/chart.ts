/**
 * Bar charts of benchmark results: `barChartSvg` draws horizontal bars from rows as an SVG string,
 * `writeBarChartPng` renders it to a PNG with sharp (librsvg) for docs/BENCHMARKS.md.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp from 'sharp';

export interface Bar {
  readonly label: string;
  readonly value: number;
  /** Printed after the value, e.g. `4.5×`. */
  readonly note?: string;
  /** Drawn in the accent colour (e.g. our own product). */
  readonly highlight?: boolean;
}

export interface BarChart {
  readonly title: string;
  /** A smaller line under the title: workload, machine, date. */
  readonly subtitle?: string;
  /** The value's unit, printed after each value (e.g. `req/s`). */
  readonly unit?: string;
  readonly bars: readonly Bar[];
  /** Image width in pixels (default 960). */
  readonly width?: number;
}

const FONT = "'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif";
const COLOR = '#8a94a6';
const ACCENT = '#e4572e';

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value >= 10 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1);
}

/** Horizontal bars, one row per bar, scaled to the largest value; labels left, values right. */
export function barChartSvg(chart: BarChart): string {
  const width = chart.width ?? 960;
  const rowHeight = 34;
  const barHeight = 22;
  const top = chart.subtitle ? 78 : 56;
  const labelWidth = Math.min(
    width * 0.45,
    Math.max(120, ...chart.bars.map((bar) => bar.label.length * 7.4 + 24)),
  );
  const valueWidth = 190;
  const barSpace = width - labelWidth - valueWidth - 16;
  const max = Math.max(0, ...chart.bars.map((bar) => (Number.isFinite(bar.value) ? bar.value : 0)));
  const height = top + chart.bars.length * rowHeight + 20;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="16" y="32" font-family="${FONT}" font-size="20" font-weight="bold" fill="#1f2430">${escapeXml(chart.title)}</text>`,
  ];
  if (chart.subtitle) {
    parts.push(
      `<text x="16" y="56" font-family="${FONT}" font-size="13" fill="#5b6475">${escapeXml(chart.subtitle)}</text>`,
    );
  }
  chart.bars.forEach((bar, i) => {
    const y = top + i * rowHeight;
    const value = Number.isFinite(bar.value) ? bar.value : 0;
    const length = max > 0 ? Math.max(value > 0 ? 2 : 0, (value / max) * barSpace) : 0;
    const text = [formatValue(bar.value), chart.unit, bar.note ? `(${bar.note})` : undefined]
      .filter((part) => part !== undefined && part !== '')
      .join(' ');
    parts.push(
      `<text x="${labelWidth - 10}" y="${y + barHeight / 2 + 5}" text-anchor="end" font-family="${FONT}" font-size="13" fill="#1f2430"${bar.highlight ? ' font-weight="bold"' : ''}>${escapeXml(bar.label)}</text>`,
      `<rect x="${labelWidth}" y="${y}" width="${length.toFixed(1)}" height="${barHeight}" rx="3" fill="${bar.highlight ? ACCENT : COLOR}"/>`,
      `<text x="${(labelWidth + length + 8).toFixed(1)}" y="${y + barHeight / 2 + 5}" font-family="${FONT}" font-size="13" fill="#1f2430">${escapeXml(text)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Renders `chart` to a PNG file (parent folders created). */
export async function writeBarChartPng(path: string, chart: BarChart): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await sharp(Buffer.from(barChartSvg(chart)), { density: 144 })
    .png()
    .toFile(path);
}
