/**
 * Well-Known Binary (ISO 13249 / OGC simple features) and the GeoPackage geometry blob around it
 * (GeoPackage 1.2 §2.1.3: 'GP', version, flags, srs_id, optional envelope, then WKB).
 * Hand-written: no well-kept npm package reads GeoPackage blobs without bringing a whole GIS stack
 * (wkx is unmaintained), and the four geometry types needed here are a few dozen lines.
 */
import type { Geometry } from './types.ts';

/** A blob or WKB that cannot be decoded; the caller turns it into an error naming the file and feature. */
export class WkbFormatError extends Error {}

const TYPE_NAMES: Record<number, string> = {
  1: 'Point', 2: 'LineString', 3: 'Polygon', 4: 'MultiPoint', 5: 'MultiLineString', 6: 'MultiPolygon', 7: 'GeometryCollection',
};

/** Bytes per envelope for the GeoPackage flags' envelope indicator (0 none, 1 xy, 2 xyz, 3 xym, 4 xyzm). */
const ENVELOPE_BYTES = [0, 32, 48, 48, 64];

/** Decodes a GeoPackage geometry blob; null for an empty geometry. */
export function decodeGpkgGeometry(blob: Uint8Array): Geometry | null {
  if (blob.length < 8 || blob[0] !== 0x47 || blob[1] !== 0x50) throw new WkbFormatError('not a GeoPackage geometry blob (no GP magic)');
  const flags = blob[3];
  if (flags & 0x20) throw new WkbFormatError('an extended GeoPackage geometry (a vendor extension) is not supported');
  const envelope = (flags >> 1) & 0x07;
  if (envelope >= ENVELOPE_BYTES.length) throw new WkbFormatError(`invalid envelope indicator ${envelope}`);
  if (flags & 0x10) return null;
  return decodeWkb(blob.subarray(8 + ENVELOPE_BYTES[envelope]));
}

/** Decodes WKB: Point, MultiPoint, Polygon, MultiPolygon, 2D or with Z/M (dropped); ISO and EWKB type codes. */
export function decodeWkb(wkb: Uint8Array): Geometry {
  return new Reader(wkb).geometry();
}

class Reader {
  private readonly view: DataView;
  private offset = 0;
  private little = true;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  geometry(): Geometry {
    const { type, dims } = this.header();
    switch (type) {
      case 1: return { type: 'Point', xy: this.coords(1, dims) };
      case 3: return { type: 'Polygon', rings: this.rings(dims) };
      case 4: return { type: 'MultiPoint', xy: this.multiPoint() };
      case 6: {
        const n = this.uint32();
        const polygons: Float64Array[][] = [];
        for (let i = 0; i < n; i++) {
          const part = this.header();
          if (part.type !== 3) throw new WkbFormatError(`a MultiPolygon holds a ${TYPE_NAMES[part.type] ?? part.type}`);
          polygons.push(this.rings(part.dims));
        }
        return { type: 'MultiPolygon', polygons };
      }
      default:
        throw new WkbFormatError(`${TYPE_NAMES[type] ?? `geometry type ${type}`} is not supported (only Point, MultiPoint, Polygon, MultiPolygon)`);
    }
  }

  /** Byte order and type; dims = values per vertex (2, 3 or 4). */
  private header(): { type: number; dims: number } {
    this.need(5);
    const order = this.bytes[this.offset++];
    if (order > 1) throw new WkbFormatError(`invalid WKB byte order ${order}`);
    this.little = order === 1;
    let code = this.uint32();
    let dims = 2;
    // EWKB flags (PostGIS): Z, M, SRID.
    if (code & 0x80000000) dims++;
    if (code & 0x40000000) dims++;
    if (code & 0x20000000) { this.uint32(); }
    code &= 0x0fffffff;
    // ISO: 1000 Z, 2000 M, 3000 ZM.
    const iso = Math.floor(code / 1000);
    if (iso > 3) throw new WkbFormatError(`invalid WKB geometry type ${code}`);
    dims += iso === 3 ? 2 : iso > 0 ? 1 : 0;
    return { type: code % 1000, dims };
  }

  /** n vertices of `dims` doubles, kept as x, y. */
  private coords(n: number, dims: number): Float64Array {
    this.need(n * dims * 8);
    const out = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      out[2 * i] = this.view.getFloat64(this.offset, this.little);
      out[2 * i + 1] = this.view.getFloat64(this.offset + 8, this.little);
      this.offset += dims * 8;
    }
    return out;
  }

  private rings(dims: number): Float64Array[] {
    const n = this.uint32();
    const rings: Float64Array[] = [];
    for (let i = 0; i < n; i++) rings.push(this.coords(this.uint32(), dims));
    return rings;
  }

  /** A MultiPoint's points, concatenated. */
  private multiPoint(): Float64Array {
    const n = this.uint32();
    const out = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const part = this.header();
      if (part.type !== 1) throw new WkbFormatError(`a MultiPoint holds a ${TYPE_NAMES[part.type] ?? part.type}`);
      out.set(this.coords(1, part.dims), 2 * i);
    }
    return out;
  }

  private uint32(): number {
    this.need(4);
    const v = this.view.getUint32(this.offset, this.little);
    this.offset += 4;
    return v;
  }

  private need(bytes: number): void {
    if (this.offset + bytes > this.bytes.length) throw new WkbFormatError('the WKB ends early');
  }
}

