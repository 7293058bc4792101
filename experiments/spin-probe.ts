/**
 * Whether ONNX Runtime's idle intra-op threads spin: 30 short USE-Lite forwards (batch 8, 24 tokens,
 * two threads) 20 ms apart, with `session.intra_op.allow_spinning` 1 and 0, and the process's CPU
 * time for each. Spinning shows as CPU time well above the time spent in the runs.
 *   node --conditions=@panda/source --import tsx experiments/spin-probe.ts
 */
import { initBackend } from '@panda/runtime';
import { loadUseLite, type UseLiteEncoder } from '@panda/backbones';
await initBackend({ backend: 'wasm' });
const backbone = await loadUseLite();
const enc = backbone.encoder as UseLiteEncoder;
import { loadOnnxRuntime } from '@panda/runtime/onnx';
const ort = (await loadOnnxRuntime())!;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the session options' `extra` is not in the typings for Node
const ortAny = ort as any;
const model = enc.onnxModel({ prompt: false, prefix: false });
for (const spin of ['1', '0']) {
  const s = await ortAny.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 2, interOpNumThreads: 1, graphOptimizationLevel: 'all', extra: { session: { intra_op: { allow_spinning: spin } } } });
  const ids = new ortAny.Tensor('int32', new Int32Array(8 * 24).fill(100), [8, 24]);
  const mask = new ortAny.Tensor('float32', new Float32Array(8 * 24).fill(1), [8, 24]);
  for (let i = 0; i < 5; i++) await s.run({ ids, mask });
  const c0 = process.cpuUsage(); const t0 = performance.now(); let runMs = 0;
  for (let i = 0; i < 30; i++) { const r0 = performance.now(); await s.run({ ids, mask }); runMs += performance.now() - r0; await new Promise((r) => setTimeout(r, 20)); }
  const c = process.cpuUsage(c0);
  console.log(`allow_spinning=${spin}: wall ${(performance.now() - t0).toFixed(0)} ms, in run ${runMs.toFixed(0)} ms, cpu user+sys ${((c.user + c.system) / 1000).toFixed(0)} ms`);
  await s.release();
}
backbone.dispose();
