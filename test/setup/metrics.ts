/** A service's Prometheus `/metrics` as tests read it: a synchronisation signal, not a timing. */

export type Sample = { name: string; labels: Record<string, string>; value: number };

export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue; // comments (# HELP, # TYPE) and blank lines
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

export async function scrapeMetrics(url: string): Promise<Sample[]> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return parseMetrics(await res.text());
}

/** Sum of a metric over the samples whose labels include `labels` (0 when none: a counter not bumped yet). */
export function total(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  let n = 0;
  for (const s of samples) if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) n += s.value;
  return n;
}

/** The largest value of a metric over its label sets (0 when it has none). */
export function highest(samples: readonly Sample[], name: string): number {
  let n = 0;
  for (const s of samples) if (s.name === name) n = Math.max(n, s.value);
  return n;
}
