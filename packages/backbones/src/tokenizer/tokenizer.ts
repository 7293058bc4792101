/** What every backbone's tokenizer offers the rest of panda. */
export interface Tokenizer {
  /** Token ids of one text, without padding. */
  encode(text: string): number[];
  /** Number of rows in the model's embedding table (ids are below this). */
  readonly vocabSize: number;
  /** The id used for padding; padded positions are always masked out. */
  readonly padId: number;
}
