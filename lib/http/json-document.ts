import type { RequestHandler } from 'express';

/** Serves a fixed JSON document (a metadata document), serialized once, cacheable for five minutes. */
export function jsonDocumentHandler(document: object, contentType = 'application/json'): RequestHandler {
  const body = JSON.stringify(document);
  return (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.type(contentType).send(body);
  };
}
