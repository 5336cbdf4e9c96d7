// Entry of an experiment cell process. Plain JavaScript because a forked process starts without the
// parent's TypeScript loader (the CLI registers tsx in-process): register tsx here, then load the cell runner.
import { register } from 'tsx/esm/api';

register();
await import('./cellProcess.ts');
