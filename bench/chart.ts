/**
 * The end-to-end report's chart: create→final latency (p50, p95, p99) against the offered
 * rate, as a self-contained SVG (no script, no external font or stylesheet). The latency
 * axis is logarithmic: a pipeline that keeps up sits in the low hundreds of milliseconds and
 * one that falls behind in seconds, and both must stay readable on one chart.
 */

export type LatencyPoint = { readonly offeredPerSec: number; readonly p50: number; readonly p95: number; readonly p99: number };

export type ChartSeries = { readonly label: string; readonly points: readonly LatencyPoint[]; readonly dashed?: boolean };

const W = 640;
const H = 360;
const M = { left: 64, right: 150, top: 36, bottom: 48 };
const COLORS = { p50: "#1b7f3b", p95: "#c77c02", p99: "#b3261e" } as const;

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] ?? c);
const ms = (v: number) => (v >= 1000 ? `${v / 1000} s` : `${v} ms`);

/** Decades of 1-2-5 between lo and hi, for the latency axis. */
export function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let d = 10 ** Math.floor(Math.log10(Math.max(lo, 1))); d <= hi * 10; d *= 10) {
    for (const m of [1, 2, 5]) if (d * m >= lo && d * m <= hi) ticks.push(d * m);
  }
  return ticks;
}

export function latencyChart(title: string, series: readonly ChartSeries[], target?: { readonly ms: number; readonly label: string }): string {
  const points = series.flatMap((s) => s.points).filter((p) => [p.p50, p.p95, p.p99].every(Number.isFinite));
  if (points.length === 0) throw new Error("latencyChart: no points");
  const xMax = Math.max(...points.map((p) => p.offeredPerSec)) * 1.1;
  const values = points.flatMap((p) => [p.p50, p.p95, p.p99]).concat(target ? [target.ms] : []);
  const yLo = 10 ** Math.floor(Math.log10(Math.max(1, Math.min(...values))));
  const yHi = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  const x = (v: number) => M.left + (v / xMax) * (W - M.left - M.right);
  const y = (v: number) => H - M.bottom - ((Math.log10(Math.max(v, yLo)) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo))) * (H - M.top - M.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${M.left}" y="20" font-size="13" font-weight="bold">${esc(title)}</text>`,
  ];
  for (const t of logTicks(yLo, yHi)) {
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${M.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${ms(t)}</text>`);
  }
  const xStep = xMax > 600 ? 200 : xMax > 250 ? 100 : 50;
  for (let t = 0; t <= xMax; t += xStep) {
    out.push(`<text x="${x(t).toFixed(1)}" y="${H - M.bottom + 16}" text-anchor="middle">${t}</text>`);
  }
  out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#444"/>`);
  out.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#444"/>`);
  out.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 12}" text-anchor="middle">offered payments/s</text>`);
  out.push(`<text transform="translate(16 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">create→final (log scale)</text>`);
  if (target) {
    out.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${y(target.ms).toFixed(1)}" y2="${y(target.ms).toFixed(1)}" stroke="#555" stroke-dasharray="2 3"/>`,
      `<text x="${W - M.right + 4}" y="${(y(target.ms) + 4).toFixed(1)}" fill="#555">${esc(target.label)}</text>`,
    );
  }
  let legend = M.top;
  for (const s of series) {
    const sorted = [...s.points].filter((p) => [p.p50, p.p95, p.p99].every(Number.isFinite)).sort((a, b) => a.offeredPerSec - b.offeredPerSec);
    for (const q of ["p50", "p95", "p99"] as const) {
      const path = sorted.map((p) => `${x(p.offeredPerSec).toFixed(1)},${y(p[q]).toFixed(1)}`).join(" ");
      const dash = s.dashed ? ` stroke-dasharray="6 4"` : "";
      out.push(`<polyline points="${path}" fill="none" stroke="${COLORS[q]}" stroke-width="2"${dash}/>`);
      for (const p of sorted) out.push(`<circle cx="${x(p.offeredPerSec).toFixed(1)}" cy="${y(p[q]).toFixed(1)}" r="3" fill="${COLORS[q]}"/>`);
      const lx = W - M.right + 12;
      out.push(
        `<line x1="${lx}" x2="${lx + 18}" y1="${legend + 10}" y2="${legend + 10}" stroke="${COLORS[q]}" stroke-width="2"${dash}/>`,
        `<text x="${lx + 24}" y="${legend + 14}">${esc(`${q} ${s.label}`)}</text>`,
      );
      legend += 16;
    }
    legend += 6;
  }
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
