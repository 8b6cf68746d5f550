// Serves @sigstore/mock's Fulcio and Rekor on free 127.0.0.1 ports until stdin closes or
// the process is killed, for portcullis' keyless commit signing test
// (crates/portcullis-gitops/tests/sign_keyless.rs).
//
// Prints one JSON line on stdout when ready:
//   {"fulcio": URL, "rekor": URL, "trustedRoot": <trusted_root.json object>}
// The trusted root is built as sign.mjs builds it (the mock's CA, Rekor key and CT log key,
// valid from 2020-01-01).
//
// Usage: node serve.mjs

import { startMock } from './mock.mjs';

const mock = await startMock();

const stop = () => {
  mock.close();
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.on('SIGTERM', stop);
process.stdin.resume();

console.log(JSON.stringify({ fulcio: mock.fulcio, rekor: mock.rekor, trustedRoot: mock.trustedRoot }));
