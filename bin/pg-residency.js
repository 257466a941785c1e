#!/usr/bin/env node
import { buildCli } from '../dist/cli/buildCli.js';
import { quietOnBrokenPipe } from '../dist/cli/quietPipe.js';

process.exitCode = await buildCli({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: quietOnBrokenPipe(process.stdout),
  stderr: quietOnBrokenPipe(process.stderr),
});
