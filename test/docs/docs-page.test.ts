/**
 * The docs page in a real headless browser (Debian's chromium, installed by
 * infra/bootstrap.sh), through Caddy over HTTPS. The browser trusts Caddy's root CA
 * through a throwaway NSS database in its own HOME (certutil): verification stays on, so
 * the second test, without that database, must fail on the certificate.
 *
 * The page must render the operations with every request on this machine: the UI bundle
 * is served by the API, nothing comes from a CDN, and the CSP is not violated.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { caddyCaPath, endpoints } from "../setup/endpoints.ts";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const DOCS_URL = `${endpoints.PUBLIC_URL}/docs`;
const DEADLINE_MS = 40_000;

type Event = { method: string; params: any; sessionId?: string };

/** The few Chrome DevTools Protocol calls this test needs, over the browser's WebSocket. */
class Cdp {
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  readonly events: Event[] = [];
  private ws: WebSocket;
  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.onmessage = (m) => {
      const msg = JSON.parse(String(m.data));
      const waiter = msg.id === undefined ? undefined : this.pending.get(msg.id);
      if (!waiter) return void this.events.push(msg);
      this.pending.delete(msg.id);
      if (msg.error) waiter.reject(new Error(`${msg.error.message} (${msg.error.code})`));
      else waiter.resolve(msg.result);
    };
  }
  static async connect(url: string): Promise<Cdp> {
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = () => reject(new Error(`cannot reach ${url}`)))));
    return new Cdp(ws);
  }
  send(method: string, params: object = {}, sessionId?: string): Promise<any> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ id, method, params, sessionId }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }
  close() {
    this.ws.close();
  }
}

type Browser = { cdp: Cdp; proc: Bun.Subprocess; dir: string };
const browsers: Browser[] = [];

/** Chromium with a fresh profile and HOME; `trustCaddy` puts Caddy's root CA in that HOME's NSS database. */
async function launch(trustCaddy: boolean): Promise<Browser> {
  const dir = mkdtempSync(join(tmpdir(), "docs-browser-"));
  const home = join(dir, "home");
  const nssdb = join(home, ".pki", "nssdb");
  mkdirSync(nssdb, { recursive: true });
  const run = (args: string[]) => {
    const r = Bun.spawnSync(["certutil", "-d", `sql:${nssdb}`, ...args], { stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`certutil ${args.join(" ")}: ${r.stderr.toString()}`);
  };
  run(["-N", "--empty-password"]);
  if (trustCaddy) run(["-A", "-t", "C,,", "-n", "local-stack-root", "-i", caddyCaPath]);
  const flags = [
    "--headless",
    ...(process.getuid?.() === 0 ? ["--no-sandbox"] : []),
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    // Desktop width: on a narrow window the sidebar that lists every operation is folded away.
    "--window-size=1280,1024",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
    `--user-data-dir=${join(dir, "profile")}`,
    "about:blank",
  ];
  const log = join(dir, "chromium.log");
  const proc = Bun.spawn([CHROMIUM, ...flags], { env: { ...process.env, HOME: home }, stdout: "ignore", stderr: Bun.file(log) });
  const browser: Browser = { cdp: undefined as unknown as Cdp, proc, dir };
  browsers.push(browser);
  browser.cdp = await Cdp.connect(await devtoolsUrl(proc, join(dir, "profile", "DevToolsActivePort"), log));
  return browser;
}

/** Chromium writes its DevTools port and path into the profile once it listens. */
async function devtoolsUrl(proc: Bun.Subprocess, portFile: string, log: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && proc.exitCode === null) {
    const [port, path] = existsSync(portFile) ? readFileSync(portFile, "utf8").split("\n") : [];
    if (port && path) return `ws://127.0.0.1:${port}${path}`;
    await Bun.sleep(100);
  }
  const tail = existsSync(log) ? readFileSync(log, "utf8").slice(-2000) : "";
  throw new Error(`chromium did not start listening (exit code ${proc.exitCode}):\n${tail}`);
}

