/**
 * MAT v5/v7 files: list and read variables as typed arrays (within a memory bound), summarise them
 * for `inspect`, write numeric arrays, and convert MATLAB's column-major layout to the pipeline's
 * row-major ones.
 */
export { describeVariables, listMatVariables, openMatFile, readMatChar, readMatNumeric, readMatStored, storedBytes } from './reader.ts';
export type { MatFileIndex, MatReadOptions } from './reader.ts';
export { formatInspection, inspectMatFile, valueRange } from './inspect.ts';
export type { InspectOptions, MatVariableSummary } from './inspect.ts';
export { DEFAULT_MEMORY_FRACTION, MAX_BUFFER_BYTES, checkMemory, defaultMemoryLimit, formatBytes, machineMemory } from '../../core/memory.ts';
export type { MachineMemory, MemoryRequest } from '../../core/memory.ts';
export { writeMatV5 } from './writer.ts';
export type { MatWriteOptions, MatWriteResult, MatWriteVariable } from './writer.ts';
export { columnMajorToBIP, columnMajorToLabels } from './layout.ts';
export type { LabelConversion, LabelProblem } from './layout.ts';
export type { MatHeader } from './header.ts';
export type {
  MatClass, MatNumericArray, MatNumericClass, MatStoredArray, MatTypedArray, MatVariableInfo, MiType,
} from './types.ts';
