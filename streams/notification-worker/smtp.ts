/**
 * The SMTP side: a pooled nodemailer transport built from SMTP_URL, and what an SMTP
 * failure means for the record that caused it.
 */
import { PassThrough, type Readable } from "node:stream";
import nodemailer, { type NodemailerError, type Transporter } from "nodemailer";

export type SmtpTimeouts = { readonly connectMs: number; readonly socketMs: number };

export function createMailTransport(url: string, opts: { maxConnections: number; timeouts: SmtpTimeouts }): Transporter {
  const u = new URL(url);
  const secure = u.protocol === "smtps:";
  const transport = nodemailer.createTransport({
    pool: true,
    host: u.hostname,
    port: Number(u.port || (secure ? 465 : 25)),
    secure,
    ...(u.username ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } } : {}),
    maxConnections: opts.maxConnections,
    // nodemailer's pool closes a connection after 100 messages by default and opens another
    // (TCP, greeting, EHLO, AUTH again); a connection is reused for as long as it lives.
    maxMessages: Number.POSITIVE_INFINITY,
    // Handlers must bound their own I/O (engine rule): a hung SMTP server must not hold keys forever.
    connectionTimeout: opts.timeouts.connectMs,
    greetingTimeout: opts.timeouts.connectMs,
    socketTimeout: opts.timeouts.socketMs,
  });
  // Each mail's DATA as one write: streamed as nodemailer builds it, part by part, one mail
  // took about twenty socket writes, each a system call (in a profile at 60 mails/s, the
  // largest single share of this worker's CPU). The bytes sent are the same.
  transport.use("stream", (mail, done) => {
    mail.message.processFunc(wholeMessage);
    done();
  });
  return transport;
}

/** The message stream, gathered and passed on as one chunk (mails are a few kilobytes). */
export function wholeMessage(input: Readable): Readable {
  const chunks: Buffer[] = [];
  const out = new PassThrough();
  input.on("data", (chunk: Buffer | string) => chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk));
  input.on("end", () => out.end(Buffer.concat(chunks)));
  input.on("error", (err) => out.destroy(err));
  return out;
}

/**
 * - `rejected`: the server refused the recipient for good (5xx to RCPT TO) or the address is
 *   unusable. A property of the customer's address, not a platform fault: recorded, not retried.
 * - `permanent`: any other 5xx (sender refused, message refused, authentication): a
 *   configuration problem an operator must fix. Fatal → DLQ, replayable once fixed.
 * - `transient`: 4xx, 503, connection refused/reset, timeouts → retry tiers, then DLQ.
 */
export type SmtpFailure = "rejected" | "permanent" | "transient";

export function classifySmtpError(err: unknown): SmtpFailure {
  const e = err as NodemailerError;
  if (typeof e?.responseCode === "number") {
    const permanent = e.permanent ?? (e.responseCode >= 500 && e.responseCode < 600 && e.responseCode !== 503);
    if (!permanent) return "transient";
    return e.command === "RCPT TO" ? "rejected" : "permanent";
  }
  // No SMTP reply: nodemailer refused the envelope itself (e.g. an unusable address).
  if (e?.code === "EENVELOPE") return "rejected";
  return "transient";
}

/** What is recorded about a failure: the reply code and command, never the message body. */
export function describeSmtpError(err: unknown): string {
  const e = err as NodemailerError;
  if (typeof e?.responseCode === "number") return `${e.command ?? "SMTP"} ${e.response ?? e.responseCode}`;
  return `${e?.code ?? "ERROR"}: ${e?.message ?? String(err)}`;
}
