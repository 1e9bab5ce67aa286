#!/usr/bin/env node
// The `oem` command. The TypeScript sources are compiled to dist/ by `npm ci` (prepare) and `npm run build`.
import '../dist/src/cli/oem.js';
