import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import type { EncodedSet } from '../data/batches.js';
import { methodByName } from '../methods/registry.js';
import { AdaptedModel } from '../model/adaptedModel.js';
import { FixedHead } from '../model/head.js';
import { Teacher, type TeacherSpec } from './teacher.js';

/**
 * The teachers of a distilled run, each an adapted model of its own on the student's backbone and
 * input encoding (a teacher reads the student's batches), with its head checked against the student's.
 * @param dropoutOn apply each teacher run's own training dropout
 * @throws PandaError `CONFIG_INVALID`, `SHAPE_MISMATCH`.
 */
export function buildTeachers(specs: readonly TeacherSpec[], student: AdaptedModel, dropoutOn: boolean): Teacher[] {
  const teachers: Teacher[] = [];
  try {
    for (const spec of specs) teachers.push(buildTeacher(spec, student, dropoutOn));
  } catch (err) {
    for (const t of teachers) t.dispose();
    throw err;
  }
  if (teachers.length === 0) throw new PandaError('CONFIG_INVALID', 'distillation needs at least one teacher');
  return teachers;
}

function buildTeacher(spec: TeacherSpec, student: AdaptedModel, dropoutOn: boolean): Teacher {
  const name = spec.name ?? 'teacher';
  const w = spec.weights;
  if (w.prompt && w.prefix) throw new PandaError('CONFIG_INVALID', `teacher ${name} has both a prompt and a prefix`);
  if (!w['head/kernel'] || !w['head/bias']) throw new PandaError('CONFIG_INVALID', `teacher ${name} has no head (head/kernel, head/bias)`);
  const head = new FixedHead(w);
  const { inputs, outputs } = student.head;
  if (head.inputs !== inputs || head.outputs !== outputs) {
    head.dispose();
    throw new PandaError('SHAPE_MISMATCH', `teacher ${name}: head is [${head.inputs}, ${head.outputs}], the student's is [${inputs}, ${outputs}] (teacher and student must encode pairs the same way)`);
  }
  const method = methodByName(spec.method ?? (w.prefix ? 'deep-prompt-tuning' : 'prompt-tuning'));
  const prefixInfo = (spec.adapter?.prefix as Record<string, unknown> | undefined) ?? {};
  const adapter = { ...(spec.adapter ?? {}), prefix: { ...prefixInfo, dropout: spec.prefixDropout ?? prefixInfo.dropout ?? 0 } };
  let instance;
  try {
    instance = method.load({ backbone: student.backbone, weights: w, adapter, dropout: dropoutOn });
  } catch (err) {
    head.dispose();
    if (err instanceof PandaError) throw new PandaError(err.code, `teacher ${name}: ${err.message}`, { cause: err });
    throw err;
  }
  return new Teacher({ beta: spec.beta, name }, new AdaptedModel(student.backbone, instance, head, student.encoding));
}

/**
 * Deterministic teachers' logits for every training example, computed once (on the backbone's
 * inference engine when it has one): one [N, C] per teacher in training-set order; the caller owns them.
 */
export async function cacheTeacherLogits(teachers: readonly Teacher[], train: EncodedSet, batchSize: number): Promise<tf.Tensor2D[]> {
  const out: tf.Tensor2D[] = [];
  try {
    for (const t of teachers) out.push(await t.model.setLogits(train, batchSize)); // [N, C]
  } catch (err) {
    tf.dispose(out);
    throw err;
  }
  return out;
}
