// How every entry point (the CLI, the library, worker threads, experiment cells) starts the TypeScript
// source without a build step. Plain JavaScript: it runs before any TypeScript loader exists.
// tsx turns Node's source maps on, so that stack traces name the .ts lines; Node then reads and parses
// the map of every module as it loads, and tfjs's bundles ship megabytes of them. tfjs is therefore
// loaded first with source maps off (its frames name its compiled bundles' lines), then they are on for
// the TypeScript. The CPU time this saves at each start is in docs/performance.md.
import { register } from 'tsx/esm/api';

/** Registers tsx and loads tfjs (see above); then `import()` of a .ts file works. */
export async function startTypeScript() {
  register();
  process.setSourceMapsEnabled(false);
  await import('@tensorflow/tfjs');
  process.setSourceMapsEnabled(true);
}
