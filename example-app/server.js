'use strict';
const { readConfig } = require('./config');
const { createApp } = require('./app');

async function main() {
  const config = readConfig(process.env);
  const { app, oauth } = createApp(config);
  if (config.redisUrl && !(await becomesHealthy(oauth, 5000))) {
    throw new Error(`REDIS_URL ${redactPassword(config.redisUrl)} cannot be reached`);
  }
  const server = app.listen(config.port, config.host);
  await new Promise((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  const storeName = config.redisUrl ? `redis (${redactPassword(config.redisUrl)})` : 'in-memory';
  const clientIds = config.clients.map((client) => client.client_id).join(', ');
  console.log(`example-app listening on http://${config.host}:${address.port} (issuer ${config.issuer}), store: ${storeName}, clients: ${clientIds}`);

  const shutdown = () => server.close(() => oauth.close().finally(() => process.exit(0)));
  process.once('SIGTERM', shutdown).once('SIGINT', shutdown);
}

/**
 * Redis may be starting at the same moment (a compose file, a busy machine): start-up asks a few
 * times, for up to `limitMs`, before it gives up.
 * @param {{ health(): Promise<{ ok: boolean }> }} oauth
 * @param {number} limitMs
 */
async function becomesHealthy(oauth, limitMs) {
  const deadline = Date.now() + limitMs;
  for (;;) {
    if ((await oauth.health()).ok) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** @param {string} url */
function redactPassword(url) {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

main().catch((error) => {
  console.error(`example-app: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
