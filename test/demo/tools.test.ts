/**
 * The demo's in-page tools (demo/tools/): the calculator's parser and evaluator, the time zone clock, the
 * unit converter, and the registry the chat app hands to the model and runs calls through.
 */
import fc from 'fast-check';
import type OpenAI from 'openai';
import { describe, expect, test } from 'vitest';
import {
  CalculatorError,
  evaluate,
  KNOWN_FUNCTIONS,
  MAX_EXPRESSION_LENGTH,
  MAX_NESTING_DEPTH,
} from '../../demo/tools/calculator.ts';
import { DEMO_TOOLS, runTool } from '../../demo/tools/index.ts';
import { currentTime, localTimeZone, resolveTimeZone, TimeZoneError } from '../../demo/tools/time.ts';
import { convert, findUnit, UnitError, UNITS_BY_CATEGORY } from '../../demo/tools/units.ts';
import { strictArgumentsValidator } from '../../src/protocol/arguments.ts';
import { parseCreateRequest } from '../../src/protocol/request.ts';

/** The CalculatorError `evaluate(expr)` throws (fails the test when it returns). */
function calcError(expr: string): CalculatorError {
  try {
    const value = evaluate(expr);
    throw new Error(`expected ${JSON.stringify(expr)} to fail, got ${value}`);
  } catch (err) {
    if (!(err instanceof CalculatorError)) throw err;
    return err;
  }
}

// =================================================================================================================
// calculator

describe('calculator: precedence and associativity', () => {
  test.each([
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 - 4 - 3', 3], // left-associative
    ['100 / 10 / 5', 2], // left-associative
    ['2 * 3 % 4', 2], // same level as * and /, left to right
    ['7 % 4 * 3', 9],
    ['1 + 7 % 4', 4],
    ['-7 % 3', -1], // remainder takes the sign of the dividend
    ['2 ^ 3 ^ 2', 512], // right-associative
    ['2 ** 3 ** 2', 512],
    ['(2 ^ 3) ^ 2', 64],
    ['-2 ^ 2', -4], // power binds tighter than a leading minus
    ['(-2) ^ 2', 4],
    ['-2 ** 2', -4],
    ['2 ^ -1', 0.5], // a signed exponent
    ['2 ^ -2 ^ 2', 2 ** -4],
    ['-2 ^ -2', -0.25],
    ['2 * -3', -6],
    ['2 - -3', 5],
    ['2 + +3', 5],
    ['--3', 3],
    ['-(-(3))', 3],
    ['3 * 2 ^ 2', 12],
    ['2 ^ 2 * 3', 12],
    ['-3 ^ 2 * 2', -18],
    ['1 - 2 + 3', 2],
    ['2 * (3 + 4) ^ 2', 98],
    ['8 / 2 * 4', 16],
    ['max(1, 2) ^ 2', 4],
    ['-max(1, 2)', -2],
  ])('%s = %d', (expr, expected) => {
    expect(evaluate(expr)).toBe(expected);
  });
});

describe('calculator: numbers, constants, functions', () => {
  test.each([
    ['42', 42],
    ['3.25', 3.25],
    ['.5', 0.5],
    ['5.', 5],
    ['1e-3', 0.001],
    ['2.5E+2', 250],
    ['1e3 + 1', 1001],
    ['007', 7],
    ['pi', Math.PI],
    ['e', Math.E],
    ['PI', Math.PI], // identifiers are case-insensitive
    ['π', Math.PI],
    ['2 * pi', 2 * Math.PI],
    ['e ^ 2', Math.E ** 2],
    ['sqrt(16)', 4],
    ['cbrt(-27)', -3],
    ['abs(-3.5)', 3.5],
    ['round(2.5)', 3],
    ['round(-2.5)', -3], // half away from zero
    ['round(2.4)', 2],
    ['floor(-1.5)', -2],
    ['ceil(1.2)', 2],
    ['sin(0)', 0],
    ['cos(0)', 1],
    ['tan(0)', 0],
    ['sin(pi / 2)', 1],
    ['asin(1)', Math.PI / 2],
    ['acos(1)', 0],
    ['atan(1) * 4', Math.PI],
    ['ln(e)', 1],
    ['log(1000)', 3],
    ['log2(1024)', 10],
    ['exp(0)', 1],
    ['min(3, 1, 2)', 1],
    ['max(3, 1, 2)', 3],
    ['max(7)', 7],
    ['min(-1, -5)', -5],
    ['SQRT(9)', 3],
    ['sqrt(sqrt(16))', 2],
    ['max(1, min(5, 3), 2 + 2)', 4],
  ])('%s = %d', (expr, expected) => {
    expect(evaluate(expr)).toBeCloseTo(expected, 12);
  });

  test('every advertised function is callable', () => {
    for (const name of KNOWN_FUNCTIONS) {
      const arg = name === 'acos' || name === 'asin' ? '0.5' : '2';
      expect(Number.isFinite(evaluate(`${name}(${arg})`)), name).toBe(true);
    }
    expect(KNOWN_FUNCTIONS).toEqual(expect.arrayContaining(['sqrt', 'log', 'log2', 'ln', 'min', 'max', 'cbrt']));
  });

  test('whitespace of any kind is ignored', () => {
    expect(evaluate(' \t1\n+\r\n2 *\u00a03 ')).toBe(7);
    expect(evaluate('max ( 1 , 2 )')).toBe(2);
    expect(evaluate('2** 3')).toBe(8);
  });

  test('× ÷ and − are aliases of * / and -', () => {
    expect(evaluate('6 × 7')).toBe(42);
    expect(evaluate('84 ÷ 2')).toBe(42);
    expect(evaluate('50 − 8')).toBe(42);
    expect(evaluate('−2^2')).toBe(-4);
    expect(evaluate('2 × −3')).toBe(-6);
    expect(evaluate('10 ÷ 4 × 2 − 1')).toBe(4);
  });

  test('the exact double is returned (no rounding in evaluate)', () => {
    expect(evaluate('0.1 + 0.2')).toBe(0.1 + 0.2);
    expect(evaluate('2^53 + 1')).toBe(2 ** 53);
  });

  test('a prototype key is not a function or constant', () => {
    expect(calcError('constructor(1)').message).toMatch(/Unknown function "constructor"/);
    expect(calcError('toString').message).toMatch(/Unknown identifier "toString"/);
    expect(calcError('__proto__').message).toMatch(/Unknown identifier "__proto__"/);
  });
});

