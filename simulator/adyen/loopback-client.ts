/**
 * The loopback HTTP client for `@adyen/api-library` moved to the Adyen connector
 * (shared/connectors/adyen/loopback-client.ts), which runs it in the workers' image; the
 * simulator's tests keep importing it from here. Test-only: the simulator's own service
 * (main.ts, server.ts) never imports it, so the simulator image needs nothing from streams/.
 */
export { LOOPBACK_HOSTS, LoopbackHttpClient } from "../../shared/connectors/adyen/loopback-client.ts";
