/**
 * The 128-byte MAT v5 header: descriptive text, subsystem offset, version and endian indicator. Also
 * recognises, to refuse them with a clear message, the formats people most often hand us instead:
 * MAT v7.3 (HDF5 inside) and MAT v4 (no text header at all).
 */
import { MatFormatError } from '../../core/errors.ts';

export const HEADER_BYTES = 128;
/** A v7.3 file keeps a 512-byte MATLAB header and then starts an HDF5 file. */
const HDF5_OFFSET = 512;
const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface MatHeader {
  /** The descriptive text ("MATLAB 5.0 MAT-file, Platform: …"), trailing blanks removed. */
  readonly text: string;
  /** True when the file was written little-endian ('IM' indicator), the usual case. */
  readonly littleEndian: boolean;
  /** Byte offset of the subsystem data element (MATLAB objects), or undefined when there is none. */
  readonly subsystemOffset: number | undefined;
}

const RESAVE_FIX =
  "re-save it as MAT v7 (v5 format): in MATLAB `save(FILE, VAR, '-v7')`, in Python `scipy.io.savemat(FILE, {VAR: array})`";

/**
 * Parses the header from the first bytes of a file. `head` holds the first min(fileSize, 520) bytes so
 * that the HDF5 signature of a v7.3 file can be seen too.
 */
export function parseMatHeader(file: string, head: Buffer, fileSize: number): MatHeader {
  const text = head.subarray(0, Math.min(116, head.length)).toString('latin1');
  const hdf5 = head.length >= HDF5_OFFSET + 8 && head.subarray(HDF5_OFFSET, HDF5_OFFSET + 8).equals(HDF5_SIGNATURE);
  if (text.startsWith('MATLAB 7.3') || hdf5) {
    throw new MatFormatError(
      file, undefined,
      'this is a MAT v7.3 file, which is an HDF5 file inside; only MAT v5/v7 files (the format before v7.3) can be read',
      RESAVE_FIX,
    );
  }
  if (head.length >= 4 && head.subarray(0, 4).includes(0) && looksLikeV4(head)) {
    throw new MatFormatError(
      file, undefined, 'this is a MAT v4 file (the format of MATLAB 4 and of `save -v4`), which is not supported',
      RESAVE_FIX,
    );
  }
  if (fileSize < HEADER_BYTES) {
    throw new MatFormatError(
      file, undefined,
      `is ${fileSize} bytes long, shorter than the 128-byte header of a MAT v5 file: it is truncated or not a MAT file`,
      'check that the file was copied or downloaded completely, and that it is a .mat file',
    );
  }
  const indicator = head.toString('latin1', 126, 128);
  if (indicator !== 'IM' && indicator !== 'MI') {
    throw new MatFormatError(
      file, undefined,
      `is not a MAT v5 file: bytes 126-127 should be the endian indicator 'IM' or 'MI', found ${JSON.stringify(indicator)}`,
      `check that the path points at a .mat file; if it is one, ${RESAVE_FIX}`,
    );
  }
  const littleEndian = indicator === 'IM';
  const version = littleEndian ? head.readUInt16LE(124) : head.readUInt16BE(124);
  if (version === 0x0200) {
    throw new MatFormatError(
      file, undefined,
      'this is a MAT v7.3 file (header version 0x0200), which is an HDF5 file inside; only MAT v5/v7 files can be read',
      RESAVE_FIX,
    );
  }
  if (version !== 0x0100) {
    throw new MatFormatError(
      file, undefined, `has MAT header version 0x${version.toString(16).padStart(4, '0')}; only 0x0100 (MAT v5/v7) is known`,
      RESAVE_FIX,
    );
  }
  return { text: text.replace(/[\s\0]+$/, ''), littleEndian, subsystemOffset: readSubsystemOffset(head, littleEndian) };
}

/** Bytes 116-123: all blanks or all zeros mean "no subsystem data". */
function readSubsystemOffset(head: Buffer, littleEndian: boolean): number | undefined {
  const raw = head.subarray(116, 124);
  if (raw.every((b) => b === 0x20) || raw.every((b) => b === 0)) return undefined;
  const value = littleEndian ? head.readBigUInt64LE(116) : head.readBigUInt64BE(116);
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
}

/**
 * A MAT v4 file starts with five int32: type MOPT (M: 0 little / 1 big endian…, O: 0, P: 0-5,
 * T: 0-2), rows, columns, imaginary flag and name length, then a NUL-terminated name. Checking all of
 * them keeps a random binary file from being called v4.
 */
function looksLikeV4(head: Buffer): boolean {
  if (head.length < 20) return false;
  for (const le of [true, false]) {
    const at = (o: number) => (le ? head.readInt32LE(o) : head.readInt32BE(o));
    const mopt = at(0), rows = at(4), cols = at(8), imag = at(12), namlen = at(16);
    if (mopt < 0 || mopt >= 5000) continue;
    const m = Math.floor(mopt / 1000), o = Math.floor(mopt / 100) % 10, p = Math.floor(mopt / 10) % 10, t = mopt % 10;
    if (m > 4 || o !== 0 || p > 5 || t > 2) continue;
    if (rows < 0 || cols < 0 || (imag !== 0 && imag !== 1) || namlen < 1 || namlen > 4096) continue;
    if (20 + namlen <= head.length && head[20 + namlen - 1] !== 0) continue;
    return true;
  }
  return false;
}