describe('calculator: errors carry a message and a position', () => {
  test.each<[string, number, RegExp]>([
    ['', 0, /^The expression is empty\.$/],
    ['   \t ', 0, /^The expression is empty\.$/],
    ['2 & 3', 2, /^Unexpected character "&" at position 2\.$/],
    ['1 + 2 = ', 6, /^Unexpected character "=" at position 6 \(write only the expression, without "="\)\.$/],
    ['1 + $', 4, /Unexpected character "\$" at position 4/],
    ['2 + 😀', 4, /Unexpected character "😀" at position 4/],
    ['1\u0000', 1, /Unexpected character U\+0000 at position 1/],
    ['(1 + 2', 0, /^Unbalanced parentheses: the "\(" at position 0 is never closed/],
    ['((1 + 2)', 0, /Unbalanced parentheses: the "\(" at position 0 is never closed/],
    ['(1 + (2)', 0, /Unbalanced parentheses: the "\(" at position 0/],
    ['sqrt(4', 4, /Unbalanced parentheses: the "\(" at position 4 is never closed/],
    ['1 + 2)', 5, /^Unbalanced parentheses: the "\)" at position 5 has no matching "\("\.$/],
    [')', 0, /Unbalanced parentheses: the "\)" at position 0 has no matching/],
    ['()', 1, /Unexpected "\)" at position 1: expected a number, a constant, a function or "\("/],
    ['foo(2)', 0, /^Unknown function "foo" at position 0\. Known constants: pi, e\. Known functions: sqrt, cbrt, abs, round, floor, ceil, sin, cos, tan, asin, acos, atan, ln, log, log2, exp, min, max\.$/],
    ['2 * y', 4, /^Unknown identifier "y" at position 4\. Known constants: pi, e\. Known functions: sqrt, /],
    ['sqrt', 0, /The function "sqrt" at position 0 must be called with parentheses, e\.g\. sqrt\(2\)/],
    ['1 + sqrt 4', 4, /The function "sqrt" at position 4 must be called with parentheses/],
    ['pi(2)', 0, /"pi" at position 0 is a constant, not a function/],
    ['sqrt(1, 2)', 0, /^The function "sqrt" at position 0 takes 1 argument, but got 2\.$/],
    ['1 + sqrt()', 4, /The function "sqrt" at position 4 takes 1 argument, but got 0/],
    ['max()', 0, /The function "max" at position 0 takes at least 1 argument, but got 0/],
    ['min()', 0, /The function "min" at position 0 takes at least 1 argument, but got 0/],
    ['1 / 0', 2, /^Division by zero at position 2\.$/],
    ['1 / (2 - 2)', 2, /^Division by zero at position 2: "\(2 - 2\)" is 0\.$/],
    ['5 % 0', 2, /^Modulo \(remainder\) by zero at position 2\.$/],
    ['0 / 0', 2, /Division by zero at position 2/],
    ['sqrt(-1)', 0, /^The result is not a finite number: "sqrt\(-1\)" at position 0 is not a real number \(NaN\)\.$/],
    ['1 + ln(0)', 4, /The result is not a finite number: "ln\(0\)" at position 4 is infinite \(-Infinity\)/],
    ['10 ^ 400', 0, /The result is not a finite number: "10 \^ 400" at position 0 is infinite \(Infinity\)/],
    ['1e400', 0, /"1e400" at position 0 is infinite/],
    ['asin(2)', 0, /"asin\(2\)" at position 0 is not a real number \(NaN\)/],
    ['0 ^ -1', 0, /not a finite number/],
    ['1,2', 1, /^Unexpected "," at position 1 \(commas only separate function arguments, e\.g\. max\(1, 2\)\)/],
    ['(1, 2)', 2, /Unexpected "," at position 2 \(commas only separate function arguments/],
    ['max(1,)', 6, /Unexpected "\)" at position 6/],
    ['max(,1)', 4, /Unexpected "," at position 4: expected a number/],
    ['2pi', 1, /Unexpected "pi" at position 1: expected an operator \(there is no implicit multiplication: write "\*"\)/],
    ['2 (3)', 2, /Unexpected "\(" at position 2: .*no implicit multiplication/],
    ['(1)(2)', 3, /Unexpected "\(" at position 3: .*no implicit multiplication/],
    ['2 3', 2, /Unexpected number 3 at position 2: expected an operator/],
    ['2 x 3', 2, /^Unexpected "x" at position 2: use "\*" to multiply\.$/],
    ['2e', 1, /Unexpected "e" at position 1/], // no exponent digits: the e is the constant
    ['1.2.3', 3, /Unexpected number 0\.3 at position 3/],
    ['1 +', 3, /^The expression ends too early: expected a number, a constant, a function or "\(" at position 3\.$/],
    ['2 ^', 3, /ends too early/],
    ['* 2', 0, /Unexpected operator "\*" at position 0/],
    ['2 * * 3', 4, /Unexpected operator "\*" at position 4/],
    ['2 ^^ 3', 3, /Unexpected operator "\^" at position 3/],
    ['2 ** ** 3', 5, /Unexpected operator "\*\*" at position 5/],
    ['2 × ÷ 3', 4, /Unexpected operator "÷" at position 4/],
  ])('%j fails at %d', (expr, position, message) => {
    const err = calcError(expr);
    expect(err).toBeInstanceOf(CalculatorError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('CalculatorError');
    expect(err.message).toMatch(message);
    expect(err.position).toBe(position);
  });

  test(`input longer than ${MAX_EXPRESSION_LENGTH} characters is refused before parsing`, () => {
    const atLimit = '1+'.repeat(MAX_EXPRESSION_LENGTH / 2 - 1) + '10';
    expect(atLimit.length).toBe(MAX_EXPRESSION_LENGTH);
    expect(evaluate(atLimit)).toBe(MAX_EXPRESSION_LENGTH / 2 - 1 + 10);
    const err = calcError(atLimit + '+1');
    expect(err.message).toBe(`The expression is too long (${MAX_EXPRESSION_LENGTH + 2} characters; the limit is ${MAX_EXPRESSION_LENGTH}).`);
    expect(err.position).toBe(MAX_EXPRESSION_LENGTH);
    expect(calcError('1'.repeat(MAX_EXPRESSION_LENGTH) + '&').message).toMatch(/too long/); // not "unexpected &"
  });

  test(`nesting deeper than ${MAX_NESTING_DEPTH} levels is refused`, () => {
    const nested = (n: number) => '('.repeat(n) + '1' + ')'.repeat(n);
    expect(evaluate(nested(MAX_NESTING_DEPTH))).toBe(1);
    const err = calcError(nested(MAX_NESTING_DEPTH + 1));
    expect(err.message).toMatch(new RegExp(`nested too deeply at position ${MAX_NESTING_DEPTH} \\(more than ${MAX_NESTING_DEPTH} levels`));
    expect(err.position).toBe(MAX_NESTING_DEPTH);

    expect(evaluate('-'.repeat(MAX_NESTING_DEPTH) + '1')).toBe(1);
    expect(calcError('-'.repeat(MAX_NESTING_DEPTH + 1) + '1').message).toMatch(/nested too deeply/);
    // Parentheses, calls and signs add up: p groups around c calls around "-1" are p + c + 1 levels.
    const mixed = (p: number, c: number) => '('.repeat(p) + 'abs('.repeat(c) + '-1' + ')'.repeat(c + p);
    expect(evaluate(mixed(49, 50))).toBe(1);
    expect(calcError(mixed(50, 50)).message).toMatch(/nested too deeply/);
    expect(mixed(50, 50).length).toBeLessThan(MAX_EXPRESSION_LENGTH);
    const towers = (n: number) => Array(n + 1).fill('1').join('^');
    expect(evaluate(towers(MAX_NESTING_DEPTH))).toBe(1);
    expect(calcError(towers(MAX_NESTING_DEPTH + 1)).message).toMatch(/nested too deeply/);
  });

  test('syntax errors are reported before evaluation errors', () => {
    expect(calcError('1/0 + )').message).toMatch(/^Unbalanced parentheses/);
    expect(calcError('1/0 + y').message).toMatch(/^Unknown identifier "y"/);
  });
});

// -----------------------------------------------------------------------------------------------------------------
// Property: random arithmetic trees rendered to text evaluate to what the tree computes.

type Tree =
  | { t: 'num'; v: number }
  | { t: 'neg' | 'pos'; a: Tree }
  | { t: 'bin'; op: '+' | '-' | '*' | '/' | '%'; a: Tree; b: Tree }
  | { t: 'pow'; a: Tree; b: Tree };

const treeArb: fc.Arbitrary<Tree> = fc.letrec<{ root: Tree; tree: Tree }>((tie) => ({
  // An operation at the root, so that no run is spent on a lone number.
  root: fc.oneof(
    fc.record({ t: fc.constant('bin' as const), op: fc.constantFrom('+', '-', '*', '/', '%'), a: tie('tree'), b: tie('tree') }),
    fc.record({ t: fc.constant('pow' as const), a: tie('tree'), b: tie('tree') }),
    fc.record({ t: fc.constantFrom('neg' as const, 'pos' as const), a: tie('tree') }),
  ),
  tree: fc.oneof(
    { maxDepth: 6, depthIdentifier: 'tree' },
    { arbitrary: fc.integer({ min: 0, max: 40 }).map((v): Tree => ({ t: 'num', v })), weight: 3 },
    { arbitrary: fc.record({ t: fc.constantFrom('neg' as const, 'pos' as const), a: tie('tree') }), weight: 1 },
    {
      arbitrary: fc.record({ t: fc.constant('bin' as const), op: fc.constantFrom('+', '-', '*', '/', '%'), a: tie('tree'), b: tie('tree') }),
      weight: 3,
    },
    { arbitrary: fc.record({ t: fc.constant('pow' as const), a: tie('tree'), b: tie('tree') }), weight: 1 },
  ),
})).root;

type Outcome = { value: number } | { error: 'division' | 'not finite' };

/** The reference: the tree's value with the calculator's semantics, in the same evaluation order. */
function reference(tree: Tree): number {
  let v: number;
  switch (tree.t) {
    case 'num':
      return tree.v;
    case 'neg':
      v = -reference(tree.a);
      break;
    case 'pos':
      v = reference(tree.a);
      break;
    case 'pow':
      v = reference(tree.a) ** reference(tree.b);
      break;
    case 'bin': {
      const a = reference(tree.a);
      const b = reference(tree.b);
      if ((tree.op === '/' || tree.op === '%') && b === 0) throw new RangeError('division');
      v = tree.op === '+' ? a + b : tree.op === '-' ? a - b : tree.op === '*' ? a * b : tree.op === '/' ? a / b : a % b;
    }
  }
  if (!Number.isFinite(v)) throw new RangeError('not finite');
  return v;
}

function outcome(f: () => number): Outcome {
  try {
    return { value: f() };
  } catch (err) {
    if (err instanceof RangeError) return { error: err.message as 'division' };
    if (err instanceof CalculatorError) {
      if (/by zero/.test(err.message)) return { error: 'division' };
      if (/not a finite number/.test(err.message)) return { error: 'not finite' };
    }
    throw err;
  }
}

const PREC = { add: 1, mul: 2, unary: 3, pow: 4, atom: 5 } as const;
const precOf = (t: Tree): number =>
  t.t === 'num' ? PREC.atom : t.t === 'pow' ? PREC.pow : t.t === 'bin' ? (t.op === '+' || t.op === '-' ? PREC.add : PREC.mul) : PREC.unary;

/**
 * Renders a tree as tokens with the parentheses its shape needs, plus redundant ones where `extra()`
 * says so, and a random choice between the ASCII operators and their aliases.
 */
function render(tree: Tree, extra: () => boolean, alias: () => boolean): string[] {
  const wrap = (toks: string[], needed: boolean) => (needed || extra() ? ['(', ...toks, ')'] : toks);
  switch (tree.t) {
    case 'num':
      return wrap([String(tree.v)], false);
    case 'neg':
    case 'pos': {
      const sign = tree.t === 'pos' ? '+' : alias() ? '−' : '-';
      // The operand of a sign is parsed as a signed power: a sum or product needs parentheses.
      return wrap([sign, ...wrap(render(tree.a, extra, alias), precOf(tree.a) < PREC.unary)], false);
    }
    case 'pow': {
      const op = alias() ? '**' : '^';
      // The base must be an atom ((-2)^2, (2^3)^2); the exponent a signed power (2^-1, 2^3^2).
      return wrap(
        [...wrap(render(tree.a, extra, alias), precOf(tree.a) <= PREC.pow), op, ...wrap(render(tree.b, extra, alias), precOf(tree.b) < PREC.unary)],
        false,
      );
    }
    case 'bin': {
      const p = precOf(tree);
      const op = tree.op === '*' && alias() ? '×' : tree.op === '/' && alias() ? '÷' : tree.op === '-' && alias() ? '−' : tree.op;
      // Left-associative: the left operand may share the level, the right one may not.
      return wrap(
        [...wrap(render(tree.a, extra, alias), precOf(tree.a) < p), op, ...wrap(render(tree.b, extra, alias), precOf(tree.b) <= p)],
        false,
      );
    }
  }
}

const cycle = <T>(xs: T[], fallback: T) => {
  let i = 0;
  return () => (xs.length ? xs[i++ % xs.length] : fallback);
};

describe('calculator: properties', () => {
  test('a random integer expression tree, rendered with random parentheses and whitespace, evaluates to its reference value', () => {
    fc.assert(
      fc.property(
        treeArb,
        fc.array(fc.boolean(), { maxLength: 30 }),
        fc.array(fc.boolean(), { maxLength: 30 }),
        fc.array(fc.constantFrom('', '', ' ', '  ', '\t', '\n'), { maxLength: 30 }),
        (tree, extras, aliases, spaces) => {
          const extra = cycle(extras.map((b, i) => b && i % 3 === 0), false);
          const tokens = render(tree, extra, cycle(aliases, false));
          const space = cycle(spaces, '');
          const text = space() + tokens.map((t) => t + space()).join('');
          fc.pre(text.length <= MAX_EXPRESSION_LENGTH);
          const expected = outcome(() => reference(tree));
          const actual = outcome(() => evaluate(text));
          if ('value' in expected && 'value' in actual) {
            expect(Object.is(actual.value, expected.value) || actual.value === expected.value, text).toBe(true);
          } else {
            expect(actual, text).toEqual(expected);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test('the rendering keeps the shape: minimal parentheses are enough', () => {
    // A spot check of the renderer itself, so that the property above tests the parser and not a mistake here.
    const t: Tree = { t: 'neg', a: { t: 'pow', a: { t: 'num', v: 2 }, b: { t: 'num', v: 2 } } };
    expect(render(t, () => false, () => false).join(' ')).toBe('- 2 ^ 2');
    const u: Tree = { t: 'pow', a: { t: 'neg', a: { t: 'num', v: 2 } }, b: { t: 'bin', op: '-', a: { t: 'num', v: 1 }, b: { t: 'num', v: 3 } } };
    expect(render(u, () => false, () => false).join(' ')).toBe('( - 2 ) ^ ( 1 - 3 )');
    const w: Tree = { t: 'bin', op: '-', a: { t: 'num', v: 8 }, b: { t: 'bin', op: '-', a: { t: 'num', v: 2 }, b: { t: 'num', v: 1 } } };
    expect(render(w, () => false, () => false).join(' ')).toBe('8 - ( 2 - 1 )');
    expect(evaluate(render(u, () => false, () => false).join(' '))).toBe(0.25);
  });

  test('a chain of signs multiplies the sign of what follows', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('-', '+', '−'), { minLength: 1, maxLength: 40 }),
        fc.array(fc.constantFrom('', ' '), { maxLength: 40 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.boolean(),
        (signs, spaces, n, power) => {
          const space = cycle(spaces, '');
          const text = signs.map((s) => s + space()).join('') + (power ? `${n}^2` : String(n));
          const negative = signs.filter((s) => s !== '+').length % 2 === 1;
          const magnitude = power ? n * n : n;
          expect(evaluate(text)).toBe(negative ? -magnitude : magnitude);
        },
      ),
    );
  });

  test('any input either evaluates to a finite number or throws a CalculatorError positioned inside it', () => {
    const alphabet = fc.constantFrom(...'0123456789.eE+-*/%^()pi,sqrtmaxln ×÷−&x'.split(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: alphabet, maxLength: 40 })), (text) => {
        try {
          expect(Number.isFinite(evaluate(text))).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(CalculatorError);
          const pos = (err as CalculatorError).position;
          expect(pos >= 0 && pos <= text.length, `${JSON.stringify(text)}: ${pos}`).toBe(true);
          expect((err as Error).message.length).toBeGreaterThan(10);
        }
      }),
      { numRuns: 500 },
    );
  });
});

// =================================================================================================================
// units

describe('units: conversions', () => {
  test.each<[number, string, string, number]>([
    [100, 'C', 'F', 212],
    [0, 'C', 'F', 32],
    [-40, 'C', 'F', -40],
    [0, 'K', 'C', -273.15],
    [0, 'C', 'K', 273.15],
    [212, 'F', 'C', 100],
    [98.6, 'F', 'C', 37],
    [32, 'F', 'K', 273.15],
    [1, 'km', 'm', 1000],
    [5, 'mi', 'km', 8.04672],
    [1, 'in', 'cm', 2.54],
    [1, 'ft', 'in', 12], // 12.000000000000002 before rounding
    [1, 'yd', 'ft', 3],
    [1, 'nmi', 'm', 1852],
    [1, 'mm', 'm', 0.001],
    [1, 'lb', 'kg', 0.45359237],
    [1, 'st', 'lb', 14],
    [16, 'oz', 'lb', 1],
    [1, 't', 'kg', 1000],
    [1, 'g', 'mg', 1000],
    [1, 'gal', 'l', 3.785411784],
    [1, 'gal', 'qt', 4],
    [1, 'qt', 'pt', 2],
    [1, 'pt', 'cup', 2],
    [1, 'cup', 'fl_oz', 8],
    [1, 'fl_oz', 'tbsp', 2],
    [1, 'tbsp', 'tsp', 3],
    [1, 'l', 'ml', 1000],
    [36, 'km/h', 'm/s', 10],
    [1, 'mph', 'km/h', 1.609344],
    [1, 'kn', 'km/h', 1.852],
    [1, 'h', 's', 3600],
    [90, 'min', 'h', 1.5],
    [2, 'week', 'day', 14],
    [1, 'day', 'min', 1440],
    [1, 'KB', 'B', 1000],
    [1, 'GB', 'MB', 1000],
    [1, 'TB', 'GB', 1000],
    [1, 'KiB', 'B', 1024],
    [1, 'GiB', 'MiB', 1024],
    [1, 'GiB', 'GB', 1.073741824],
    [1, 'km2', 'ha', 100],
    [1, 'ha', 'm2', 10000],
    [1, 'acre', 'ft2', 43560],
    [1, 'm2', 'ft2', 10.76391042],
    [3, 'm', 'm', 3],
    [-2.5, 'kg', 'g', -2500],
    [0, 'm', 'km', 0],
  ])('%d %s = %d %s', (value, from, to, expected) => {
    expect(convert(value, from, to).result).toBe(expected);
  });

  test('the result object names the canonical units and the category', () => {
    expect(convert(5, 'Miles', 'kilometres')).toEqual({ value: 5, from: 'mi', to: 'km', result: 8.04672, category: 'length' });
    expect(convert(100, 'degrees Celsius', '°F')).toEqual({ value: 100, from: 'C', to: 'F', result: 212, category: 'temperature' });
    expect(convert(2, 'GiB', 'kb')).toEqual({ value: 2, from: 'GiB', to: 'KB', result: 2147483.648, category: 'data' });
  });

  test('results are rounded to 10 significant digits', () => {
    expect(convert(1, 'ft', 'in').result).toBe(12); // 12.000000000000002 unrounded
    expect(convert(0.57, 'm', 'cm').result).toBe(57); // 56.99999999999999 unrounded
    expect(convert(1, 'oz', 'g').result).toBe(28.34952313); // 28.349523125
    expect(convert(1, 'B', 'TB').result).toBe(1e-12);
    expect(convert(123456789012, 'm', 'mm').result).toBe(123456789000000);
    expect(Object.is(convert(-1e-20, 'm', 'km').result, -1e-23)).toBe(true);
  });

  test.each([
    ['meters', 'm'], ['Metres', 'm'], ['meter', 'm'], ['M', 'm'], ['km', 'km'], ['KM', 'km'], ['kilometers', 'km'],
    ['millimetres', 'mm'], ['centimeter', 'cm'], ['inches', 'in'], ['inch', 'in'], ['feet', 'ft'], ['foot', 'ft'],
    ['yards', 'yd'], ['miles', 'mi'], ['Mile', 'mi'], ['nautical miles', 'nmi'],
    ['kilograms', 'kg'], ['kilos', 'kg'], ['grams', 'g'], ['pounds', 'lb'], ['lbs', 'lb'], ['LB', 'lb'], ['ounces', 'oz'],
    ['stone', 'st'], ['tonnes', 't'], ['milligrams', 'mg'],
    ['celsius', 'C'], ['c', 'C'], ['°C', 'C'], ['° C', 'C'], ['degrees Fahrenheit', 'F'], ['°f', 'F'], ['Kelvin', 'K'], ['k', 'K'],
    ['℃', 'C'],
    ['liters', 'l'], ['litres', 'l'], ['L', 'l'], ['mL', 'ml'], ['millilitres', 'ml'], ['teaspoons', 'tsp'], ['tablespoons', 'tbsp'],
    ['cups', 'cup'], ['fl oz', 'fl_oz'], ['fluid ounces', 'fl_oz'], ['pints', 'pt'], ['quarts', 'qt'], ['gallons', 'gal'],
    ['kph', 'km/h'], ['KMH', 'km/h'], ['kilometers per hour', 'km/h'], ['miles per hour', 'mph'], ['knots', 'kn'], ['M/S', 'm/s'],
    ['seconds', 's'], ['minutes', 'min'], ['mins', 'min'], ['hours', 'h'], ['hrs', 'h'], ['days', 'day'], ['weeks', 'week'],
    ['bytes', 'B'], ['kilobytes', 'KB'], ['mb', 'MB'], ['Gigabytes', 'GB'], ['tb', 'TB'], ['kib', 'KiB'], ['mebibytes', 'MiB'], ['gib', 'GiB'],
    ['square meters', 'm2'], ['m²', 'm2'], ['sq km', 'km2'], ['hectares', 'ha'], ['acres', 'acre'], ['square feet', 'ft2'], ['sq ft', 'ft2'],
    ['  feet  ', 'ft'],
  ])('%j is %s', (name, symbol) => {
    expect(findUnit(name)?.symbol).toBe(symbol);
  });

  test('the plural rule does not turn two-letter symbols into other units', () => {
    expect(findUnit('ms')).toBeUndefined(); // not metres
    expect(findUnit('ks')).toBeUndefined(); // not kelvins
    expect(findUnit('nm')).toBeUndefined(); // nanometres are not nautical miles
    expect(findUnit('constructor')).toBeUndefined();
    expect(findUnit('__proto__')).toBeUndefined();
  });

  test('unknown units, mixed categories and bad values fail with a clear message', () => {
    const expectUnitError = (f: () => unknown, message: string | RegExp) => {
      expect(f).toThrow(UnitError);
      expect(f).toThrow(message);
    };
    expectUnitError(() => convert(1, 'furlong', 'm'), /^Unknown unit "furlong"\. Known units — length: mm, cm, m, km, in, ft, yd, mi, nmi; mass: mg, g, kg, t, oz, lb, st; temperature: C, F, K; volume: ml, l, tsp, tbsp, cup, fl_oz, pt, qt, gal; speed: m\/s, km\/h, mph, kn; time: s, min, h, day, week; data: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB; area: m2, km2, ha, acre, ft2\.$/);
    expectUnitError(() => convert(1, 'm', 'parsec'), /Unknown unit "parsec"/);
    expectUnitError(() => convert(1, 'kg', 'm'), 'Cannot convert kg (mass) to m (length).');
    expectUnitError(() => convert(1, 'pounds', 'liters'), 'Cannot convert lb (mass) to l (volume).');
    expectUnitError(() => convert(1, 'C', 'km/h'), 'Cannot convert C (temperature) to km/h (speed).');
    expectUnitError(() => convert(Number.NaN, 'm', 'km'), 'The value to convert must be a finite number, got NaN.');
    expectUnitError(() => convert(Infinity, 'm', 'km'), 'got Infinity');
    expectUnitError(() => convert('5' as unknown as number, 'm', 'km'), 'got "5"');
    expectUnitError(() => convert(1e308, 'km', 'mm'), 'is too large');
  });

  test('every category lists its units, each of which resolves to itself', () => {
    expect(Object.keys(UNITS_BY_CATEGORY)).toEqual(['length', 'mass', 'temperature', 'volume', 'speed', 'time', 'data', 'area']);
    for (const [category, units] of Object.entries(UNITS_BY_CATEGORY)) {
      for (const u of units) expect(findUnit(u)).toEqual({ symbol: u, category });
    }
  });

  test('a → b → a gives the value back, for every pair of units in a category', () => {
    const pairs = Object.entries(UNITS_BY_CATEGORY).flatMap(([category, units]) =>
      units.flatMap((a) => units.map((b) => ({ category, a, b }))),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...pairs),
        fc.oneof(
          fc.integer({ min: -1_000_000, max: 1_000_000 }),
          // Not so tiny that a factor of 1e-3 underflows to 0 (5e-324 oz is 0 kg).
          fc.double({ min: -1e6, max: 1e6, noNaN: true }).filter((v) => v === 0 || Math.abs(v) > 1e-200),
        ),
        ({ category, a, b }, value) => {
          const there = convert(value, a, b);
          expect(there.category).toBe(category);
          const back = convert(there.result, b, a).result;
          // Two roundings to 10 significant digits; temperatures are affine, so the error is relative to
          // the magnitude on the absolute scale, not to the value.
          const scale = category === 'temperature' ? Math.abs(value) + 500 : Math.abs(value);
          expect(Math.abs(back - value), `${value} ${a} → ${there.result} ${b} → ${back}`).toBeLessThanOrEqual(scale * 2e-9);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('conversions are linear within a non-temperature category (2x converts to twice the result)', () => {
    const pairs = Object.entries(UNITS_BY_CATEGORY)
      .filter(([c]) => c !== 'temperature')
      .flatMap(([, units]) => units.flatMap((a) => units.map((b) => [a, b] as const)));
    fc.assert(
      fc.property(fc.constantFrom(...pairs), fc.double({ min: 1e-3, max: 1e6, noNaN: true }), ([a, b], value) => {
        const one = convert(value, a, b).result;
        const two = convert(2 * value, a, b).result;
        expect(Math.abs(two - 2 * one)).toBeLessThanOrEqual(Math.abs(one) * 1e-9);
      }),
    );
  });
});

// =================================================================================================================
// time

describe('current_time', () => {
  const NOW = new Date('2026-11-21T12:00:00Z'); // a Saturday

  test.each([
    ['Europe/Paris', '2026-11-21T13:00:00+01:00', 'Saturday, 21 November 2026', '13:00:00', '+01:00'],
    ['America/New_York', '2026-11-21T07:00:00-05:00', 'Saturday, 21 November 2026', '07:00:00', '-05:00'],
    ['Asia/Kolkata', '2026-11-21T17:30:00+05:30', 'Saturday, 21 November 2026', '17:30:00', '+05:30'],
    ['Asia/Kathmandu', '2026-11-21T17:45:00+05:45', 'Saturday, 21 November 2026', '17:45:00', '+05:45'],
    ['America/St_Johns', '2026-11-21T08:30:00-03:30', 'Saturday, 21 November 2026', '08:30:00', '-03:30'],
    ['Pacific/Kiritimati', '2026-11-22T02:00:00+14:00', 'Sunday, 22 November 2026', '02:00:00', '+14:00'],
    ['Pacific/Pago_Pago', '2026-11-21T01:00:00-11:00', 'Saturday, 21 November 2026', '01:00:00', '-11:00'],
    ['UTC', '2026-11-21T12:00:00+00:00', 'Saturday, 21 November 2026', '12:00:00', '+00:00'],
    ['Australia/Sydney', '2026-11-21T23:00:00+11:00', 'Saturday, 21 November 2026', '23:00:00', '+11:00'], // summer time
  ])('%s', (zone, iso, date, time, offset) => {
    expect(currentTime(zone, NOW)).toEqual({ time_zone: zone, iso, date, time, utc_offset: offset });
  });

  test('summer time and midnight', () => {
    const july = new Date('2026-07-04T22:15:30Z');
    expect(currentTime('Europe/Paris', july)).toMatchObject({ iso: '2026-07-05T00:15:30+02:00', time: '00:15:30', date: 'Sunday, 5 July 2026' });
    expect(currentTime('America/New_York', july)).toMatchObject({ iso: '2026-07-04T18:15:30-04:00', utc_offset: '-04:00' });
    expect(currentTime('America/Los_Angeles', new Date('2026-01-01T08:00:00Z'))).toMatchObject({ time: '00:00:00', date: 'Thursday, 1 January 2026' });
  });

  test('a historical local mean time keeps its seconds', () => {
    expect(currentTime('Europe/Paris', new Date('1890-01-01T12:00:00Z')).utc_offset).toBe('+00:09:21');
  });

  test('names are matched case-insensitively; "local", "" and no zone mean the runtime\'s zone', () => {
    expect(currentTime('europe/paris', NOW).time_zone).toBe('Europe/Paris');
    expect(currentTime('AMERICA/NEW_YORK', NOW).time).toBe('07:00:00');
    expect(currentTime('america/new york', NOW).time_zone).toBe('America/New_York');
    expect(currentTime('utc', NOW).utc_offset).toBe('+00:00');
    expect(resolveTimeZone(' Asia/Tokyo ')).toBe('Asia/Tokyo');
    // A name the runtime knows under another alias is kept as given; in lower case, either spelling will do.
    expect(resolveTimeZone('Asia/Kolkata')).toBe('Asia/Kolkata');
    expect(['Asia/Kolkata', 'Asia/Calcutta']).toContain(resolveTimeZone('asia/kolkata'));
    expect(currentTime('asia/kolkata', NOW).utc_offset).toBe('+05:30');
    const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
    expect(localTimeZone()).toBe(local);
    for (const z of [undefined, '', 'local', 'Local', ' LOCAL ']) expect(currentTime(z, NOW).time_zone).toBe(local);
  });

  test('an unknown zone is an error that says what to use', () => {
    const message = 'Unknown time zone "Mars/Base": use an IANA name such as "Europe/Paris" or "America/New_York".';
    expect(() => currentTime('Mars/Base', NOW)).toThrow(TimeZoneError);
    expect(() => currentTime('Mars/Base', NOW)).toThrow(message);
    expect(() => currentTime('Paris', NOW)).toThrow('Unknown time zone "Paris"');
    expect(() => currentTime('constructor', NOW)).toThrow(TimeZoneError);
    expect(() => currentTime('UTC', new Date(Number.NaN))).toThrow('valid date');
  });

  test('defaults to the current instant', () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const t = currentTime('UTC');
    const after = Date.now();
    const at = Date.parse(t.iso);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(after);
  });

  test('for any instant and zone, the ISO string is that instant (to the second) and agrees with the other fields', () => {
    const zones = ['UTC', 'Europe/Paris', 'Europe/London', 'America/New_York', 'America/Sao_Paulo', 'Asia/Kolkata',
      'Asia/Kathmandu', 'Australia/Adelaide', 'Pacific/Chatham', 'Pacific/Kiritimati', 'Africa/Casablanca', 'America/Adak'];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2100, 0, 1) }),
        fc.constantFrom(...zones),
        (ms, zone) => {
          const t = currentTime(zone, new Date(ms));
          expect(t.iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
          expect(Date.parse(t.iso)).toBe(Math.floor(ms / 1000) * 1000);
          expect(t.iso.slice(11, 19)).toBe(t.time);
          expect(t.iso.slice(19)).toBe(t.utc_offset);
          const [y, m, d] = t.iso.slice(0, 10).split('-').map(Number);
          expect(t.date).toMatch(new RegExp(`^[A-Z][a-z]+day, ${d} [A-Z][a-z]+ ${y}$`));
          expect(t.date.split(' ')[2]).toBe(new Date(Date.UTC(y, m - 1, 1)).toLocaleString('en-US', { month: 'long', timeZone: 'UTC' }));
          expect(t.date.split(',')[0]).toBe(new Date(Date.UTC(y, m - 1, d)).toLocaleString('en-US', { weekday: 'long', timeZone: 'UTC' }));
        },
      ),
      { numRuns: 300 },
    );
  });
});

// =================================================================================================================
// the registry

describe('DEMO_TOOLS', () => {
  test('three strict function tools whose every property is required and nothing else allowed', () => {
    expect(DEMO_TOOLS.map((t) => t.name)).toEqual(['calculator', 'current_time', 'convert_units']);
    for (const tool of DEMO_TOOLS) {
      expect(tool.type).toBe('function');
      expect(tool.strict).toBe(true);
      expect(tool.description.length).toBeGreaterThan(20);
      expect(tool.parameters.type).toBe('object');
      expect(tool.parameters.additionalProperties).toBe(false);
      expect([...tool.parameters.required].sort()).toEqual(Object.keys(tool.parameters.properties).sort());
    }
    expect(DEMO_TOOLS[0].parameters.properties).toEqual({ expression: { type: 'string', description: expect.any(String) } });
    expect(DEMO_TOOLS[1].parameters.properties.time_zone.description).toMatch(/IANA name, e\.g\. Europe\/Paris; 'local' for the user's zone/);
    expect(DEMO_TOOLS[2].parameters.properties).toMatchObject({ value: { type: 'number' }, from: { type: 'string' }, to: { type: 'string' } });
  });

  test('they are accepted as the Responses API tools of a request, and their strict schemas are enforceable', () => {
    const tools: OpenAI.Responses.FunctionTool[] = DEMO_TOOLS; // the SDK's type accepts them as they are
    const request = parseCreateRequest({ model: 'm', input: 'hi', tools });
    expect(request.tools.map((t) => [t.name, t.strict])).toEqual([['calculator', true], ['current_time', true], ['convert_units', true]]);
    const validate = strictArgumentsValidator(request.tools);
    expect(validate('calculator', '{"expression": "1+1"}')).toBeNull();
    expect(validate('current_time', '{"time_zone": "local"}')).toBeNull();
    expect(validate('convert_units', '{"value": 5, "from": "mi", "to": "km"}')).toBeNull();
    expect(validate('calculator', '{"expression": "1+1", "extra": 1}')).toMatch(/do not match its strict schema/);
    expect(validate('current_time', '{}')).toMatch(/time_zone/);
    expect(validate('convert_units', '{"value": "5", "from": "mi", "to": "km"}')).toMatch(/value/);
  });
});

describe('runTool', () => {
  const NOW = new Date('2026-11-21T12:00:00Z');
  const parsed = (r: { output: string }) => JSON.parse(r.output);

  test('calculator: {"result": n}', () => {
    expect(runTool('calculator', '{"expression": "6 * 7"}')).toEqual({ output: '{"result":42}', ok: true });
    expect(parsed(runTool('calculator', '{"expression": "0.1 + 0.2"}'))).toEqual({ result: 0.3 }); // float noise hidden
    expect(parsed(runTool('calculator', '{"expression": "-0"}'))).toEqual({ result: 0 });
    expect(parsed(runTool('calculator', JSON.stringify({ expression: '2^0.5' }))).result).toBeCloseTo(Math.SQRT2, 14);
  });

  test('calculator errors come back as {"error"} with ok false', () => {
    const r = runTool('calculator', '{"expression": "1/0"}');
    expect(r.ok).toBe(false);
    expect(parsed(r)).toEqual({ error: 'Division by zero at position 1.' });
    expect(parsed(runTool('calculator', '{"expression": "foo(1)"}')).error).toMatch(/^Unknown function "foo"/);
    expect(runTool('calculator', '{}')).toEqual({ output: JSON.stringify({ error: 'calculator: "expression" must be a string (it is missing).' }), ok: false });
    expect(parsed(runTool('calculator', '{"expression": 42}')).error).toBe('calculator: "expression" must be a string, got 42.');
  });

  test('current_time returns the object', () => {
    const r = runTool('current_time', '{"time_zone": "Asia/Kolkata"}', { now: NOW });
    expect(r.ok).toBe(true);
    expect(parsed(r)).toEqual({
      time_zone: 'Asia/Kolkata',
      iso: '2026-11-21T17:30:00+05:30',
      date: 'Saturday, 21 November 2026',
      time: '17:30:00',
      utc_offset: '+05:30',
    });
    const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
    expect(parsed(runTool('current_time', '{"time_zone": "local"}', { now: NOW })).time_zone).toBe(local);
    expect(parsed(runTool('current_time', '', { now: NOW })).time_zone).toBe(local); // "" arguments: {}
    expect(parsed(runTool('current_time', '{}', { now: NOW })).time_zone).toBe(local);
    const live = parsed(runTool('current_time', '{"time_zone": "UTC"}'));
    expect(Math.abs(Date.parse(live.iso) - Date.now())).toBeLessThan(5000);
  });

  test('current_time: an unknown zone', () => {
    expect(runTool('current_time', '{"time_zone": "Mars/Base"}')).toEqual({
      output: JSON.stringify({ error: 'Unknown time zone "Mars/Base": use an IANA name such as "Europe/Paris" or "America/New_York".' }),
      ok: false,
    });
    expect(parsed(runTool('current_time', '{"time_zone": 5}')).error).toMatch(/"time_zone" must be a string, got 5/);
  });

  test('convert_units returns the object', () => {
    const r = runTool('convert_units', '{"value": 5, "from": "miles", "to": "km"}');
    expect(r).toEqual({ output: JSON.stringify({ value: 5, from: 'mi', to: 'km', result: 8.04672, category: 'length' }), ok: true });
    expect(parsed(runTool('convert_units', '{"value": "100", "from": "C", "to": "F"}')).result).toBe(212); // a quoted number
    const bad = runTool('convert_units', '{"value": 1, "from": "kg", "to": "m"}');
    expect(bad).toEqual({ output: JSON.stringify({ error: 'Cannot convert kg (mass) to m (length).' }), ok: false });
    expect(parsed(runTool('convert_units', '{"value": "five", "from": "m", "to": "km"}')).error).toBe('convert_units: "value" must be a number, got "five".');
    expect(parsed(runTool('convert_units', '{"value": 1, "from": "m"}')).error).toBe('convert_units: "to" must be a string (it is missing).');
  });

  test('bad JSON, JSON that is not an object and unknown tools give ok false', () => {
    const bad = runTool('calculator', '{"expression": "1+1"');
    expect(bad.ok).toBe(false);
    expect(parsed(bad).error).toMatch(/^The arguments of calculator are not valid JSON \(/);
    for (const args of ['[1]', '42', 'null', '"1+1"']) {
      const r = runTool('calculator', args);
      expect(r.ok, args).toBe(false);
      expect(parsed(r).error, args).toMatch(/must be a JSON object/);
    }
    expect(runTool('get_weather', '{"city": "Paris"}')).toEqual({
      output: JSON.stringify({ error: 'Unknown tool "get_weather". The tools are: calculator, current_time, convert_units.' }),
      ok: false,
    });
    expect(parsed(runTool('constructor', '{}')).error).toMatch(/Unknown tool "constructor"/);
    expect(parsed(runTool('nope', '{not json')).error).toMatch(/Unknown tool "nope"/);
  });

  test('never throws, and always returns a JSON object with a result or an error', () => {
    const names = fc.oneof(fc.constantFrom('calculator', 'current_time', 'convert_units'), fc.string({ maxLength: 12 }));
    const args = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.json({ maxDepth: 2 }),
      fc.record({ expression: fc.string({ maxLength: 30 }) }).map((o) => JSON.stringify(o)),
      fc.record({ time_zone: fc.constantFrom('UTC', 'local', 'Europe/Paris', 'nowhere', '') }).map((o) => JSON.stringify(o)),
      fc.record({ value: fc.oneof(fc.double(), fc.string({ maxLength: 5 })), from: fc.constantFrom('m', 'kg', 'x'), to: fc.constantFrom('km', 'lb', 'F') }).map((o) => JSON.stringify(o)),
    );
    fc.assert(
      fc.property(names, args, (name, argumentsJson) => {
        const r = runTool(name, argumentsJson, { now: NOW });
        expect(typeof r.ok).toBe('boolean');
        const out = JSON.parse(r.output);
        expect(typeof out).toBe('object');
        if (r.ok) expect(out).not.toHaveProperty('error');
        else expect(typeof out.error).toBe('string');
      }),
      { numRuns: 500 },
    );
  });
});
