/** `spinalnet backends`: the engines this machine has, and how to get the missing ones (src/cli/engines.ts). */
import { formatEngines, listEngines } from './engines.ts';
import { parse } from './args.ts';

export const BACKENDS_HELP = `usage: spinalnet backends [--json]

Lists every compute engine spinalnet can use: onnxruntime (native CPU gradients and maps), webgpu (Dawn,
with each adapter it finds; a software adapter such as SwiftShader is used only when asked for with
--backend webgpu), tfjs-node(-gpu), wasm (with its threads) and cpu; for each missing one, why and how to
get it.

  --json   the same as JSON`;

export async function backendsCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values: v } = parse(argv, { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } }, 'backends');
  if (v.help) {
    out(BACKENDS_HELP);
    return 0;
  }
  const reports = await listEngines();
  if (v.json) out(JSON.stringify(reports, null, 2));
  else for (const line of formatEngines(reports)) out(line);
  return 0;
}
