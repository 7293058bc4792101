import type { Backbone, PairEncoding } from '@panda/backbones';
import { Template, softLayout } from '@panda/templates';
import type { TemplateRendering } from '../data/batches.js';

/**
 * How a run turns an example into encoder inputs, recorded in the run and honoured by every
 * consumer: the pair encoding, the template (if any), and the token budget.
 */
export interface InputEncoding {
  pairs: PairEncoding;
  template?: TemplateRendering;
  /** The run's `maxSeqLength`: no text (a joined pair: the whole pair) gets more tokens. */
  maxSeqLength?: number;
  /**
   * What a saved run was trained on, when it recorded it: `false` (single texts) makes the model
   * refuse examples with a second text rather than read them in a way it never learned. Unset
   * while training and for runs that predate the record: anything goes.
   */
  textPairs?: boolean;
}

/**
 * The pair encoding a run uses: the one asked for; else, with a template, `joined` (the template
 * renders the whole pair); else the backbone's own default (`two-tower` for a sentence encoder,
 * `tokenizer` for a BERT-style model), else `joined`.
 */
export function resolvePairEncoding(backbone: Backbone, requested: PairEncoding | undefined, hasTemplate: boolean): PairEncoding {
  if (requested) return requested;
  if (hasTemplate) return 'joined';
  return backbone.pairEncoding ?? 'joined';
}

/** A template source parsed and laid out for a backbone's tokenizer. */
export function templateRendering(source: string, backbone: Backbone): TemplateRendering {
  const template = Template.parse(source);
  return { template, layout: softLayout(template, backbone.tokenizer) };
}
