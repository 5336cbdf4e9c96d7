// The map panes: one canvas per run, layers drawn from off-screen canvases at exact pixels (no
// smoothing), one shared view (zoom, pan, cursor) so two runs stay linked. Plain canvas: the layers are
// small rasters and the only operations are scale, translate and alpha.

/** Off-screen canvas of an H×W raster filled by `colorOf(p)` → [r, g, b, a] or null (transparent). */
export function rasterCanvas(height, width, colorOf) {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(width, height);
  for (let p = 0; p < height * width; p++) {
    const c = colorOf(p);
    if (!c) continue;
    img.data[4 * p] = c[0];
    img.data[4 * p + 1] = c[1];
    img.data[4 * p + 2] = c[2];
    img.data[4 * p + 3] = c[3] ?? 255;
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}

export class MapViews {
  /**
   * @param {number} height scene rows
   * @param {number} width scene columns
   * @param {{onHover: Function, onClick: Function, onRect?: Function}} hooks: onHover({row, col} or null),
   *   onClick(row, col, pane index, {x, y} the scene position, x = column, y = row, fractional),
   *   onRect({row0, col0, row1, col1}) when a rectangle is dragged with the 'rect' tool
   */
  constructor(height, width, hooks) {
    this.height = height;
    this.width = width;
    this.hooks = hooks;
    this.panes = [];
    this.view = { scale: 1, ox: 0, oy: 0 };
    this.cursor = null;
    this.marker = null;
    this.fitted = false;
    /** null: drag pans; 'rect': drag selects a rectangle of pixels. */
    this.tool = null;
    /** The rectangle being dragged, and a polygon being drawn ([[x, y], …] in scene pixels). */
    this.selection = null;
    this.sketch = null;
    /** Pixels to point out (the suggestions of where to label next): [{row, col, label}], boxed in cyan with their label. */
    this.spots = null;
  }

  /** Adds a pane: `layers()` returns [{canvas, opacity, on}] in drawing order, read at every draw. */
  addPane(canvas, layers) {
    const pane = { canvas, layers };
    this.panes.push(pane);
    let drag = null;
    canvas.addEventListener('wheel', (e) => {
      e.preventDefault();
      const { x, y } = this.local(canvas, e);
      const factor = e.deltaY < 0 ? 1.25 : 0.8;
      const v = this.view;
      const scale = Math.min(64, Math.max(0.05, v.scale * factor));
      v.ox = x - ((x - v.ox) * scale) / v.scale;
      v.oy = y - ((y - v.oy) * scale) / v.scale;
      v.scale = scale;
      this.draw();
    }, { passive: false });
    canvas.addEventListener('pointerdown', (e) => {
      drag = { x: e.clientX, y: e.clientY, ox: this.view.ox, oy: this.view.oy, moved: false };
      if (this.tool === 'rect') {
        const px = this.pixelAt(canvas, e);
        drag.rect = px ? { row0: px.row, col0: px.col, row1: px.row, col1: px.col } : null;
        this.selection = drag.rect;
      }
      canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (drag?.rect) {
        const px = this.pixelAt(canvas, e, true);
        if (px && (px.row !== drag.rect.row1 || px.col !== drag.rect.col1)) {
          drag.rect.row1 = px.row;
          drag.rect.col1 = px.col;
          this.draw();
        }
        this.setCursor(this.pixelAt(canvas, e));
        return;
      }
      if (drag) {
        const dx = (e.clientX - drag.x) * this.ratio(canvas);
        const dy = (e.clientY - drag.y) * this.ratio(canvas);
        if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
        if (drag.moved) {
          this.view.ox = drag.ox + dx;
          this.view.oy = drag.oy + dy;
          this.draw();
          return;
        }
      }
      this.setCursor(this.pixelAt(canvas, e));
    });
    canvas.addEventListener('pointerup', (e) => {
      const rect = drag?.rect;
      const clicked = drag && !drag.moved;
      drag = null;
      if (rect) {
        this.selection = null;
        this.draw();
        this.hooks.onRect?.(rect);
        return;
      }
      if (clicked) {
        const px = this.pixelAt(canvas, e);
        if (px) this.hooks.onClick(px.row, px.col, this.panes.indexOf(pane), this.scenePoint(canvas, e));
      }
    });
    canvas.addEventListener('pointerleave', () => {
      if (!drag) this.setCursor(null);
    });
    new ResizeObserver(() => this.draw()).observe(canvas);
    return pane;
  }

  setCursor(px) {
    const same = px && this.cursor && px.row === this.cursor.row && px.col === this.cursor.col;
    if (same || (!px && !this.cursor)) return;
    this.cursor = px;
    this.hooks.onHover(px);
    this.draw();
  }

  /** Canvas pixels per CSS pixel. */
  ratio(canvas) {
    return canvas.width / Math.max(1, canvas.clientWidth);
  }

  local(canvas, e) {
    const r = canvas.getBoundingClientRect();
    const k = this.ratio(canvas);
    return { x: (e.clientX - r.left) * k, y: (e.clientY - r.top) * k };
  }

  /** The pixel under the pointer; null off the scene, or (clamp) the nearest edge pixel. */
  pixelAt(canvas, e, clamp = false) {
    const { x, y } = this.scenePoint(canvas, e);
    let col = Math.floor(x);
    let row = Math.floor(y);
    if (clamp) {
      col = Math.min(this.width - 1, Math.max(0, col));
      row = Math.min(this.height - 1, Math.max(0, row));
    }
    return row >= 0 && col >= 0 && row < this.height && col < this.width ? { row, col } : null;
  }

  /** The pointer's position in scene pixels (x = column, y = row, fractional). */
  scenePoint(canvas, e) {
    const { x, y } = this.local(canvas, e);
    return { x: (x - this.view.ox) / this.view.scale, y: (y - this.view.oy) / this.view.scale };
  }

  /** Where the centre of (row, col) is on the page (client coordinates) in pane `i`. */
  clientPoint(i, row, col) {
    const canvas = this.panes[i].canvas;
    const r = canvas.getBoundingClientRect();
    const k = this.ratio(canvas);
    return { x: r.left + (this.view.ox + (col + 0.5) * this.view.scale) / k, y: r.top + (this.view.oy + (row + 0.5) * this.view.scale) / k };
  }

  /** Zooms so the scene fills the panes. */
  fit() {
    const c = this.panes[0]?.canvas;
    if (!c || c.clientWidth === 0) return;
    this.sizeCanvases();
    const scale = Math.min(c.width / this.width, c.height / this.height);
    this.view = { scale, ox: (c.width - scale * this.width) / 2, oy: (c.height - scale * this.height) / 2 };
    this.fitted = true;
  }

  /** Puts (row, col) in the middle of the panes, at least `minScale` screen pixels per scene pixel, and marks it. */
  centreOn(row, col, minScale = 8) {
    const c = this.panes[0].canvas;
    const v = this.view;
    v.scale = Math.max(v.scale, minScale);
    v.ox = c.width / 2 - (col + 0.5) * v.scale;
    v.oy = c.height / 2 - (row + 0.5) * v.scale;
    this.marker = { row, col };
    this.cursor = { row, col };
    this.hooks.onHover(this.cursor);
    this.draw();
  }

  sizeCanvases() {
    const dpr = window.devicePixelRatio || 1;
    for (const { canvas } of this.panes) {
      const w = Math.round(canvas.clientWidth * dpr);
      const h = Math.round(canvas.clientHeight * dpr);
      if (canvas.width !== w || canvas.height !== h) {
        canvas.width = w;
        canvas.height = h;
      }
    }
  }

  draw() {
    this.sizeCanvases();
    if (!this.fitted) this.fit();
    const { scale, ox, oy } = this.view;
    for (const pane of this.panes) {
      const ctx = pane.canvas.getContext('2d');
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, pane.canvas.width, pane.canvas.height);
      ctx.imageSmoothingEnabled = false;
      ctx.setTransform(scale, 0, 0, scale, ox, oy);
      for (const layer of pane.layers()) {
        if (!layer.on || !layer.canvas) continue;
        ctx.globalAlpha = layer.opacity;
        ctx.drawImage(layer.canvas, 0, 0);
      }
      ctx.globalAlpha = 1;
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      const box = (px, color, grow) => {
        if (!px) return;
        ctx.strokeStyle = color;
        ctx.lineWidth = 2;
        const s = Math.max(scale, 3);
        ctx.strokeRect(ox + px.col * scale - grow, oy + px.row * scale - grow, s + 2 * grow, s + 2 * grow);
      };
      if (this.spots?.length) {
        ctx.font = '12px system-ui, sans-serif';
        ctx.fillStyle = '#00e5ff';
        for (const s of this.spots) {
          box(s, '#00e5ff', 3);
          if (scale >= 4) ctx.fillText(s.label, ox + (s.col + 1) * scale + 4, oy + s.row * scale);
        }
      }
      box(this.marker, '#ff00ff', 4);
      box(this.cursor, '#ffffff', 1);
      const sel = this.selection;
      if (sel) {
        const [r0, r1] = [Math.min(sel.row0, sel.row1), Math.max(sel.row0, sel.row1)];
        const [c0, c1] = [Math.min(sel.col0, sel.col1), Math.max(sel.col0, sel.col1)];
        ctx.strokeStyle = '#ffeb3b';
        ctx.lineWidth = 2;
        ctx.strokeRect(ox + c0 * scale, oy + r0 * scale, (c1 - c0 + 1) * scale, (r1 - r0 + 1) * scale);
      }
      if (this.sketch?.length) {
        ctx.strokeStyle = '#ffeb3b';
        ctx.lineWidth = 2;
        ctx.beginPath();
        this.sketch.forEach(([x, y], i) => (i ? ctx.lineTo(ox + x * scale, oy + y * scale) : ctx.moveTo(ox + x * scale, oy + y * scale)));
        ctx.stroke();
        for (const [x, y] of this.sketch) ctx.fillRect(ox + x * scale - 2, oy + y * scale - 2, 4, 4);
      }
    }
  }
}
