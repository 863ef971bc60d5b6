#!/usr/bin/env node
// The `northstar` bin: a shim so the CLI runs straight from TypeScript. All logic lives in northstar.ts.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// Our tsconfig, not whatever tsconfig.json sits in the caller's working directory.
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });

// The AWS SDK warns on Node 20, on every run that reaches S3 code, that its releases after January
// 2027 will need Node 22: eight lines on stderr a pipeline's user cannot act on, since our
// lockfile pins the SDK (the upgrade is ours, README "Not yet"). Set it to "false" to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

try {
  await import('./northstar.ts');
} catch (err) {
  // Only a broken install or a syntax error in our own sources ends up here: still no stack trace.
  process.stderr.write(`northstar: ${err instanceof Error ? err.message : String(err)}\n`);
  if (process.env.NORTHSTAR_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exitCode = 1;
}
