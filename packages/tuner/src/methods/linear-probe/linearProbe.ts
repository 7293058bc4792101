import type { TuningMethod, MethodInstance } from '../method.js';
import type { SentenceEncoder } from '@panda/backbones';
import { fixedInjection } from '../fixedInjection.js';

/**
 * A linear probe: the head alone, on the frozen encoder's features. Nothing enters the backbone,
 * so the trainer computes every example's features once and trains the head on them.
 */
export const linearProbe: TuningMethod = {
  name: 'linear-probe',
  description: 'the head alone on the frozen sentence embedding',
  configKeys: [],
  create: ({ backbone }) => frozen(backbone.encoder),
  load: ({ backbone }) => frozen(backbone.encoder),
};

function frozen(encoder: SentenceEncoder): MethodInstance {
  const injection = fixedInjection(encoder, {});
  return {
    name: linearProbe.name,
    promptPositions: 0,
    dropout: 0,
    frozenFeatures: true,
    paramGroups: () => [],
    training: () => injection,
    inference: () => injection,
    adapterInfo: () => ({ promptLength: 0 }),
    dispose: () => {},
  };
}
