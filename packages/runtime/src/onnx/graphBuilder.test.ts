import { describe, expect, it } from 'vitest';
import { OnnxGraph } from './graphBuilder.js';
import { loadOnnxRuntime, OnnxSession } from './session.js';

const ort = await loadOnnxRuntime();

describe.skipIf(!ort)('OnnxGraph on onnxruntime-node', () => {
  it('serialises a graph onnxruntime runs: dynamic batch, weights, int64 constants, attributes', async () => {
    const g = new OnnxGraph('test');
    const x = g.input('x', 'float32', ['B', 3]);
    const w = g.weight('w', new Float32Array([1, 2, 3, 4, 5, 6]), [3, 2]);
    const b = g.weight('b', new Float32Array([0.5, -1]), [2]);
    const y = g.op('Add', [g.op('MatMul', [x, w]), b]); // [B, 2]
    const s = g.op('Softmax', [y], { axis: -1 });
    const r = g.op('Reshape', [y, g.ints([-1])]); // [2B]
    const m = g.op('Mul', [r, g.scalar(0.25)]);
    const sum = g.op('ReduceSum', [y, g.ints([1])], { keepdims: 0 }); // [B]
    const mean = g.op('ReduceMean', [y], { axes: [0], keepdims: 1 }); // [1, 2]
    g.output('y', y, 'float32', ['B', 2]);
    g.output('s', s, 'float32', ['B', 2]);
    g.output('m', m, 'float32', ['N']);
    g.output('sum', sum, 'float32', ['B']);
    g.output('mean', mean, 'float32', [1, 2]);
    const session = await OnnxSession.create(g.toBytes());
    const out = await session.run({ x: { data: new Float32Array([1, 0, 0, 0, 1, 1]), dims: [2, 3] } });
    expect(Array.from(out.y!.data)).toEqual([1.5, 1, 8.5, 9]);
    expect(out.y!.dims).toEqual([2, 2]);
    expect(Array.from(out.m!.data)).toEqual([0.375, 0.25, 2.125, 2.25]);
    expect(Array.from(out.sum!.data)).toEqual([2.5, 17.5]);
    expect(Array.from(out.mean!.data)).toEqual([5, 5]);
    const e = Math.exp(0.5);
    expect(out.s!.data[0]).toBeCloseTo(e / (e + 1), 6);
    await session.dispose();
  });
});
