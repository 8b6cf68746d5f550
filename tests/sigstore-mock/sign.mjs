// Signs a test artifact keylessly with sigstore-js against @sigstore/mock's Fulcio and Rekor
// served on loopback, and writes what a verifier needs into OUT_DIR:
//
//   artifact.txt                the signed bytes
//   bundle.sigstore.json        message-signature bundle (hashedrekord entry)
//   attestation.sigstore.json   DSSE bundle of an in-toto statement about artifact.txt
//                               (Rekor `intoto` entry)
//   attestation-dsse-entry.sigstore.json  the same with a Rekor `dsse` entry, which the
//                               mock logs uncanonicalized (see below)
//   trusted_root.json           the mock's CA, Rekor key and CT log key
//   identity.json               the SAN and OIDC issuer Fulcio put in the certificate
//
// Usage: node sign.mjs OUT_DIR
// Nothing leaves 127.0.0.1; no TSA (the bundle's time comes from Rekor's integrated time).

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { attest, sign } from 'sigstore';

import { startMock } from './mock.mjs';

const outDir = process.argv[2];
if (!outDir) {
  console.error('usage: node sign.mjs OUT_DIR');
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });

// The mock's Fulcio puts the token's `sub` claim in a URI SAN and its `iss` claim in the
// issuer extensions (1.3.6.1.4.1.57264.1.1 and .8); GitHub-style claims become the other
// Fulcio extensions. The token is not signed: the mock only decodes it.
const SUBJECT =
  'https://github.com/portcullis-dev/portcullis/.github/workflows/release.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';

function unsignedJwt(claims) {
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(claims)}.`;
}

const mock = await startMock();
const fulcio = { url: mock.fulcio };
const rekor = { url: mock.rekor };
const rekorURL = rekor.url;

try {
  const options = {
    fulcioURL: fulcio.url,
    rekorURL: rekor.url,
    identityToken: unsignedJwt({
      iss: ISSUER,
      sub: SUBJECT,
      aud: 'sigstore',
      email: 'release-bot@portcullis.invalid',
      email_verified: true,
      iat: Math.floor(Date.now() / 1000),
      exp: Math.floor(Date.now() / 1000) + 600,
      repository: 'portcullis-dev/portcullis',
      ref: 'refs/heads/main',
      sha: '0123456789abcdef0123456789abcdef01234567',
      workflow_ref: 'portcullis-dev/portcullis/.github/workflows/release.yml@refs/heads/main',
    }),
    retry: 0,
    timeout: 10000,
  };

  const artifact = Buffer.from('portcullis sigstore-mock test artifact\n');
  fs.writeFileSync(path.join(outDir, 'artifact.txt'), artifact);

  const bundle = await sign(artifact, options);
  fs.writeFileSync(path.join(outDir, 'bundle.sigstore.json'), JSON.stringify(bundle, null, 2));

  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [
      {
        name: 'artifact.txt',
        digest: { sha256: crypto.createHash('sha256').update(artifact).digest('hex') },
      },
    ],
    predicateType: 'https://portcullis.invalid/test-predicate/v1',
    predicate: { signedBy: 'sigstore-js against @sigstore/mock' },
  };
  // `legacyCompatibility` makes it an `intoto` v0.0.2 Rekor entry, which sigstore-js
  // proposes already in the form Rekor stores, so the mock's log entry is faithful.
  const attestation = await attest(
    Buffer.from(JSON.stringify(statement)),
    'application/vnd.in-toto+json',
    { ...options, legacyCompatibility: true }
  );
  fs.writeFileSync(
    path.join(outDir, 'attestation.sigstore.json'),
    JSON.stringify(attestation, null, 2)
  );
  // sigstore-js' default for DSSE is a Rekor `dsse` v0.0.1 entry. Real Rekor stores that
  // canonicalized (envelopeHash, payloadHash, signatures); the mock logs the proposed entry
  // (proposedContent) verbatim, so this bundle's log entry does not match the envelope.
  const attestationDsseEntry = await attest(
    Buffer.from(JSON.stringify(statement)),
    'application/vnd.in-toto+json',
    options
  );
  fs.writeFileSync(
    path.join(outDir, 'attestation-dsse-entry.sigstore.json'),
    JSON.stringify(attestationDsseEntry, null, 2)
  );

  // Report what the certificate really carries, read back from the bundle.
  // sigstore-js writes message signatures as v0.2 bundles (leaf in x509CertificateChain)
  // and DSSE ones as v0.3 (leaf in certificate).
  const material = bundle.verificationMaterial;
  const leafBytes =
    material.certificate?.rawBytes ?? material.x509CertificateChain?.certificates?.[0]?.rawBytes;
  const leaf = new crypto.X509Certificate(Buffer.from(leafBytes, 'base64'));
  const san = leaf.subjectAltName ?? '';
  const uri = /^URI:(.*)$/.exec(san)?.[1];
  if (uri !== SUBJECT) {
    throw new Error(`unexpected SAN in the mock's certificate: ${san}`);
  }
  fs.writeFileSync(
    path.join(outDir, 'identity.json'),
    JSON.stringify({ identity: uri, issuer: ISSUER }, null, 2)
  );

  fs.writeFileSync(
    path.join(outDir, 'trusted_root.json'),
    JSON.stringify(mock.trustedRoot, null, 2)
  );
  console.log(JSON.stringify({ fulcio: fulcio.url, rekor: rekorURL, identity: uri, issuer: ISSUER }));
} finally {
  mock.close();
}
