/**
 * fast-check: random seeds locally (failures print the seed to replay with FC_SEED=…), a fixed seed in
 * CI so that a landing never depends on the draw.
 */
import fc from 'fast-check';

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : process.env.CI ? 20261121 : undefined;
if (seed !== undefined) fc.configureGlobal({ seed });
