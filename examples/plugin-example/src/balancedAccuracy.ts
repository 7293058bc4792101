import { PandaError } from '@panda/core';
import type { TaskMetric } from '@panda/datasets';

/**
 * Balanced accuracy: the mean over classes of the fraction of that class's gold items predicted
 * right (macro-averaged recall). On a skewed task, a model that always answers the majority class
 * scores 1/C here, where plain accuracy would reward it with the majority share.
 */
export const balancedAccuracy: TaskMetric = {
  name: 'balanced_accuracy',
  description: 'mean per-class recall (1/C for a constant predictor, whatever the class balance)',
  higherIsBetter: true,
  compute(predictions, labels) {
    if (predictions.length !== labels.length) {
      throw new PandaError('SHAPE_MISMATCH', `balanced_accuracy: ${predictions.length} predictions for ${labels.length} labels`);
    }
    const seen = new Map<number, { n: number; right: number }>();
    for (let i = 0; i < labels.length; i++) {
      const c = seen.get(labels[i]!) ?? { n: 0, right: 0 };
      c.n++;
      if (predictions[i] === labels[i]) c.right++;
      seen.set(labels[i]!, c);
    }
    if (seen.size === 0) return Number.NaN;
    let sum = 0;
    for (const c of seen.values()) sum += c.right / c.n;
    return sum / seen.size;
  },
};
