/**
 * The demo's `calculator` tool: an arithmetic expression evaluator (a tokenizer and a recursive-descent
 * parser building a small tree, then an evaluator). Never `eval` or `Function`; no dependencies.
 *
 * Grammar (lowest to highest precedence):
 *
 *     expression := term (('+' | '-') term)*
 *     term       := unary (('*' | '/' | '%') unary)*           % is the remainder (sign of the dividend)
 *     unary      := ('+' | '-') unary | power
 *     power      := primary (('^' | '**') unary)?              right-associative; -2^2 = -(2^2) = -4
 *     primary    := number | constant | function '(' args ')' | '(' expression ')'
 *
 * Numbers: `12`, `1.5`, `.5`, `5.`, `1e-3`, `2.5E+4`. Constants: `pi` (or `π`), `e`. Identifiers are
 * case-insensitive. `×`, `÷` and `−` (U+2212) are aliases of `*`, `/` and `-`. There is no implicit
 * multiplication (`2pi` and `2(3)` are errors). Trigonometric functions work in radians.
 */

/** An error in the expression or its evaluation; `position` is the index (UTF-16) in the input it concerns. */
export class CalculatorError extends Error {
  readonly position: number;
  constructor(message: string, position: number) {
    super(message);
    this.name = 'CalculatorError';
    this.position = position;
  }
}

/** The longest expression accepted, in characters. */
export const MAX_EXPRESSION_LENGTH = 500;
/** The deepest nesting accepted: parentheses, function calls, unary signs and exponents each count one level. */
export const MAX_NESTING_DEPTH = 100;

interface FunctionSpec {
  min: number;
  max: number; // Infinity for variadic
  fn: (...args: number[]) => number;
}

/** Rounds half away from zero (round(-2.5) = -3), as people expect, unlike Math.round. */
function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

const FUNCTIONS: ReadonlyMap<string, FunctionSpec> = new Map<string, FunctionSpec>([
  ['sqrt', { min: 1, max: 1, fn: Math.sqrt }],
  ['cbrt', { min: 1, max: 1, fn: Math.cbrt }],
  ['abs', { min: 1, max: 1, fn: Math.abs }],
  ['round', { min: 1, max: 1, fn: roundHalfAway }],
  ['floor', { min: 1, max: 1, fn: Math.floor }],
  ['ceil', { min: 1, max: 1, fn: Math.ceil }],
  ['sin', { min: 1, max: 1, fn: Math.sin }],
  ['cos', { min: 1, max: 1, fn: Math.cos }],
  ['tan', { min: 1, max: 1, fn: Math.tan }],
  ['asin', { min: 1, max: 1, fn: Math.asin }],
  ['acos', { min: 1, max: 1, fn: Math.acos }],
  ['atan', { min: 1, max: 1, fn: Math.atan }],
  ['ln', { min: 1, max: 1, fn: Math.log }],
  ['log', { min: 1, max: 1, fn: Math.log10 }],
  ['log2', { min: 1, max: 1, fn: Math.log2 }],
  ['exp', { min: 1, max: 1, fn: Math.exp }],
  ['min', { min: 1, max: Infinity, fn: Math.min }],
  ['max', { min: 1, max: Infinity, fn: Math.max }],
]);

const CONSTANTS: ReadonlyMap<string, number> = new Map([
  ['pi', Math.PI],
  ['π', Math.PI],
  ['e', Math.E],
]);

/** The function names, for error messages and tool descriptions. */
export const KNOWN_FUNCTIONS: readonly string[] = [...FUNCTIONS.keys()];
/** The constant names, for error messages and tool descriptions. */
export const KNOWN_CONSTANTS: readonly string[] = ['pi', 'e'];

const KNOWN_LIST = `Known constants: ${KNOWN_CONSTANTS.join(', ')}. Known functions: ${KNOWN_FUNCTIONS.join(', ')}.`;

// ---------------------------------------------------------------------------------------------------------------
// Tokens

type Op = '+' | '-' | '*' | '/' | '%' | '^';

type Token =
  | { kind: 'number'; value: number; pos: number; end: number }
  | { kind: 'ident'; name: string; raw: string; pos: number; end: number }
  | { kind: 'op'; op: Op; text: string; pos: number; end: number }
  | { kind: '(' | ')' | ',' | 'end'; pos: number; end: number };

