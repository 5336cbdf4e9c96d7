/**
 * Which MAT variable is the cube and which the labels, when the user names neither: the cube is the one
 * 3-D numeric array, the labels the one 2-D numeric array of the cube's height×width. Shared by the
 * MAT v5 and v7.3 readers, so both follow the same rules.
 */
import { MatFormatError } from '../../core/errors.ts';
import { describeVariables as listVariables } from './reader.ts';
import { NUMERIC_CLASSES, type MatVariableInfo } from './types.ts';

/** Real numbers only: complex arrays and logical masks are never a cube or a label map by default. */
function isNumericVariable(v: MatVariableInfo): boolean {
  return !v.complex && v.class !== 'logical' && NUMERIC_CLASSES.has(v.class);
}

export function discoverCube(path: string, vars: readonly MatVariableInfo[], describe = listVariables): MatVariableInfo {
  const found = vars.filter((v) => isNumericVariable(v) && v.dims.length === 3);
  if (found.length === 1) return found[0];
  const problem = found.length === 0
    ? `has no 3-D numeric array to use as the cube; it holds ${describe(vars)}`
    : `has several 3-D numeric arrays: ${describe(found)}`;
  throw new MatFormatError(path, undefined, problem, 'name the cube variable with --cube-var NAME');
}

export function discoverLabels(
  path: string, vars: readonly MatVariableInfo[], grid: { height: number; width: number }, describe = listVariables,
): MatVariableInfo {
  const found = vars.filter((v) => isNumericVariable(v) && v.dims.length === 2 && v.dims[0] === grid.height && v.dims[1] === grid.width);
  if (found.length === 1) return found[0];
  const problem = found.length === 0
    ? `has no ${grid.height}×${grid.width} numeric array (the cube's size) to use as labels; it holds ${describe(vars)}`
    : `has several ${grid.height}×${grid.width} numeric arrays: ${describe(found)}`;
  throw new MatFormatError(path, undefined, problem, 'name the label-map variable with --gt-var NAME');
}
