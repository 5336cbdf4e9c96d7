/**
 * A small builder for ONNX graphs (opset 13) and their serialisation to a ModelProto, the bytes
 * onnxruntime loads. Field numbers are those of onnx/onnx.proto.
 */
import { ProtoWriter } from './protobuf.ts';

export const ONNX_OPSET = 13;
/** ONNX IR version 7 goes with opset 13. */
const IR_VERSION = 7;

const enum DataType {
  Float = 1,
  Uint8 = 2,
  Int8 = 3,
  Int32 = 6,
  Int64 = 7,
}

const enum AttrType {
  Float = 1,
  Int = 2,
  String = 3,
  Ints = 7,
}

/** Attribute values: a number is an int unless listed in `floats`, an array is a list of ints. */
export type Attr = number | number[] | { float: number } | { string: string };

interface Node {
  op: string;
  /** Operator set domain; '' is ONNX's own. */
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attr>;
}

interface Initializer {
  name: string;
  dims: number[];
  data: Float32Array | BigInt64Array | Uint8Array | Int8Array | Int32Array;
}

export class OnnxGraph {
  private readonly nodes: Node[] = [];
  private readonly initializers: Initializer[] = [];
  private counter = 0;

  /** `inputs`: the graph's float32 inputs, with their shapes (a string names a dimension left free). */
  constructor(
    readonly inputs: { name: string; shape: (number | string)[] }[],
    private readonly producer: string,
  ) {}

  /** A fresh tensor name with the given stem. */
  name(stem: string): string {
    return `${stem}_${this.counter++}`;
  }

  /** A float32 constant; returns its name. */
  constant(stem: string, data: Float32Array, dims: number[]): string {
    const name = this.name(stem);
    this.initializers.push({ name, dims, data: Float32Array.from(data) });
    return name;
  }

  /** An int64 constant (Slice bounds, Reshape shapes); returns its name. */
  int64s(stem: string, values: number[]): string {
    const name = this.name(stem);
    this.initializers.push({ name, dims: [values.length], data: BigInt64Array.from(values, (v) => BigInt(v)) });
    return name;
  }

  /** An int8, uint8 or int32 constant (quantized weights, zero points, quantized biases); returns its name. */
  integers(stem: string, data: Int8Array | Uint8Array | Int32Array, dims: number[]): string {
    const name = this.name(stem);
    this.initializers.push({ name, dims, data: data.slice() });
    return name;
  }

  /** Adds a float32 graph input (a string names a dimension left free); returns its name. */
  input(name: string, shape: (number | string)[]): string {
    this.inputs.push({ name, shape });
    return name;
  }

  /** Adds a node with one output; returns the output's name. */
  op(op: string, inputs: string[], attrs: Record<string, Attr> = {}): string {
    return this.opN(op, inputs, 1, attrs)[0]!;
  }

  /** Adds a node with `count` outputs (MaxPool's values and indices); returns their names. */
  opN(op: string, inputs: string[], count: number, attrs: Record<string, Attr> = {}, domain = ''): string[] {
    const outputs = Array.from({ length: count }, () => this.name(op.toLowerCase()));
    this.nodes.push({ op, inputs, outputs, attrs, domain });
    return outputs;
  }

  /** A node of another operator set (onnxruntime's contrib ops: 'com.microsoft.nchwc'), version 1. */
  opD(op: string, inputs: string[], domain: string, attrs: Record<string, Attr> = {}): string {
    return this.opN(op, inputs, 1, attrs, domain)[0]!;
  }

  /** Serialises the graph with the given outputs (name, element type, shape) as a ModelProto. */
  serialize(outputs: { name: string; type: 'float32' | 'int64'; shape: (number | string)[] }[]): Uint8Array {
    const w = new ProtoWriter();
    w.int(1, IR_VERSION);
    w.string(2, this.producer);
    w.message(7, (g) => {
      for (const n of this.nodes) g.message(1, (nw) => writeNode(nw, n));
      g.string(2, 'spinalnet');
      for (const init of this.initializers) g.message(5, (t) => writeTensor(t, init));
      for (const i of this.inputs) g.message(11, (v) => writeValueInfo(v, i.name, DataType.Float, i.shape));
      for (const o of outputs) g.message(12, (v) => writeValueInfo(v, o.name, o.type === 'int64' ? DataType.Int64 : DataType.Float, o.shape));
    });
    w.message(8, (o) => o.string(1, '').int(2, ONNX_OPSET));
    for (const domain of new Set(this.nodes.map((n) => n.domain).filter((d) => d !== ''))) w.message(8, (o) => o.string(1, domain).int(2, 1));
    return w.finish();
  }
}

function writeNode(w: ProtoWriter, n: Node): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.outputs[0]!);
  w.string(4, n.op);
  if (n.domain !== '') w.string(7, n.domain);
  for (const [name, value] of Object.entries(n.attrs)) {
    w.message(5, (a) => {
      a.string(1, name);
      if (Array.isArray(value)) a.packedInts(8, value).int(20, AttrType.Ints);
      else if (typeof value === 'object' && 'string' in value) a.string(4, value.string).int(20, AttrType.String);
      else if (typeof value === 'object') a.float(2, value.float).int(20, AttrType.Float);
      else a.int(3, value).int(20, AttrType.Int);
    });
  }
}

function writeTensor(w: ProtoWriter, t: Initializer): void {
  w.packedInts(1, t.dims);
  w.int(2, elementType(t.data));
  w.string(8, t.name);
  // raw_data is little-endian, as typed arrays are on every platform Node runs on.
  w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function elementType(data: Initializer['data']): DataType {
  if (data instanceof Float32Array) return DataType.Float;
  if (data instanceof Uint8Array) return DataType.Uint8;
  if (data instanceof Int8Array) return DataType.Int8;
  if (data instanceof Int32Array) return DataType.Int32;
  return DataType.Int64;
}

function writeValueInfo(w: ProtoWriter, name: string, elemType: DataType, shape: (number | string)[]): void {
  w.string(1, name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, elemType);
      tensor.message(2, (s) => {
        for (const d of shape) s.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}
