'use strict';
const express = require('express');
const { escapeHtml } = require('./html');

/**
 * RFC 8628 §3.3: the page of `verification_uri`, where a person enters the code their device
 * shows (filled in from `verification_uri_complete`). The form goes to the OAuth router's
 * /device/verify, which signs the person in and asks their consent as in the code flow.
 */
function deviceRoutes() {
  const router = express.Router();
  router.get('/device', (req, res) => {
    const userCode = typeof req.query.user_code === 'string' ? req.query.user_code.slice(0, 32) : '';
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'");
    res.type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Connect a device</title></head>
<body>
<h1>Connect a device</h1>
<p>Enter the code shown on your device.</p>
<form method="get" action="/oauth/device/verify">
<label>Code <input name="user_code" value="${escapeHtml(userCode)}" autocomplete="off" autocapitalize="characters" required></label>
<button type="submit">Continue</button>
</form>
</body></html>`);
  });
  return router;
}

module.exports = { deviceRoutes };