/** A GeoPackage blob for a 2D point: little-endian header without envelope (GeoPackage recommends none for points), ISO WKB. */
export function encodeGpkgPoint(x: number, y: number, srsId: number): Uint8Array {
  const out = new Uint8Array(8 + 21);
  const v = new DataView(out.buffer);
  out[0] = 0x47; out[1] = 0x50; out[2] = 0; // version 0 = GeoPackage 1.x
  out[3] = 0x01; // little-endian header, no envelope, not empty, standard
  v.setInt32(4, srsId, true);
  out[8] = 1;
  v.setUint32(9, 1, true);
  v.setFloat64(13, x, true);
  v.setFloat64(21, y, true);
  return out;
}

/** ISO WKB of a 2D geometry, little-endian; polygon rings are written closed (the first vertex repeated when it is not already last). */
export function encodeWkb(g: Geometry): Uint8Array {
  const closed = (ring: Float64Array): Float64Array => {
    const n = ring.length;
    if (n >= 2 && (ring[0] !== ring[n - 2] || ring[1] !== ring[n - 1])) {
      const c = new Float64Array(n + 2);
      c.set(ring);
      c[n] = ring[0]!; c[n + 1] = ring[1]!;
      return c;
    }
    return ring;
  };
  const polygonRings = (rings: readonly Float64Array[]) => rings.map(closed);
  const parts: (readonly Float64Array[])[] = g.type === 'Polygon' ? [polygonRings(g.rings)] : g.type === 'MultiPolygon' ? g.polygons.map(polygonRings) : [];
  const polygonBytes = (rings: readonly Float64Array[]) => 9 + rings.reduce((a, r) => a + 4 + r.length * 8, 0);
  const size = g.type === 'Point' ? 21 : g.type === 'MultiPoint' ? 9 + (g.xy.length / 2) * 21
    : g.type === 'Polygon' ? polygonBytes(parts[0]!) : 9 + parts.reduce((a, p) => a + polygonBytes(p), 0);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  let o = 0;
  const header = (type: number, count?: number) => {
    out[o] = 1; v.setUint32(o + 1, type, true); o += 5;
    if (count !== undefined) { v.setUint32(o, count, true); o += 4; }
  };
  const xy = (x: number, y: number) => { v.setFloat64(o, x, true); v.setFloat64(o + 8, y, true); o += 16; };
  const polygon = (rings: readonly Float64Array[]) => {
    header(3, rings.length);
    for (const r of rings) {
      v.setUint32(o, r.length / 2, true); o += 4;
      for (let i = 0; i < r.length; i += 2) xy(r[i]!, r[i + 1]!);
    }
  };
  switch (g.type) {
    case 'Point': header(1); xy(g.xy[0]!, g.xy[1]!); break;
    case 'MultiPoint':
      header(4, g.xy.length / 2);
      for (let i = 0; i < g.xy.length; i += 2) { header(1); xy(g.xy[i]!, g.xy[i + 1]!); }
      break;
    case 'Polygon': polygon(parts[0]!); break;
    case 'MultiPolygon': header(6, parts.length); parts.forEach(polygon); break;
  }
  return out;
}

/**
 * A GeoPackage blob for any 2D geometry: little-endian header, no envelope for a point (as GeoPackage
 * recommends), an xy envelope otherwise (what GDAL writes, and what readers use to skip features).
 */
export function encodeGpkgGeometry(g: Geometry, srsId: number): Uint8Array {
  if (g.type === 'Point') return encodeGpkgPoint(g.xy[0]!, g.xy[1]!, srsId);
  const wkb = encodeWkb(g);
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  const rings = g.type === 'MultiPoint' ? [g.xy] : g.type === 'Polygon' ? g.rings : g.polygons.flat();
  for (const r of rings) {
    for (let i = 0; i < r.length; i += 2) {
      x0 = Math.min(x0, r[i]!); x1 = Math.max(x1, r[i]!); y0 = Math.min(y0, r[i + 1]!); y1 = Math.max(y1, r[i + 1]!);
    }
  }
  const out = new Uint8Array(8 + 32 + wkb.length);
  const v = new DataView(out.buffer);
  out[0] = 0x47; out[1] = 0x50; out[2] = 0;
  out[3] = 0x01 | (1 << 1); // little-endian, envelope [minx, maxx, miny, maxy]
  v.setInt32(4, srsId, true);
  v.setFloat64(8, x0, true); v.setFloat64(16, x1, true); v.setFloat64(24, y0, true); v.setFloat64(32, y1, true);
  out.set(wkb, 40);
  return out;
}
