import { ModelProto, ONNX_ATTR, ONNX_DTYPE } from './onnxProto.js';

export type OnnxDtype = keyof typeof ONNX_DTYPE;
/** A dimension: a size, or a symbolic name (`B`, `T`) for a dynamic one. */
export type OnnxDim = number | string;
/** An attribute value: an integer, a list of integers, or `{ float }`. */
export type OnnxAttr = number | readonly number[] | { float: number };

interface NodeSpec {
  opType: string;
  input: string[];
  output: string[];
  name: string;
  attribute: Array<Record<string, unknown>>;
}

/** A value's type; without `dims` its shape is left to onnxruntime's inference (any rank). */
const valueInfo = (name: string, dtype: OnnxDtype, dims?: readonly OnnxDim[]) => ({
  name,
  type: { tensorType: { elemType: ONNX_DTYPE[dtype], ...(dims ? { shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } : {}) } },
});

/**
 * Builds an ONNX inference graph (opset 17) node by node: named inputs and outputs, weights as
 * initializers (raw little-endian bytes), and ops whose outputs get fresh names. `toBytes()` gives
 * the serialised ModelProto that onnxruntime's `InferenceSession.create` takes.
 */
export class OnnxGraph {
  readonly #nodes: NodeSpec[] = [];
  readonly #inits: Array<Record<string, unknown>> = [];
  readonly #inputs: Array<ReturnType<typeof valueInfo>> = [];
  readonly #outputs: Array<ReturnType<typeof valueInfo>> = [];
  readonly #consts = new Map<string, string>();
  #n = 0;

  /**
   * @param options.weightsAsInputs `weight()` declares a graph input of that name (once) instead of
   *   an initializer: a graph over weights that change between runs (model tuning)
   */
  constructor(
    readonly name: string,
    private readonly options: { weightsAsInputs?: boolean } = {},
  ) {}

  /** True when weights are graph inputs (see the constructor). */
  get weightsAsInputs(): boolean {
    return this.options.weightsAsInputs === true;
  }

  /** A graph input; `dims` undefined leaves its shape open. */
  input(name: string, dtype: OnnxDtype, dims?: readonly OnnxDim[]): string {
    this.#inputs.push(valueInfo(name, dtype, dims));
    return name;
  }

  /** Declares `value` (a node output) as the graph output `name` (through an Identity node); `dims` undefined leaves its shape open. */
  output(name: string, value: string, dtype: OnnxDtype, dims?: readonly OnnxDim[]): void {
    this.#nodes.push({ opType: 'Identity', input: [value], output: [name], name: `out_${name}`, attribute: [] });
    this.#outputs.push(valueInfo(name, dtype, dims));
  }

  /** A weight (float32 or int32 data) as an initializer, or as an input named `name` when weights are inputs; returns its name. */
  weight(name: string, data: Float32Array | Int32Array, dims: readonly number[]): string {
    if (this.options.weightsAsInputs) {
      if (!this.#inputs.some((i) => i.name === name)) this.input(name, data instanceof Float32Array ? 'float32' : 'int32', dims);
      return name;
    }
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.#inits.push({ name, dims, dataType: data instanceof Float32Array ? ONNX_DTYPE.float32 : ONNX_DTYPE.int32, rawData: bytes });
    return name;
  }

  /** A small int64 constant (shapes, axes, indices), shared by value. */
  ints(values: readonly number[]): string {
    const key = `i64:${values.join(',')}`;
    let name = this.#consts.get(key);
    if (!name) {
      name = `const_${this.#consts.size}`;
      const data = new BigInt64Array(values.map((v) => BigInt(v)));
      this.#inits.push({ name, dims: [values.length], dataType: ONNX_DTYPE.int64, rawData: new Uint8Array(data.buffer) });
      this.#consts.set(key, name);
    }
    return name;
  }

  /** A float32 scalar constant (shape []), shared by value. */
  scalar(value: number): string {
    const key = `f32:${value}`;
    let name = this.#consts.get(key);
    if (!name) {
      name = `const_${this.#consts.size}`;
      this.#inits.push({ name, dims: [], dataType: ONNX_DTYPE.float32, rawData: new Uint8Array(new Float32Array([value]).buffer) });
      this.#consts.set(key, name);
    }
    return name;
  }

  /** One op; returns its single output's name. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, OnnxAttr> = {}): string {
    return this.opN(opType, inputs, 1, attrs)[0]!;
  }

  /** One op with `outputs` outputs; returns their names. */
  opN(opType: string, inputs: readonly string[], outputs: number, attrs: Record<string, OnnxAttr> = {}): string[] {
    const id = this.#n++;
    const out = Array.from({ length: outputs }, (_, i) => `${opType.toLowerCase()}_${id}${outputs > 1 ? `_${i}` : ''}`);
    const attribute = Object.entries(attrs).map(([name, v]) =>
      typeof v === 'number' ? { name, type: ONNX_ATTR.int, i: v } : Array.isArray(v) ? { name, type: ONNX_ATTR.ints, ints: v } : { name, type: ONNX_ATTR.float, f: (v as { float: number }).float },
    );
    this.#nodes.push({ opType, input: [...inputs], output: out, name: `${opType}_${id}`, attribute });
    return out;
  }

  /** The serialised model (ONNX IR 8, opset 17). */
  toBytes(): Uint8Array {
    const model = ModelProto.create({
      irVersion: 8,
      producerName: 'panda',
      opsetImport: [{ domain: '', version: 17 }],
      graph: { name: this.name, node: this.#nodes, initializer: this.#inits, input: this.#inputs, output: this.#outputs },
    });
    return ModelProto.encode(model).finish();
  }
}
