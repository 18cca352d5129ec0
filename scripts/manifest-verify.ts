// Verifies a signed manifest as a desktop client would:
// `npm run manifest:verify -- FILE --keys FILE_OR_URL [--channel C] [--last-version N | --state FILE]`.
// Exit 0 accepted (one JSON line on stdout), 1 rejected (reason code on stderr), 2 usage or I/O error.
import { runManifestVerify } from '../shared/signing/verify-cli.js';

process.exitCode = await runManifestVerify(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
