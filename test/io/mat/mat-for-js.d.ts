/** The part of mat-for-js (untyped JS) the reader tests use as an independent cross-check. */
declare module 'mat-for-js' {
  /** Parses a whole MAT v5 file into nested JS arrays (matrices as rows of columns). */
  export function read(buffer: ArrayBuffer): { header: string; data: Record<string, unknown> };
}
