/** What every backbone's tokenizer offers the rest of panda. */
export interface Tokenizer {
  /** Token ids of one text, without padding. */
  encode(text: string): number[];
  /**
   * A sentence pair as the model's own tokenizer joins it (BERT: `[CLS] a [SEP] b [SEP]`, RoBERTa:
   * `<s> a </s></s> b </s>`), at most `maxTokens` ids: the longer text is cut first, one token at a
   * time, as Hugging Face's `longest_first` truncation does, and the special tokens are never cut.
   * `typeIds` holds each id's segment (0: the first text and the specials before it, 1: the second).
   * Absent on tokenizers without a pair format (then pairs are joined or encoded two-tower).
   */
  encodePair?(text: string, pair: string, maxTokens: number): { ids: number[]; typeIds: number[]; truncated: boolean };
  /**
   * One text with the model's special tokens (BERT: `[CLS] a [SEP]`), at most `maxTokens` ids: the
   * text is cut, never the specials, as Hugging Face's truncation does. Absent on tokenizers without
   * special tokens (then the ids of `encode` are cut at the end).
   */
  encodeTruncated?(text: string, maxTokens: number): { ids: number[]; truncated: boolean };
  /** Number of rows in the model's embedding table (ids are below this). */
  readonly vocabSize: number;
  /** The id used for padding; padded positions are always masked out. */
  readonly padId: number;
}