const OP_ALIASES: Readonly<Record<string, Op>> = {
  '+': '+',
  '-': '-',
  '\u2212': '-', // − minus sign
  '*': '*',
  '\u00d7': '*', // × multiplication sign
  '/': '/',
  '\u00f7': '/', // ÷ division sign
  '%': '%',
  '^': '^',
};

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isIdentStart = (c: string | undefined) => c !== undefined && /[A-Za-z_π]/.test(c);
const isIdentPart = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_]/.test(c);
const isSpace = (c: string) => /\s/.test(c);

/** Quotes a character for a message, naming the invisible ones. */
function showChar(ch: string): string {
  const code = ch.codePointAt(0)!;
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `"${ch}"`;
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    if (isDigit(c) || (c === '.' && isDigit(src[i + 1]))) {
      while (isDigit(src[i])) i++;
      if (src[i] === '.') {
        i++;
        while (isDigit(src[i])) i++;
      }
      // An exponent only when digits follow: in `2e` or `2e+pi` the `e` is not part of the number.
      if (src[i] === 'e' || src[i] === 'E') {
        let j = i + 1;
        if (src[j] === '+' || src[j] === '-') j++;
        if (isDigit(src[j])) {
          while (isDigit(src[j])) j++;
          i = j;
        }
      }
      tokens.push({ kind: 'number', value: Number(src.slice(start, i)), pos: start, end: i });
      continue;
    }
    if (isIdentStart(c)) {
      i++;
      if (c !== 'π') while (isIdentPart(src[i])) i++;
      const raw = src.slice(start, i);
      tokens.push({ kind: 'ident', name: raw.toLowerCase(), raw, pos: start, end: i });
      continue;
    }
    if (c === '*' && src[i + 1] === '*') {
      tokens.push({ kind: 'op', op: '^', text: '**', pos: start, end: i + 2 });
      i += 2;
      continue;
    }
    const op = Object.prototype.hasOwnProperty.call(OP_ALIASES, c) ? OP_ALIASES[c] : undefined;
    if (op) {
      tokens.push({ kind: 'op', op, text: c, pos: start, end: i + 1 });
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: c, pos: start, end: i + 1 });
      i++;
      continue;
    }
    const ch = String.fromCodePoint(src.codePointAt(i)!);
    const hint = c === '=' ? ' (write only the expression, without "=")' : '';
    throw new CalculatorError(`Unexpected character ${showChar(ch)} at position ${i}${hint}.`, i);
  }
  tokens.push({ kind: 'end', pos: src.length, end: src.length });
  return tokens;
}

// ---------------------------------------------------------------------------------------------------------------
// Tree

type Node =
  | { type: 'num'; value: number; pos: number; end: number }
  | { type: 'neg'; arg: Node; pos: number; end: number }
  | { type: 'bin'; op: Op; left: Node; right: Node; opPos: number; pos: number; end: number }
  | { type: 'call'; name: string; args: Node[]; pos: number; end: number };

function describeToken(t: Token): string {
  switch (t.kind) {
    case 'number':
      return `number ${t.value}`;
    case 'ident':
      return `"${t.raw}"`;
    case 'op':
      return `operator "${t.text}"`;
    case 'end':
      return 'the end of the expression';
    default:
      return `"${t.kind}"`;
  }
}

