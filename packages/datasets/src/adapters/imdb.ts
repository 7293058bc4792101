import type { Example } from '../types.js';
import type { JsonRecordMapper } from './jsonLines.js';

/** IMDB labels: 0 = negative (rating ≤ 4), 1 = positive (rating ≥ 7). */
export const IMDB_LABELS = ['negative', 'positive'] as const;

/**
 * Maps a record of the repacked IMDB files (`{id, rating, label, text}`, gzip JSONL) to an
 * example; `fields.rating` keeps the 1–10 star rating. The review text is kept as released
 * (it contains `<br />` tags).
 */
export const imdbMapper: JsonRecordMapper = (record, id) => {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return 'expected a JSON object';
  const r = record as Record<string, unknown>;
  const text = r['text'];
  if (typeof text !== 'string' || text.trim() === '') return "missing or empty 'text'";
  const label = r['label'];
  if (label !== 0 && label !== 1) return `label ${JSON.stringify(label)} is not 0 or 1`;
  const rating = r['rating'];
  if (typeof rating !== 'number' || !Number.isInteger(rating) || rating < 1 || rating > 10) return `rating ${JSON.stringify(rating)} is not an integer 1-10`;
  if ((label === 1) !== rating >= 7) return `label ${label} disagrees with rating ${rating}`;
  const example: Example = { id, text, label, fields: { rating: String(rating) } };
  return [example];
};
