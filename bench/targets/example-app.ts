import express from 'express';
import { CLIENT_ID, RESOURCE_PATH, SCOPE, type BuiltApp, type ServerSettings } from '../common';

interface ExampleApp {
  app: express.Express;
  oauth: { health(): Promise<{ ok: boolean }>; close(): Promise<void> };
}
// The example-app as `npm start` builds it (example-app/server.js: readConfig, then createApp).
const { readConfig } = require('../../../example-app/config.js') as { readConfig(env: NodeJS.ProcessEnv): { clients: object[] } };
const { createApp } = require('../../../example-app/app.js') as { createApp(config: object): ExampleApp };

/**
 * The example-app, configured as its contract says (`REDIS_URL` for the Redis store), with the
 * bench client added to its clients the way `clients.json` gives them: a plaintext secret, so
 * guessable and guarded by the brute-force limits, as `svc-reporting`'s is. The bench's
 * protected path is the example-app's own `GET /api/hello` (scope read).
 */
export async function build(settings: ServerSettings): Promise<BuiltApp> {
  const config = readConfig({ PORT: String(settings.port), ...(settings.store === 'redis' && { REDIS_URL: settings.redisUrl }) });
  config.clients.push({ client_id: CLIENT_ID, client_secret: settings.clientSecret, grant_types: ['client_credentials'], scope: SCOPE });
  const { app, oauth } = createApp(config);
  const host = express();
  host.get(RESOURCE_PATH, (req, _res, next) => {
    req.url = '/api/hello';
    next();
  });
  host.use(app);
  for (let tries = 0; !(await oauth.health()).ok; tries++) {
    if (tries > 100) throw new Error('the example-app never became healthy');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { handler: host, close: () => oauth.close() };
}
