// @sigstore/mock's Fulcio and Rekor served on free 127.0.0.1 ports, and the trusted root
// (protobuf-specs JSON) that trusts exactly them. Shared by sign.mjs and serve.mjs.

import crypto from 'node:crypto';
import http from 'node:http';

import {
  fulcioHandler,
  initializeCA,
  initializeCTLog,
  initializeTLog,
  rekorHandler,
} from '@sigstore/mock';

// Listens on a free loopback port; `route(handler)` then serves one mock handler
// ({ path, fn }). The URL is known before the handler exists: Rekor's checkpoint origin is
// taken from it.
async function listen() {
  let handler;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      if (!handler || req.method !== 'POST' || req.url !== handler.path) {
        res.writeHead(404).end();
        return;
      }
      const { statusCode, response, contentType } = await handler.fn(
        Buffer.concat(chunks).toString('utf8')
      );
      res.writeHead(statusCode, { 'Content-Type': contentType || 'text/plain' });
      res.end(response);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const route = (h) => {
    handler = h;
  };
  return { server, route, url: `http://127.0.0.1:${server.address().port}` };
}

const genKey = () => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const spki = (key) => key.export({ format: 'der', type: 'spki' });
const b64 = (buf) => Buffer.from(buf).toString('base64');

// Starts the mock: { fulcio: URL, rekor: URL, trustedRoot, close() }. The keys are valid
// from a fixed point in the past, so clock skew between here and a verifier never matters.
export async function startMock() {
  const ctlogKeys = genKey();
  const caKeys = genKey();
  const rekorKeys = genKey();
  const fulcio = await listen();
  const rekor = await listen();
  const ctlog = await initializeCTLog(ctlogKeys);
  const ca = await initializeCA(caKeys, ctlog);
  fulcio.route(fulcioHandler(ca));
  rekor.route(rekorHandler(await initializeTLog(rekor.url, rekorKeys)));

  const validFor = { start: '2020-01-01T00:00:00Z' };
  const rekorKey = spki(rekorKeys.publicKey);
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: rekor.url,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(rekorKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor },
        logId: { keyId: b64(crypto.createHash('sha256').update(rekorKey).digest()) },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: fulcio.url,
        certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
        validFor,
      },
    ],
    ctlogs: [
      {
        baseUrl: 'http://127.0.0.1/ctlog',
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: b64(ctlog.publicKey),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor,
        },
        logId: { keyId: b64(ctlog.logID) },
      },
    ],
    timestampAuthorities: [],
  };
  const close = () => {
    fulcio.server.close();
    rekor.server.close();
  };
  return { fulcio: fulcio.url, rekor: rekor.url, trustedRoot, close };
}
