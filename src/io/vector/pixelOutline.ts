/**
 * The outline of a set of pixels as polygons whose vertices lie on pixel corners, so that burning them
 * with gdal_rasterize's default rule (pixel centre inside) gives back exactly that set: every polygon
 * edge runs along a pixel edge, half a pixel from the nearest centre on either side.
 *
 * Pixels are 4-connected: two pixels that touch only at a corner are separate polygons (they meet at
 * that vertex, which OGC simple features allow). Holes are inner rings of the polygon around them.
 * Coordinates: x = column, y = row, from the grid's top-left corner (layerToPixels' pixel space).
 */

/** One polygon per 4-connected group of set pixels: [exterior, ...holes], each ring x, y interleaved and closed. */
export function pixelsToPolygons(mask: Uint8Array, height: number, width: number): Float64Array[][] {
  const set = (r: number, c: number) => r >= 0 && c >= 0 && r < height && c < width && mask[r * width + c] !== 0;
  // Directed boundary edges with the set on their right (y down: clockwise around a lone pixel), keyed by start vertex.
  const stride = width + 1;
  const out = new Map<number, number[]>();
  const add = (x0: number, y0: number, x1: number, y1: number) => {
    const k = y0 * stride + x0;
    let list = out.get(k);
    if (!list) out.set(k, (list = []));
    list.push(y1 * stride + x1);
  };
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      if (!set(r, c)) continue;
      if (!set(r - 1, c)) add(c, r, c + 1, r);
      if (!set(r, c + 1)) add(c + 1, r, c + 1, r + 1);
      if (!set(r + 1, c)) add(c + 1, r + 1, c, r + 1);
      if (!set(r, c - 1)) add(c, r + 1, c, r);
    }
  }
  const component = components(mask, height, width);
  const exteriors = new Map<number, Float64Array>();
  const holes = new Map<number, Float64Array[]>();
  const xy = (k: number): [number, number] => [k % stride, Math.floor(k / stride)];
  for (const [start0, list0] of out) {
    while (list0.length > 0) {
      // Walk one ring: at a vertex with two ways on (two pixels touching at a corner) turn right, which
      // keeps to the pixel just walked along and so separates corner-touching pixels.
      const ring: number[] = [];
      // The first edge stays in its list until the walk comes back to take it: that closes the ring.
      const first = { from: start0, to: list0[list0.length - 1]! };
      let from = first.from;
      let to = first.to;
      for (;;) {
        ring.push(from);
        const next = out.get(to)!;
        let pick = 0;
        if (next.length > 1) {
          const [fx, fy] = xy(from);
          const [tx, ty] = xy(to);
          const [dx, dy] = [tx - fx, ty - fy];
          // Right of (dx, dy) with y down is (-dy, dx).
          pick = next.findIndex((n) => {
            const [nx, ny] = xy(n);
            return nx - tx === -dy && ny - ty === dx;
          });
          if (pick < 0) pick = 0;
        }
        const n = next[pick]!;
        if (to === first.from && n === first.to) {
          next.splice(pick, 1);
          break;
        }
        next.splice(pick, 1);
        from = to;
        to = n;
      }
      const coords = simplify(ring.map(xy));
      // The pixel on the right of the first edge belongs to the ring's group.
      const [ax, ay] = xy(first.from);
      const [bx, by] = xy(first.to);
      const [dx, dy] = [bx - ax, by - ay];
      const pc = Math.floor((ax + bx) / 2 - dy * 0.5);
      const pr = Math.floor((ay + by) / 2 + dx * 0.5);
      const group = component[pr * width + pc]!;
      // Shoelace with y down: the clockwise exterior has positive area, a hole negative.
      let area = 0;
      for (let i = 0, j = coords.length / 2 - 1; i < coords.length / 2; j = i++) area += coords[2 * j]! * coords[2 * i + 1]! - coords[2 * i]! * coords[2 * j + 1]!;
      if (area > 0) exteriors.set(group, coords);
      else {
        let h = holes.get(group);
        if (!h) holes.set(group, (h = []));
        h.push(coords);
      }
    }
  }
  return [...exteriors.keys()].sort((a, b) => a - b).map((g) => [exteriors.get(g)!, ...(holes.get(g) ?? [])]);
}

/** Drops vertices in the middle of straight runs and closes the ring. */
function simplify(points: [number, number][]): Float64Array {
  const n = points.length;
  const keep: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const [px, py] = points[(i + n - 1) % n]!;
    const [x, y] = points[i]!;
    const [nx, ny] = points[(i + 1) % n]!;
    if ((x - px) * (ny - y) - (y - py) * (nx - x) !== 0) keep.push([x, y]);
  }
  keep.push(keep[0]!);
  return Float64Array.from(keep.flat());
}

/** 4-connected group id (1…) per pixel, 0 for pixels not in the set. */
function components(mask: Uint8Array, height: number, width: number): Int32Array {
  const id = new Int32Array(height * width);
  let next = 0;
  const stack: number[] = [];
  for (let p = 0; p < mask.length; p++) {
    if (!mask[p] || id[p]) continue;
    id[p] = ++next;
    stack.push(p);
    while (stack.length > 0) {
      const q = stack.pop()!;
      const r = Math.floor(q / width), c = q % width;
      for (const n of [r > 0 ? q - width : -1, r < height - 1 ? q + width : -1, c > 0 ? q - 1 : -1, c < width - 1 ? q + 1 : -1]) {
        if (n >= 0 && mask[n] && !id[n]) {
          id[n] = next;
          stack.push(n);
        }
      }
    }
  }
  return id;
}
