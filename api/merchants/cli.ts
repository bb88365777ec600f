/**
 * Merchant admin CLI.
 *   bun run merchant create --name "Acme"
 * Prints the merchant id and its API key. The key is shown this once; only its hash is kept.
 */
import { parseArgs } from "node:util";
import { loadStackEnv } from "../../shared/config.ts";
import { createDb } from "../../shared/db/client.ts";
import { migrate } from "../../shared/db/migrate.ts";
import { createMerchant } from "./repo.ts";

const USAGE = 'usage: bun run merchant create --name "Acme"';

const { positionals, values } = parseArgs({
  args: process.argv.slice(2),
  options: { name: { type: "string" }, json: { type: "boolean", default: false } },
  allowPositionals: true,
});

if (positionals[0] !== "create" || !values.name || values.name.trim().length === 0 || values.name.length > 200) {
  console.error(USAGE);
  process.exit(2);
}

const sql = createDb({ url: loadStackEnv().DATABASE_URL, max: 1, applicationName: "merchant-cli" });
try {
  await migrate(sql);
  const m = await createMerchant(sql, values.name.trim());
  if (values.json) {
    console.log(JSON.stringify({ merchant_id: m.merchantId, name: m.name, api_key: m.apiKey }));
  } else {
    console.log(`merchant ${m.merchantId} (${m.name}) created`);
    console.log(`API key (shown once, store it now): ${m.apiKey}`);
  }
} finally {
  await sql.end({ timeout: 5 });
}