/** Opens a tab with network, log and runtime events on; returns its session id. */
async function openTab(cdp: Cdp, url: string): Promise<{ sessionId: string; navigation: any }> {
  const { targetId } = await cdp.send("Target.createTarget", { url: "about:blank" });
  const { sessionId } = await cdp.send("Target.attachToTarget", { targetId, flatten: true });
  for (const domain of ["Network", "Page", "Runtime", "Log"]) await cdp.send(`${domain}.enable`, {}, sessionId);
  const navigation = await cdp.send("Page.navigate", { url }, sessionId);
  return { sessionId, navigation };
}

async function pageText(cdp: Cdp, sessionId: string): Promise<string> {
  const { result } = await cdp.send("Runtime.evaluate", { expression: "document.body ? document.body.innerText : ''", returnByValue: true }, sessionId);
  return String(result.value ?? "");
}

beforeAll(() => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run infra/bootstrap.sh as root (Debian package chromium)`);
  if (!existsSync(caddyCaPath)) throw new Error(`Caddy's root CA ${caddyCaPath} is missing: is the stack up?`);
});

afterAll(async () => {
  for (const b of browsers) {
    // A graceful close takes the renderer and GPU processes with it; SIGKILL if it hangs.
    b.cdp?.send("Browser.close").catch(() => {});
    await Promise.race([b.proc.exited, Bun.sleep(5_000)]);
    b.cdp?.close();
    if (b.proc.exitCode === null) b.proc.kill("SIGKILL");
    await b.proc.exited;
    rmSync(b.dir, { recursive: true, force: true });
  }
});

test("the docs page renders the operations in headless chromium, every request on this machine", async () => {
  const { cdp } = await launch(true);
  const { sessionId, navigation } = await openTab(cdp, DOCS_URL);
  expect(navigation.errorText ?? "").toBe("");
  const wanted = ["Create a payment", "Retrieve a payment", "List payments"];
  const deadline = Date.now() + DEADLINE_MS;
  let text = "";
  while (Date.now() < deadline && !wanted.every((w) => text.includes(w))) {
    await Bun.sleep(250);
    text = await pageText(cdp, sessionId);
  }

  // Requests first: a page that waits for a CDN says so here, before its text is missed.
  const mine = cdp.events.filter((e) => e.sessionId === sessionId);
  const requested = mine.filter((e) => e.method === "Network.requestWillBeSent").map((e) => String(e.params.request.url));
  const offMachine = requested.filter((u) => /^(https?|wss?):/.test(u) && !["localhost", "127.0.0.1"].includes(new URL(u).hostname));
  expect(offMachine).toEqual([]);
  for (const w of wanted) expect(text).toContain(w);
  expect(requested.some((u) => u.startsWith(`${endpoints.PUBLIC_URL}/docs/assets/`))).toBe(true);
  expect(requested.some((u) => u === `${endpoints.PUBLIC_URL}/docs/openapi.json`)).toBe(true);
  const failed = mine.filter((e) => e.method === "Network.loadingFailed").map((e) => `${e.params.errorText} ${e.params.blockedReason ?? ""}`);
  expect(failed).toEqual([]);
  const cspViolations = mine
    .filter((e) => e.method === "Log.entryAdded" && /Content Security Policy/i.test(e.params.entry.text))
    .map((e) => e.params.entry.text);
  expect(cspViolations).toEqual([]);
  const exceptions = mine
    .filter((e) => e.method === "Runtime.exceptionThrown")
    .map((e) => e.params.exceptionDetails.exception?.description ?? e.params.exceptionDetails.text);
  expect(exceptions).toEqual([]);
}, 60_000);

test("without Caddy's root CA in its NSS database the browser refuses the certificate (the check above is real)", async () => {
  const { cdp } = await launch(false);
  const { navigation } = await openTab(cdp, DOCS_URL);
  expect(navigation.errorText).toMatch(/ERR_CERT_AUTHORITY_INVALID/);
}, 30_000);
