import request from 'supertest';
import type { Express } from 'express';
import { basic } from '../helpers/test-app';
import { generateClientSecret } from '../../lib/clients/secrets';
import type { ClientMetadata } from '../../lib/clients/client';

const svc = generateClientSecret();
const poster = generateClientSecret();
const HUMAN = 'a person chose this secret';

/** The secrets of the flow's clients, and wrong ones a client might present: none may leak. */
export const SECRETS = { svc: svc.secret, poster: poster.secret, human: HUMAN };

/** A client for each secret format and method: fast hash with Basic and with the body, a plaintext (guessable) secret of static config with Basic. */
export const FLOW_CLIENTS: ClientMetadata[] = [
  { client_id: 'svc', client_secret: svc.hash, grant_types: ['client_credentials'], scope: 'read write' },
  { client_id: 'poster', client_secret: poster.hash, grant_types: ['client_credentials'], scope: 'read', token_endpoint_auth_method: 'client_secret_post' },
  { client_id: 'human', client_secret: HUMAN, grant_types: ['client_credentials'], scope: 'read' },
];

/** Issues one token to each flow client, each way it can authenticate; returns the tokens. */
export async function issueEveryWay(app: Express): Promise<string[]> {
  const post = () => request(app).post('/oauth/token').type('form');
  const responses = [
    await post().set('Authorization', basic('svc', svc.secret)).send('grant_type=client_credentials'),
    await post().send(`grant_type=client_credentials&client_id=poster&client_secret=${poster.secret}`),
    await post().set('Authorization', basic('human', HUMAN)).send('grant_type=client_credentials'),
  ];
  for (const res of responses) expect(res.status).toBe(200);
  return responses.map((res) => res.body.access_token as string);
}
