/**
 * The one place tests read endpoints from: the stack configuration shared with
 * the services, plus what only tests need (the CA to verify Caddy with).
 */
import { loadStackEnv } from "../../shared/config.ts";

export const endpoints = loadStackEnv();

export { caddyCaPath, postPayment, publicFetch } from "../../infra/stack/public-api.ts";
