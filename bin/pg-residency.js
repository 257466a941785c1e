#!/usr/bin/env node
import { buildCli } from '../dist/cli/buildCli.js';

process.exitCode = await buildCli({ argv: process.argv.slice(2), env: process.env, stdout: process.stdout, stderr: process.stderr });
