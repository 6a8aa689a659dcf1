import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

export interface TestCertificates {
  /** The test certificate authority, for NODE_EXTRA_CA_CERTS. */
  caFile: string;
  /** A server certificate and key for IP 127.0.0.1, signed by that authority. */
  certFile: string;
  keyFile: string;
}

/**
 * Makes a one-day certificate authority and a server certificate in `dir`, with the openssl CLI:
 * for IP 127.0.0.1, or for the DNS name `hostName`.
 */
export async function makeTestCertificates(dir: string, hostName?: string): Promise<TestCertificates> {
  const openssl = (...args: string[]) => promisify(execFile)('openssl', args, { cwd: dir });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await openssl('req', '-x509', ...ecKey, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=eos-test-ca');
  await openssl('req', ...ecKey, '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${hostName ?? '127.0.0.1'}`);
  writeFileSync(path.join(dir, 'san.ext'), `subjectAltName=${hostName === undefined ? 'IP:127.0.0.1' : `DNS:${hostName}`}\n`);
  await openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'san.ext', '-out', 'server.crt');
  return { caFile: path.join(dir, 'ca.crt'), certFile: path.join(dir, 'server.crt'), keyFile: path.join(dir, 'server.key') };
}
