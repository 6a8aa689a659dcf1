import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

/**
 * What an interactive MCP client keeps between the SDK's steps: its tokens, its PKCE verifier,
 * and the authorization URL the SDK would open in a browser (for the test to follow).
 */
export abstract class InteractiveProvider implements OAuthClientProvider {
  authorizationUrl: URL | undefined;
  private verifier = '';
  private saved: OAuthTokens | undefined;
  abstract get redirectUrl(): string;
  abstract get clientMetadata(): OAuthClientMetadata;
  abstract clientInformation(): OAuthClientInformationMixed | undefined;
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}
