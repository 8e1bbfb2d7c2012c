#!/usr/bin/env node
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const bundle = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(bundle)) {
  process.stderr.write("spright-lens: the CLI is not built yet. Run 'npm run build' (npm ci does it for you) in " + path.dirname(__dirname) + '\n');
  process.exit(2);
}
require(bundle).runProcess();
