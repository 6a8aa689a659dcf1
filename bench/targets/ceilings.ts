import express from 'express';
import { Redis } from 'ioredis';
import { CEILING_TOKEN, RESOURCE_PATH, TOKEN_PATH, TOKEN_LIFETIME, randomToken, type BuiltApp, type ServerSettings } from '../common';

/** Bare Express answering JSON: what no Express-mounted server can beat. */
export async function buildJson(): Promise<BuiltApp> {
  const app = express();
  app.get(RESOURCE_PATH, (_req, res) => {
    res.json({ ok: true, client: 'bench-client' });
  });
  return { handler: app, close: async () => {} };
}

/**
 * Bare Express doing one Redis GET per request, keyed by the Bearer value and with no checks:
 * the ceiling of a Redis-backed protected route (200) and of its refusal path (401).
 */
export async function buildRedisGet(settings: ServerSettings): Promise<BuiltApp> {
  const redis = new Redis(settings.redisUrl);
  await redis.set(`ceiling:at:${CEILING_TOKEN}`, JSON.stringify({ clientId: 'bench-client', scope: ['read'] }), 'EX', TOKEN_LIFETIME);
  const app = express();
  app.get(RESOURCE_PATH, async (req, res) => {
    const value = await redis.get(`ceiling:at:${(req.headers.authorization ?? '').slice(7)}`);
    if (value === null) return void res.status(401).json({ error: 'invalid_token' });
    res.json({ ok: true, client: 'bench-client' });
  });
  return { handler: app, close: async () => void redis.disconnect() };
}

/** Bare Express doing one Redis SET per request: the ceiling of a Redis-backed token endpoint. */
export async function buildRedisSet(settings: ServerSettings): Promise<BuiltApp> {
  const redis = new Redis(settings.redisUrl);
  const app = express();
  app.post(TOKEN_PATH, async (_req, res) => {
    const token = randomToken();
    await redis.set(`ceiling:at:${token}`, '{"clientId":"bench-client","scope":["read"]}', 'EX', TOKEN_LIFETIME);
    res.json({ access_token: token, token_type: 'Bearer', expires_in: TOKEN_LIFETIME, scope: 'read' });
  });
  return { handler: app, close: async () => void redis.disconnect() };
}
