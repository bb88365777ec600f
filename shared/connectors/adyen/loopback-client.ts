/**
 * An HTTP client for `@adyen/api-library` that sends its requests to the simulator over plain
 * HTTP instead of https://checkout-test.adyen.com. The library has no base-URL option: every
 * service hard-codes `https://checkout-test.adyen.com/v72` and its default client only speaks
 * https (node:https refuses an `http:` URL). `new Client(config, httpClient)` accepts any
 * ClientInterface, so this one keeps the path (`/v72/payments`, …), swaps the origin, and hands
 * the response to the library's own response handling (`doRequest`), so errors reach the
 * caller exactly as from Adyen: HttpClientException with statusCode, errorCode, apiError and
 * responseBody; ApiException for a dropped connection or a timeout.
 *
 * It lives with the connector because the stream services' image holds streams/ and shared/
 * only; the simulator's tests import it from here (simulator/adyen/loopback-client.ts).
 * Node-compatible on purpose (node:http only): the workers run on Node.
 */
import { request as httpRequest, type ClientRequest } from "node:http";
import type { OutgoingHttpHeaders } from "node:http";
import { HttpURLConnectionClient, type Config } from "@adyen/api-library";
import type { IRequest } from "@adyen/api-library/lib/src/typings/requestOptions";

/** The library's private response handler, pinned with the exact version in package.json. */
type DoRequest = (req: ClientRequest, json: string | Buffer, allowRedirect: boolean) => Promise<string>;

const LIBRARY = "adyen-node-api-library";

/** The only hosts this client talks to: a request carrying an API key never leaves the machine through it. */
export const LOOPBACK_HOSTS: readonly string[] = ["127.0.0.1", "localhost", "[::1]"];

export class LoopbackHttpClient extends HttpURLConnectionClient {
  readonly #base: URL;
  readonly #libraryVersion: string;

  /** `baseUrl` like `http://127.0.0.1:12112`; only loopback hosts, so a test can never reach Adyen. */
  constructor(baseUrl: string, libraryVersion = "32.1.0") {
    super();
    this.#base = new URL(baseUrl);
    if (!LOOPBACK_HOSTS.includes(this.#base.hostname)) throw new Error(`not a loopback URL: ${baseUrl}`);
    this.#libraryVersion = libraryVersion;
  }

  override request(endpoint: string, json: string | Buffer, config: Config, isApiRequired: boolean, requestOptions: IRequest.Options = {}): Promise<string> {
    const target = new URL(endpoint);
    const headers: OutgoingHttpHeaders = headerObject(requestOptions.headers);
    if (isApiRequired && !config.apiKey) return Promise.reject(new Error("Invalid X-API-Key was used"));
    if (config.apiKey) headers["X-API-Key"] = config.apiKey;
    else headers.Authorization = `Basic ${Buffer.from(`${config.username}:${config.password}`, "utf8").toString("base64")}`;
    if (!Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) headers["Content-Type"] = "application/json";
    if (requestOptions.idempotencyKey) headers["Idempotency-Key"] = requestOptions.idempotencyKey;
    headers["Cache-Control"] = "no-cache";
    headers["Accept-Charset"] = "utf-8";
    const lib = `${LIBRARY}/${this.#libraryVersion}`;
    headers["User-Agent"] = config.applicationName ? `${config.applicationName} ${lib}` : lib;
    headers["adyen-library-name"] = LIBRARY;
    headers["adyen-library-version"] = this.#libraryVersion;
    const query = requestOptions.params ? `?${new URLSearchParams(requestOptions.params)}` : "";
    const req = httpRequest({
      protocol: "http:",
      hostname: this.#base.hostname.replace(/^\[|\]$/g, ""),
      port: this.#base.port,
      path: `${this.#base.pathname.replace(/\/$/, "")}${target.pathname}${query}`,
      method: requestOptions.method ?? "POST",
      headers,
    });
    if (config.connectionTimeoutMillis) req.setTimeout(config.connectionTimeoutMillis);
    const doRequest = (this as unknown as { doRequest: DoRequest }).doRequest.bind(this);
    return doRequest(req, json, false);
  }
}

/** Caller headers as an object (node also allows a flat [name, value, …] list). */
function headerObject(h: IRequest.Options["headers"]): OutgoingHttpHeaders {
  if (!h) return {};
  if (!Array.isArray(h)) return { ...(h as OutgoingHttpHeaders) };
  const out: OutgoingHttpHeaders = {};
  for (let i = 0; i + 1 < h.length; i += 2) out[h[i]!] = h[i + 1];
  return out;
}
