'use strict';
const express = require('express');
const { describeToken } = require('./token-description');

/**
 * The SDK, loaded by the first MCP request: with its schema libraries (zod, ajv) it is about 240
 * modules that an app serving only its API never needs in memory.
 */
/** @type {{ McpServer: typeof import('@modelcontextprotocol/sdk/server/mcp.js').McpServer, StreamableHTTPServerTransport: typeof import('@modelcontextprotocol/sdk/server/streamableHttp.js').StreamableHTTPServerTransport } | undefined} */
let sdk;
function mcpSdk() {
  sdk ??= {
    McpServer: require('@modelcontextprotocol/sdk/server/mcp.js').McpServer,
    StreamableHTTPServerTransport: require('@modelcontextprotocol/sdk/server/streamableHttp.js').StreamableHTTPServerTransport,
  };
  return sdk;
}

/** @typedef {import('@modelcontextprotocol/sdk/server/auth/types.js').AuthInfo} AuthInfo */

/** A JSON-RPC request is small here: one tool without arguments. */
const MAX_REQUEST_BODY_BYTES = 64 * 1024;

/**
 * The example-app's MCP server (Streamable HTTP, stateless): `POST /mcp` behind `requireToken`,
 * which must run first and set `req.oauth`. Every request gets its own server and transport, as
 * the SDK's stateless examples do; there are no sessions, so `GET` (a server-to-client stream)
 * and `DELETE` (ending a session) are 405.
 * @param {import('express').RequestHandler} requireToken the guard of the MCP resource
 */
function mcpRoutes(requireToken) {
  const router = express.Router();
  router.post('/mcp', requireToken, handleMcpRequest);
  router.get('/mcp', methodNotAllowed);
  router.delete('/mcp', methodNotAllowed);
  return router;
}

/** One MCP server, for one request. */
function createMcpServer() {
  const server = new (mcpSdk().McpServer)({ name: 'express-oauth2-server example-app', version: '1.0.0' });
  server.registerTool(
    'whoami',
    {
      title: 'Who am I',
      description: 'Who the access token of this request speaks for: its client_id, scope and, when a user granted it, sub.',
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (extra) => {
      const authInfo = extra.authInfo;
      // Unreachable behind requireToken; said plainly rather than answered with an empty identity.
      if (authInfo === undefined) return { isError: true, content: [{ type: 'text', text: 'No access token.' }] };
      const sub = authInfo.extra?.sub;
      const description = describeToken({ clientId: authInfo.clientId, scope: authInfo.scopes, ...(typeof sub === 'string' && { sub }) });
      return { content: [{ type: 'text', text: JSON.stringify(description) }] };
    },
  );
  return server;
}

/**
 * @param {import('express').Request} req
 * @param {import('express').Response} res
 */
async function handleMcpRequest(req, res) {
  const server = createMcpServer();
  // sessionIdGenerator undefined: stateless. A JSON answer rather than an event stream: one tool
  // call, nothing to stream, and a curl user reads it as it is.
  const transport = new (mcpSdk().StreamableHTTPServerTransport)({ sessionIdGenerator: undefined, enableJsonResponse: true, maxRequestBodySize: MAX_REQUEST_BODY_BYTES });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  try {
    await server.connect(transport);
    // The SDK hands `req.auth` to tool handlers as `extra.authInfo`. (Seen as the SDK's own type:
    // other middleware may declare another `auth` on Express's Request.)
    const request = /** @type {import('node:http').IncomingMessage & { auth?: AuthInfo }} */ (/** @type {unknown} */ (req));
    request.auth = toAuthInfo(req);
    await transport.handleRequest(request, res);
  } catch (error) {
    console.error('example-app: an MCP request failed:', error);
    // JSON-RPC 2.0 §5.1: -32603 internal error; no details of the failure go to the client.
    if (!res.headersSent) res.status(500).json({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal server error' }, id: null });
  }
}

/**
 * The SDK's AuthInfo for the token that requireToken let through.
 * @param {import('express').Request} req
 * @returns {AuthInfo}
 */
function toAuthInfo(req) {
  const token = /** @type {import('..').TokenInfo} */ (req.oauth);
  return {
    // RFC 6750 §2.1 (or RFC 9449 §7.1): the credentials after the scheme, already checked.
    token: (req.headers.authorization ?? '').replace(/^\S+\s+/, ''),
    clientId: token.clientId,
    scopes: token.scope,
    expiresAt: token.expiresAt,
    ...(token.audience !== undefined && { resource: new URL(token.audience) }),
    ...(token.sub !== undefined && { extra: { sub: token.sub } }),
  };
}

/**
 * RFC 9110 §15.5.6: 405 names the allowed methods; the body is the SDK's JSON-RPC error.
 * @param {import('express').Request} _req
 * @param {import('express').Response} res
 */
function methodNotAllowed(_req, res) {
  res.status(405).set('Allow', 'POST').json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null });
}

module.exports = { mcpRoutes };
