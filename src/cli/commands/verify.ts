import type { CommandModule } from 'yargs';
import { loadConfig } from '../../config/loadConfig.js';
import { verifyFleet } from '../../verify/verifyFleet.js';

interface Args {
  config: string;
}

export const verifyCommand: CommandModule<object, Args> = {
  command: 'verify',
  describe: 'Check that every region holds the same directory and each personal row only in its owner; exit 1 on any difference',
  builder: (y) => y.example('$0 verify', 'after an incident: find partly committed writes') as never,
  handler: async (argv) => {
    const config = await loadConfig(argv.config, process.env);
    const result = await verifyFleet(config, process.env);
    for (const error of result.unreachable) console.log(`unreachable: ${error.message}`);
    for (const i of result.inconsistencies) console.log(`${i.entity} ${i.key}: ${i.problem}`);
    for (const [entity, n] of Object.entries(result.checked))
      console.log(
        `${entity}: ${n} directory rows compared, ${result.inconsistencies.filter((i) => i.entity === entity).length} problem(s)`,
      );
    if (result.unreachable.length > 0 || result.inconsistencies.length > 0) process.exitCode = 1;
  },
};
