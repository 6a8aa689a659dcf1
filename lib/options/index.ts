export { OAuthServerOptionsError } from './checks';
export type { OAuthServerOptions } from './server';
