import { readFile } from 'node:fs/promises';
import { parseDocument, YAMLMap, type CollectionTag } from 'yaml';
import { PandaError } from '@panda/core';
import { promptSourceFileSchema } from './schema.js';
import { PromptSourceTemplate } from './promptSourceTemplate.js';
import { jinjaVariables } from './jinjaVariables.js';

/** A loaded PromptSource collection: one dataset (and subset) and its templates, in file order. */
export interface PromptSourceCollection {
  dataset: string;
  subset: string | null;
  templates: PromptSourceTemplate[];
  /** The key each template has in the file's `templates` map (PromptSource requires key = id). */
  keys: string[];
  /** Where it came from (a path, or 'string'). */
  source: string;
}

// PromptSource writes its objects with Python-class tags; read them as plain maps.
const TAGS: CollectionTag[] = ['!Template', '!TemplateMetadata'].map((tag) => ({
  tag,
  collection: 'map',
  nodeClass: YAMLMap,
  identify: () => false,
  resolve: (map) => map,
}));

/**
 * Parses a PromptSource `templates.yaml` (its `!Template` / `!TemplateMetadata` tags included).
 * @throws PandaError `TEMPLATE_INVALID` for YAML errors (with line and column), unknown tags, an
 *   entry that does not match the schema, or a template whose Jinja does not parse.
 */
export function parsePromptSource(text: string, source = 'string'): PromptSourceCollection {
  const doc = parseDocument(text, { customTags: TAGS });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const [line, column] = problem.linePos?.[0] ? [problem.linePos[0].line, problem.linePos[0].col] : [undefined, undefined];
    throw new PandaError('TEMPLATE_INVALID', `${source}${line !== undefined ? `:${line}:${column}` : ''}: ${problem.message.split('\n')[0]}`, {
      details: { source, line, column, position: problem.pos[0] },
    });
  }
  const parsed = promptSourceFileSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PandaError('TEMPLATE_INVALID', `${source}: ${issue.path.join('.') || '(root)'}: ${issue.message}`, { details: { source, issues: parsed.error.issues } });
  }
  const entries = Object.entries(parsed.data.templates);
  const templates = entries.map(([, t]) => new PromptSourceTemplate(t));
  return { dataset: parsed.data.dataset, subset: parsed.data.subset ?? null, templates, keys: entries.map(([k]) => k), source };
}

/** Reads and parses a PromptSource `templates.yaml` file. */
export async function loadPromptSource(path: string): Promise<PromptSourceCollection> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new PandaError('DATA_FILE_MISSING', `cannot read PromptSource file ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parsePromptSource(text, path);
}

/** One failed check of {@link checkPromptSource}. */
export interface PromptSourceIssue {
  check: 'jinja-parses' | 'variables-known' | 'has-target' | 'unique' | 'uuid';
  templateId: string;
  name: string;
  message: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/**
 * PromptSource's own CI checks (`test/test_templates.py`) on a collection: the Jinja parses, every
 * variable it reads is a dataset feature (when `features` are given), the template has a target
 * (`|||`), names and Jinja sources are unique, and ids are UUIDs (equal to their keys).
 * @returns the issues; empty when every check passes.
 */
export function checkPromptSource(collection: PromptSourceCollection, options: { features?: readonly string[] } = {}): PromptSourceIssue[] {
  const issues: PromptSourceIssue[] = [];
  const names = new Map<string, string>();
  const sources = new Map<string, string>();
  collection.templates.forEach((t, i) => {
    const at = { templateId: t.id, name: t.name };
    let vars: string[] = [];
    try {
      vars = jinjaVariables(t.jinja);
      if (t.answerChoicesSource) vars.push(...jinjaVariables(t.answerChoicesSource));
    } catch (err) {
      issues.push({ ...at, check: 'jinja-parses', message: `Jinja does not parse: ${(err as Error).message}` });
    }
    if (options.features) {
      const unknown = [...new Set(vars)].filter((v) => !options.features!.includes(v));
      if (unknown.length) issues.push({ ...at, check: 'variables-known', message: `reads ${unknown.join(', ')}, not among the features (${options.features.join(', ')})` });
    }
    if (!t.jinja.includes('|||')) issues.push({ ...at, check: 'has-target', message: "no '|||' between input and target" });
    const priorName = names.get(t.name);
    if (priorName !== undefined) issues.push({ ...at, check: 'unique', message: `name '${t.name}' is also used by ${priorName}` });
    names.set(t.name, t.id);
    const priorSource = sources.get(t.jinja);
    if (priorSource !== undefined) issues.push({ ...at, check: 'unique', message: `same Jinja as ${priorSource}` });
    sources.set(t.jinja, t.id);
    if (!UUID.test(t.id)) issues.push({ ...at, check: 'uuid', message: `id '${t.id}' is not a UUID` });
    const key = collection.keys[i];
    if (key !== undefined && key !== t.id) issues.push({ ...at, check: 'uuid', message: `id '${t.id}' differs from its key '${key}'` });
  });
  return issues;
}
