'use strict';

/**
 * What the protected API and the MCP tool `whoami` answer: who a token speaks for, as
 * `{ client_id, scope, sub? }` (scope space-separated, RFC 6749 §3.3; sub only when a user granted it).
 * @param {{ clientId: string, scope: readonly string[], sub?: string }} token
 */
function describeToken({ clientId, scope, sub }) {
  return { client_id: clientId, scope: scope.join(' '), ...(sub !== undefined && { sub }) };
}

module.exports = { describeToken };