class Parser {
  private i = 0;
  private depth = 0;
  /** The currently open parentheses, innermost last: where, and whether they hold function arguments. */
  private readonly open: Array<{ pos: number; call: boolean }> = [];

  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.i];
  }

  private next(): Token {
    return this.tokens[this.i++];
  }

  private enter(pos: number): void {
    if (++this.depth > MAX_NESTING_DEPTH) {
      throw new CalculatorError(
        `The expression is nested too deeply at position ${pos} (more than ${MAX_NESTING_DEPTH} levels of parentheses, functions, signs or exponents).`,
        pos,
      );
    }
  }

  private leave(): void {
    this.depth--;
  }

  parse(): Node {
    const node = this.expression();
    const t = this.peek();
    if (t.kind !== 'end') this.unexpected(t, 'an operator');
    return node;
  }

  private expression(): Node {
    let left = this.term();
    for (let t = this.peek(); t.kind === 'op' && (t.op === '+' || t.op === '-'); t = this.peek()) {
      this.next();
      const right = this.term();
      left = { type: 'bin', op: t.op, left, right, opPos: t.pos, pos: left.pos, end: right.end };
    }
    return left;
  }

  private term(): Node {
    let left = this.unary();
    for (let t = this.peek(); t.kind === 'op' && (t.op === '*' || t.op === '/' || t.op === '%'); t = this.peek()) {
      this.next();
      const right = this.unary();
      left = { type: 'bin', op: t.op, left, right, opPos: t.pos, pos: left.pos, end: right.end };
    }
    return left;
  }

  private unary(): Node {
    const t = this.peek();
    if (t.kind === 'op' && (t.op === '+' || t.op === '-')) {
      this.next();
      this.enter(t.pos);
      const arg = this.unary();
      this.leave();
      return t.op === '-' ? { type: 'neg', arg, pos: t.pos, end: arg.end } : { ...arg, pos: t.pos };
    }
    return this.power();
  }

  private power(): Node {
    const base = this.primary();
    const t = this.peek();
    if (t.kind === 'op' && t.op === '^') {
      this.next();
      this.enter(t.pos);
      const exponent = this.unary(); // right-associative, and 2^-1 is allowed
      this.leave();
      return { type: 'bin', op: '^', left: base, right: exponent, opPos: t.pos, pos: base.pos, end: exponent.end };
    }
    return base;
  }

  private primary(): Node {
    const t = this.next();
    switch (t.kind) {
      case 'number':
        return { type: 'num', value: t.value, pos: t.pos, end: t.end };
      case '(': {
        this.enter(t.pos);
        this.open.push({ pos: t.pos, call: false });
        const inner = this.expression();
        this.close(t.pos);
        this.open.pop();
        this.leave();
        return { ...inner, pos: t.pos, end: this.tokens[this.i - 1].end };
      }
      case 'ident':
        return this.identifier(t);
      default:
        this.i--;
        return this.unexpected(t, 'a number, a constant, a function or "("');
    }
  }

  private identifier(t: Extract<Token, { kind: 'ident' }>): Node {
    const calls = this.peek().kind === '(';
    const constant = CONSTANTS.get(t.name);
    if (constant !== undefined) {
      if (calls) throw new CalculatorError(`"${t.name}" at position ${t.pos} is a constant, not a function.`, t.pos);
      return { type: 'num', value: constant, pos: t.pos, end: t.end };
    }
    const spec = FUNCTIONS.get(t.name);
    if (!spec) {
      const what = calls ? 'function' : 'identifier';
      throw new CalculatorError(`Unknown ${what} "${t.raw}" at position ${t.pos}. ${KNOWN_LIST}`, t.pos);
    }
    if (!calls) {
      throw new CalculatorError(
        `The function "${t.name}" at position ${t.pos} must be called with parentheses, e.g. ${t.name}(2).`,
        t.pos,
      );
    }
    const paren = this.next();
    this.enter(paren.pos);
    this.open.push({ pos: paren.pos, call: true });
    const args: Node[] = [];
    if (this.peek().kind !== ')') {
      args.push(this.expression());
      while (this.peek().kind === ',') {
        this.next();
        args.push(this.expression());
      }
    }
    this.close(paren.pos);
    this.open.pop();
    this.leave();
    if (args.length < spec.min || args.length > spec.max) {
      const expected =
        spec.max === Infinity
          ? `at least ${spec.min} argument${spec.min === 1 ? '' : 's'}`
          : spec.min === spec.max
            ? `${spec.min} argument${spec.min === 1 ? '' : 's'}`
            : `${spec.min} to ${spec.max} arguments`;
      throw new CalculatorError(
        `The function "${t.name}" at position ${t.pos} takes ${expected}, but got ${args.length}.`,
        t.pos,
      );
    }
    return { type: 'call', name: t.name, args, pos: t.pos, end: this.tokens[this.i - 1].end };
  }

  /** Consumes the ')' closing the '(' at `openPos`. */
  private close(openPos: number): void {
    const t = this.peek();
    if (t.kind === ')') {
      this.next();
      return;
    }
    if (t.kind === 'end') {
      throw new CalculatorError(
        `Unbalanced parentheses: the "(" at position ${openPos} is never closed (add ")" at the end).`,
        openPos,
      );
    }
    this.unexpected(t, 'an operator or ")"');
  }

  private unexpected(t: Token, expected: string): never {
    if (t.kind === ')') {
      if (this.open.length === 0) {
        throw new CalculatorError(`Unbalanced parentheses: the ")" at position ${t.pos} has no matching "(".`, t.pos);
      }
      throw new CalculatorError(`Unexpected ")" at position ${t.pos}: expected ${expected}.`, t.pos);
    }
    if (t.kind === ',') {
      const inCall = this.open.length > 0 && this.open[this.open.length - 1].call;
      const why = !inCall ? ' (commas only separate function arguments, e.g. max(1, 2))' : '';
      throw new CalculatorError(`Unexpected "," at position ${t.pos}${why}: expected ${expected}.`, t.pos);
    }
    if (t.kind === 'end') {
      throw new CalculatorError(`The expression ends too early: expected ${expected} at position ${t.pos}.`, t.pos);
    }
    if (t.kind === 'ident' && t.name === 'x') {
      throw new CalculatorError(`Unexpected "x" at position ${t.pos}: use "*" to multiply.`, t.pos);
    }
    const prev = this.tokens[this.i - 1];
    const implicit =
      prev && (prev.kind === 'number' || prev.kind === 'ident' || prev.kind === ')') &&
      (t.kind === 'number' || t.kind === 'ident' || t.kind === '(')
        ? ' (there is no implicit multiplication: write "*")'
        : '';
    throw new CalculatorError(`Unexpected ${describeToken(t)} at position ${t.pos}: expected ${expected}${implicit}.`, t.pos);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluation

function evalNode(node: Node, src: string): number {
  let value: number;
  switch (node.type) {
    case 'num':
      value = node.value;
      break;
    case 'neg':
      value = -evalNode(node.arg, src);
      break;
    case 'call': {
      const args = node.args.map((a) => evalNode(a, src));
      value = FUNCTIONS.get(node.name)!.fn(...args);
      break;
    }
    case 'bin': {
      const a = evalNode(node.left, src);
      const b = evalNode(node.right, src);
      switch (node.op) {
        case '+':
          value = a + b;
          break;
        case '-':
          value = a - b;
          break;
        case '*':
          value = a * b;
          break;
        case '/':
        case '%':
          if (b === 0) {
            const what = node.op === '/' ? 'Division' : 'Modulo (remainder)';
            const divisor = node.right.type === 'num' ? '' : `: "${src.slice(node.right.pos, node.right.end).trim()}" is 0`;
            throw new CalculatorError(`${what} by zero at position ${node.opPos}${divisor}.`, node.opPos);
          }
          value = node.op === '/' ? a / b : a % b;
          break;
        case '^':
          value = a ** b;
          break;
      }
      break;
    }
  }
  if (!Number.isFinite(value)) {
    const text = src.slice(node.pos, node.end).trim();
    const kind = Number.isNaN(value) ? 'not a real number (NaN)' : `infinite (${value})`;
    throw new CalculatorError(`The result is not a finite number: "${text}" at position ${node.pos} is ${kind}.`, node.pos);
  }
  return value;
}

/**
 * Evaluates an arithmetic expression, e.g. `evaluate("2 * (3 + 4)^2")` → 98. Throws `CalculatorError`
 * (with the `position` it concerns) for any malformed expression or a result that is not a finite number.
 */
export function evaluate(expression: string): number {
  if (typeof expression !== 'string') throw new CalculatorError('The expression must be a string.', 0);
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    throw new CalculatorError(
      `The expression is too long (${expression.length} characters; the limit is ${MAX_EXPRESSION_LENGTH}).`,
      MAX_EXPRESSION_LENGTH,
    );
  }
  if (expression.trim() === '') throw new CalculatorError('The expression is empty.', 0);
  const tree = new Parser(tokenize(expression)).parse();
  return evalNode(tree, expression);
}
