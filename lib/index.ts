export { oauthServer, type OAuthServer } from './server';
export { OAuthServerOptionsError } from './options/checks';
export type { OAuthServerOptions, ClientFetchOptions } from './options/server';
export { clientCredentials, type ClientCredentialsOptions } from './grants/client-credentials';
export { authorizationCode } from './grants/authorization-code';
export { refreshToken } from './grants/refresh-token';
export { passwordGrant, type PasswordGrantOptions } from './grants/password';
export { jwtBearer, JWT_BEARER_GRANT_TYPE, ID_JAG_TYPE, type JwtBearerOptions, type TrustedIssuer } from './grants/jwt-bearer';
export {
  deviceAuthorization,
  DEVICE_CODE_GRANT_TYPE,
  type DeviceAuthorizationOptions,
  type DeviceAuthorizationGrant,
  type DeviceResult,
} from './grants/device-code';
export type { DeviceUserStep, PendingDevice } from './device/user-step';
export type { DeviceAuthorizationResponse } from './endpoints/device-authorization';
export type { PushedAuthorizationResponse } from './endpoints/pushed-authorization';
export type { Grant, TokenRequestContext, TokenResponse } from './grants/grant';
export type { TokenIssuer, IssueRequest, GrantIssue, TokenIssuedEvent } from './tokens/issuer';
export type { AuthorizationOptions, ConsentPrompt } from './options/authorization';
export type { ClientAuthFailedEvent, ClientAuthFailureReason } from './client-auth/authenticate';
export type { Client, ClientMetadata, ClientAuthMethod } from './clients/client';
export type { ClientLookup } from './clients/registry';
export { generateClientSecret, hashClientSecret, type GeneratedClientSecret } from './clients/secrets';
export { hashInitialAccessToken } from './registration/initial-access-token';
export type { RegistrationOptions, RegistrationPolicy, RegistrationContext, InitialAccessTokenCheck } from './options/registration';
export type { RegisteredClientMetadata } from './registration/metadata';
export type { ClientIdMetadataDocumentOptions } from './options/client-id-metadata';
export { ClientMetadataDocumentError } from './client-id-metadata/client-id-url';
export { memoryStore, type MemoryStoreOptions } from './stores/memory/store';
export { redisStore } from './stores/redis-on-demand';
export type { RedisStoreOptions } from './stores/redis/store';
export type { RedisClient } from './stores/redis/connection';
export type { Durability } from './stores/redis/durability';
export type {
  Store,
  AccessTokenRecord,
  AuthorizationCodeRecord,
  RefreshTokenRecord,
  AuthorizationTransactionRecord,
  DeviceTransactionRecord,
  TransactionRecord,
  PushedRequestRecord,
  DeviceCodeRecord,
  DeviceDecision,
  DevicePoll,
  ConsentRecord,
  GrantTokens,
  RotationResult,
  Quota,
  CodeExchangeResult,
  RegisteredClientStore,
  RegisteredClientRecord,
  ClientCreation,
} from './stores/store';
export type { AttemptKey, AttemptLimit, AttemptStore } from './stores/store';
export type { SigningKeyStore, StoredSigningKey, StoredSigningKeySet } from './stores/store';
export type { SigningKeyOptions, SigningAlgorithm } from './options/signing-keys';
export type { BruteForceOptions } from './limits/brute-force';
export type { DpopOptions } from './options/dpop';
export type { AttemptLimits, PasswordCheck } from './limits/password-limits';
export type { TokenInfo, RequireToken } from './resource/token-guard';
export type { ProtectedResource } from './resource/protected-resource';
export type { ProtectedResourceMetadata } from './resource/protected-resource-metadata';
export { resourceServer, type ResourceServer } from './resource/resource-server';
export type { ResourceServerOptions } from './options/resource-server';
export { GuardedFetchError, type GuardedFetchErrorCode } from './http/guarded-fetch';
export type { Clock } from './clock';
export {
  OAuthError,
  InvalidRequestError,
  InvalidClientError,
  InvalidGrantError,
  UnauthorizedClientError,
  UnsupportedGrantTypeError,
  InvalidScopeError,
  InvalidRedirectUriError,
  InvalidClientMetadataError,
  AccessDeniedError,
  UnsupportedResponseTypeError,
  ServerError,
  TemporarilyUnavailableError,
  QuotaExceededError,
  InvalidTokenError,
  InsufficientScopeError,
  AuthorizationPendingError,
  SlowDownError,
  ExpiredTokenError,
  InvalidRequestUriError,
  InvalidDpopProofError,
  UseDpopNonceError,
  type OAuthErrorCode,
} from './errors';
