// syntax: the template language
export { FIELD_MODIFIERS, MAX_SOFT_COUNT, FIELD_NAME_PATTERN, SOFT_ID_PATTERN, normalizeAst, hasMask, fieldKeys, fieldKey } from './syntax/ast.js';
export type { TemplateAst, TemplateNode, TextNode, FieldNode, MaskNode, SoftNode, FieldSource, FieldModifier } from './syntax/ast.js';
export { lex } from './syntax/lexer.js';
export type { Token } from './syntax/lexer.js';
export { parseTemplate } from './syntax/parser.js';
export { printTemplate, escapeText } from './syntax/printer.js';
export { locate, templateSyntaxError } from './syntax/errors.js';
export type { SourcePosition } from './syntax/errors.js';
export { Template } from './syntax/template.js';

// rendering
export { fieldValue } from './render/fields.js';
export type { TemplateInput } from './render/fields.js';
export { renderText, tidySpaces } from './render/renderText.js';
export type { RenderTextOptions } from './render/renderText.js';
export { renderTokens } from './render/renderTokens.js';
export type { RenderTokensOptions, RenderedTokens, MaskRendering } from './render/renderTokens.js';

// soft tokens
export { softLayout } from './soft/softLayout.js';
export type { SoftLayout, SoftGroup } from './soft/softLayout.js';
export { initialSoftRows } from './soft/initRows.js';
export type { InitRowsOptions } from './soft/initRows.js';

// built-in families
export { familyTemplates, templatesForTask, familyForType } from './families/families.js';
export type { FamilyTemplate, PromptStyle } from './families/families.js';
export { registerTemplateFamily, templateFamily, listTemplateFamilies, familyServing, templateFamilySchema } from './families/familyRegistry.js';
export type { TemplateFamilyDefinition, TemplateSpec } from './families/familyRegistry.js';

// verbalizers
export { verbalizerSchema, labelWords, defaultLabelWords } from './verbalizers/labelWords.js';
export type { LabelWords } from './verbalizers/labelWords.js';
export { ManualVerbalizer } from './verbalizers/manual.js';
export type { MultiTokenHandling, ManualVerbalizerOptions } from './verbalizers/manual.js';
export { SimilarityClassifier, hardView, labelView, argmax, meanCosine } from './verbalizers/similarity.js';
export type { SimilarityMode, Calibration, SimilarityOptions, ClassWords, SimilarityScores, EmbeddedSet } from './verbalizers/similarity.js';
export { SoftVerbalizer } from './verbalizers/soft.js';
export type { SoftVerbalizerFitOptions } from './verbalizers/soft.js';
export { registerVerbalizer, verbalizerKind, listVerbalizers, createVerbalizer, verbalizerKindSchema } from './verbalizers/verbalizerRegistry.js';
export type { Verbalizer, VerbalizerKind, VerbalizerContext, VerbalizerInput, VerbalizerFitOptions } from './verbalizers/verbalizerRegistry.js';

// embedding with a backbone
export { backboneEmbedder } from './embed/embedder.js';
export { cosine } from '@panda/core';
export type { TokenEmbedder, TensorFactory, Tensor2D, BackboneEmbedderOptions } from './embed/embedder.js';

// PromptSource
export { parsePromptSource, loadPromptSource, checkPromptSource } from './promptsource/load.js';
export type { PromptSourceCollection, PromptSourceIssue } from './promptsource/load.js';
export { PromptSourceTemplate, exampleVariables, TARGET_SEPARATOR } from './promptsource/promptSourceTemplate.js';
export type { AppliedPrompt } from './promptsource/promptSourceTemplate.js';
export { jinjaVariables, JINJA_GLOBALS } from './promptsource/jinjaVariables.js';
export { promptSourceFileSchema, promptSourceTemplateSchema, promptSourceMetadataSchema } from './promptsource/schema.js';
export type { PromptSourceFile, PromptSourceTemplateData, PromptSourceMetadata } from './promptsource/schema.js';
export { scorePromptSource } from './promptsource/score.js';
export type { PromptSourceScoreOptions } from './promptsource/score.js';

// automatic prompt search
export { grammarFor, expandGrammar, sampleGrammar } from './search/grammar.js';
export type { PromptGrammar, GrammarCandidate } from './search/grammar.js';
export { distinctiveWords, domainWords, ANSWER_WORDS } from './search/dataWords.js';
export type { DataWordsOptions } from './search/dataWords.js';
export { searchPrompts, randomCandidates, evaluateCandidate, wordPools, searchConfigSchema } from './search/search.js';
export type { PromptCandidate, ScoredCandidate, SearchConfig, SearchConfigInput, SearchOptions, SearchResult, SearchTask } from './search/search.js';
