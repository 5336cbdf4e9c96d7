/**
 * MAT v5/v7 files: list and read variables as typed arrays, write numeric arrays, and convert
 * MATLAB's column-major layout to the pipeline's row-major ones.
 */
export { describeVariables, listMatVariables, openMatFile, readMatChar, readMatNumeric, readMatStored } from './reader.ts';
export type { MatFileIndex } from './reader.ts';
export { writeMatV5 } from './writer.ts';
export type { MatWriteOptions, MatWriteResult, MatWriteVariable } from './writer.ts';
export { columnMajorToBIP, columnMajorToLabels } from './layout.ts';
export type { LabelConversion, LabelProblem } from './layout.ts';
export type { MatHeader } from './header.ts';
export type {
  MatClass, MatNumericArray, MatNumericClass, MatStoredArray, MatTypedArray, MatVariableInfo, MiType,
} from './types.ts';
