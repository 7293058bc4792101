import type { DeepPrefix, PrefixLayout, PrefixSlot } from '@panda/backbones';

/** The deep prefix of a run, as `panda_adapter.json` records it. */
export interface PrefixInfo {
  /** Rows m. */
  length: number;
  layout: PrefixLayout;
  /** Columns of the table: 2·Σ d_l. */
  width: number;
  /** P-tuning v2 slot order: layer 0 key, layer 0 value, layer 1 key, … */
  slots: PrefixSlot[];
  init: 'matched' | 'normal';
  /** σ per layer the `matched` init used. */
  keyValueStd?: Array<{ key: number; value: number }>;
  dropout: number;
  projection: boolean;
  /** With reparameterisation: the MLP's embedding and hidden widths. */
  embedDim?: number;
  hidden?: number;
}

/** What loading a trained prefix needs to know about it. */
export function prefixInfoOf(prefix: DeepPrefix, keyValueStd?: Array<{ key: number; value: number }>): PrefixInfo {
  const { layout } = prefix;
  return {
    length: prefix.length,
    layout: { widths: [...layout.widths], numHeads: layout.numHeads, takesPositions: layout.takesPositions ?? false },
    width: prefix.width,
    slots: [...prefix.slots],
    init: prefix.init,
    ...(keyValueStd ? { keyValueStd } : {}),
    dropout: prefix.dropout,
    projection: prefix.projection,
    ...(prefix.projection ? { embedDim: prefix.embedDim, hidden: prefix.hidden } : {}),
  };
}
