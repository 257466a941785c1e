import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { loadConfig } from '../../config/loadConfig.js';
import { runDemo } from '../../demo/runDemo.js';
import { loadTemplates } from '../../render/loadTemplates.js';
import { nodeGeneratedFs } from '../../render/nodeGeneratedFs.js';

interface Args {
  config: string;
  'state-dir': string;
  dir: string;
}

export const demoCommand: CommandModule<object, Args> = {
  command: 'demo',
  describe: 'Start the local fleet, apply the migrations and run the seed walkthrough, then a rehome and an erase',
  builder: (y) => y.option('dir', { type: 'string', default: 'generated', describe: 'folder of the generated migrations' }) as never,
  handler: async (argv) => {
    const config = await loadConfig(argv.config, process.env);
    await runDemo({
      config,
      stateDir: resolve(argv['state-dir']),
      generatedDir: argv.dir,
      templates: await loadTemplates(),
      fs: nodeGeneratedFs,
      env: process.env,
      report: (text) => console.log(text),
    });
  },
};
