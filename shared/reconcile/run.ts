/**
 * One reconciliation: the platform's payments of a UTC day against what each given connector
 * holds (compare.ts says how), as a report (model.ts) and as CSV. The entry point of the CLI
 * (cli.ts) and of GET /ops/reconciliation; `sources` are the connectors' readers
 * (sources.ts builds them from the environment; tests pass their own). The connectors are
 * read in parallel, each once, over the gateway window (days.ts).
 */
import { CONNECTORS, type ConnectorName } from "../connectors/types.ts";
import type { Sql } from "../db/client.ts";
import { compare } from "./compare.ts";
import { csvLine } from "./csv.ts";
import { formatDay, parseDay, windowsOf } from "./days.ts";
import {
  ReconcileError,
  type Counts,
  type GatewayRecord,
  type Mismatch,
  type PlatformPayment,
  type ReconcileSources,
  type Report,
  type Window,
} from "./model.ts";
import { paymentsById, paymentsCreatedIn } from "./platform.ts";

const span = (w: Window) => ({ from: w.from.toISOString(), to: w.to.toISOString() });

function counts(ms: readonly Mismatch[]): Counts {
  const out: Counts = { missing_locally: 0, missing_at_gateway: 0, amount_mismatch: 0 };
  for (const m of ms) out[m.kind]++;
  return out;
}

/** The ids that records created on the day name but the day's payments do not: they may be payments of another day. */
function namedElsewhere(day: Window, payments: readonly PlatformPayment[], records: readonly GatewayRecord[]): string[] {
  const ofDay = new Set(payments.map((p) => p.id));
  const ids = records
    .filter((r) => r.createdAt >= day.from && r.createdAt < day.to && r.paymentId !== null && !ofDay.has(r.paymentId))
    .map((r) => r.paymentId!);
  return [...new Set(ids)];
}

/** Reconciles the UTC day `date` (YYYY-MM-DD) against every connector in `sources`. */
export async function reconcile(sql: Sql, sources: ReconcileSources, date: string): Promise<Report> {
  const day = parseDay(date);
  if (!day) throw new ReconcileError(`date must be a day as YYYY-MM-DD, got ${JSON.stringify(date.slice(0, 40))}`);
  const w = windowsOf(day);
  const connectors = CONNECTORS.filter((c) => sources[c] !== undefined);
  const [payments, reads] = await Promise.all([paymentsCreatedIn(sql, w.platform), Promise.all(connectors.map((c) => sources[c]!(w.gateway)))]);
  const records: Partial<Record<ConnectorName, readonly GatewayRecord[]>> = Object.fromEntries(connectors.map((c, i) => [c, reads[i]!.records]));
  const named = await paymentsById(
    sql,
    namedElsewhere(
      w.platform,
      payments,
      reads.flatMap((r) => r.records),
    ),
  );
  const mismatches = compare({ day: w.platform, connectors, payments, named, records });
  const unchecked: Record<string, number> = {};
  for (const p of payments) if (p.connector !== null && !connectors.includes(p.connector)) unchecked[p.connector] = (unchecked[p.connector] ?? 0) + 1;
  return {
    date: formatDay(day),
    window: { platform: span(w.platform), gateway: span(w.gateway) },
    connectors,
    summary: {
      mismatches: mismatches.length,
      by_kind: counts(mismatches),
      by_connector: Object.fromEntries(
        connectors.map((c) => [
          c,
          {
            payments: payments.filter((p) => p.connector === c).length,
            gateway_records: records[c]?.length ?? 0,
            ...counts(mismatches.filter((m) => m.connector === c)),
          },
        ]),
      ),
      unchecked,
    },
    warnings: reads.flatMap((r) => r.warnings),
    mismatches,
  };
}

export const CSV_COLUMNS = [
  "kind",
  "connector",
  "payment_id",
  "gateway_ref",
  "currency",
  "platform_status",
  "platform_amount",
  "platform_captured",
  "platform_refunded",
  "gateway_status",
  "gateway_amount",
  "gateway_captured",
  "gateway_refunded",
  "reason",
] as const;

const sideFields = (s: Mismatch["platform"]) => (s ? [s.status, String(s.amount), String(s.captured), String(s.refunded)] : ["", "", "", ""]);

/** The mismatches as CSV (RFC 4180: header line, CRLF line ends, quoted where needed); a missing side is empty fields. */
export function toCsv(report: Report): string {
  const rows = report.mismatches.map((m) => [
    m.kind,
    m.connector,
    m.payment_id ?? "",
    m.gateway_ref ?? "",
    m.currency,
    ...sideFields(m.platform),
    ...sideFields(m.gateway),
    m.reason,
  ]);
  return `${[CSV_COLUMNS, ...rows].map(csvLine).join("\r\n")}\r\n`;
}
