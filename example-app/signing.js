'use strict';
const { createHmac, timingSafeEqual } = require('node:crypto');

/**
 * HMAC-SHA256 signatures with the app's session secret, checked in constant time.
 * @param {string} secret
 */
function signer(secret) {
  /** @param {string} text */
  const sign = (text) => createHmac('sha256', secret).update(text).digest('base64url');
  return {
    sign,
    /**
     * @param {string} text
     * @param {string} signature
     */
    verify(text, signature) {
      const expected = Buffer.from(sign(text));
      const given = Buffer.from(signature);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}

module.exports = { signer };
