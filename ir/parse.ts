import { DTYPES, type DType, intRange, isInteger, newTensorData } from './dtype.js';
import { TilecError } from './errors.js';
import type { Graph, QuantParams, ValueType } from './graph.js';
import { type Node, type OpName, isOpName } from './ops.js';
import { type Tensor, numel, shapeStr } from './tensor.js';
import { type AttrKind, attrSpecs } from './text/attr-schema.js';
import { BARE_NAME_CHAR, NUMBER, parseNumberToken, tensorFromBytes } from './text/syntax.js';
import { printType } from './print.js';

// Reads the textual IR that printGraph writes (grammar: docs/ir.md). A hand-written recursive
// descent over the characters: every error carries source:line:col. It checks the syntax, the
// attribute names/kinds of each op and the tensor data; graph-level rules (SSA, shapes) are the
// verifier's job, so a broken graph printed for a bug report still parses.

const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

type AttrValue = number | readonly number[] | string | boolean | Tensor;

class Cursor {
  pos = 0;
  constructor(readonly text: string, readonly source: string) {}

  fail(message: string, at = this.pos): never {
    let line = 1, lineStart = 0;
    for (let i = 0; i < at && i < this.text.length; i++) if (this.text.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
    throw new TilecError(`${this.source}:${line}:${at - lineStart + 1}: ${message}`);
  }

  /** Skips blanks and `#` comments; returns the position of the next token. */
  skip(): number {
    const t = this.text;
    while (this.pos < t.length) {
      const ch = t[this.pos]!;
      if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') this.pos++;
      else if (ch === '#') { while (this.pos < t.length && t[this.pos] !== '\n') this.pos++; }
      else break;
    }
    return this.pos;
  }

  peek(): string { this.skip(); return this.text[this.pos] ?? ''; }

  atEnd(): boolean { this.skip(); return this.pos >= this.text.length; }

  eat(s: string): boolean {
    this.skip();
    if (!this.text.startsWith(s, this.pos)) return false;
    this.pos += s.length;
    return true;
  }

  expect(s: string, context: string): void {
    if (!this.eat(s)) this.fail(`expected '${s}' ${context}, found ${this.describeNext()}`);
  }

  describeNext(): string {
    this.skip();
    if (this.pos >= this.text.length) return 'end of input';
    WORD.lastIndex = this.pos;
    const m = WORD.exec(this.text);
    return m ? `'${m[0]}'` : `'${this.text[this.pos]}'`;
  }

  /** An identifier (keyword, op, dtype, attribute name), or undefined without consuming. */
  word(): string | undefined {
    this.skip();
    WORD.lastIndex = this.pos;
    const m = WORD.exec(this.text);
    if (!m) return undefined;
    this.pos += m[0].length;
    return m[0];
  }

  peekWord(): string | undefined {
    const at = this.pos;
    const w = this.word();
    this.pos = at;
    return w;
  }

  number(what: string): number {
    this.skip();
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    // A number must not run into a word ("12abc", "infinity").
    if (!m || /[A-Za-z0-9_.]/.test(this.text[this.pos + m[0].length] ?? '')) this.fail(`expected ${what}, found ${this.describeNext()}`);
    this.pos += m[0].length;
    return parseNumberToken(m[0]);
  }

  integer(what: string, min = -Infinity): number {
    const at = this.skip();
    const v = this.number(what);
    if (!Number.isInteger(v) || v < min) this.fail(`expected ${what}, got ${v}`, at);
    return v;
  }

  /** A JSON string literal. Scans with indexOf: base64 tensor data can be many megabytes long. */
  string(what: string): string {
    const start = this.skip();
    const t = this.text;
    if (t[start] !== '"') this.fail(`expected ${what} (a "quoted string"), found ${this.describeNext()}`);
    let end = -1;
    for (let from = start + 1; end < 0;) {
      const q = t.indexOf('"', from);
      if (q < 0) this.fail('unterminated string', start);
      let slashes = 0;
      while (t.charCodeAt(q - 1 - slashes) === 92 /* backslash */) slashes++;
      if (slashes % 2 === 0) end = q;
      else from = q + 1;
    }
    const newline = t.indexOf('\n', start);
    if (newline >= 0 && newline < end) this.fail('unterminated string', start);
    try {
      const s = JSON.parse(t.slice(start, end + 1)) as string;
      this.pos = end + 1;
      return s;
    } catch {
      return this.fail('invalid escape in string', start);
    }
  }

  /** A name after `%` or `@`: bare characters or a quoted string, with no space before it. */
  name(what: string): string {
    if (this.text[this.pos] === '"') return this.string(what);
    const start = this.pos;
    while (this.pos < this.text.length && BARE_NAME_CHAR.test(this.text[this.pos]!)) this.pos++;
    if (this.pos === start) this.fail(`expected ${what}`);
    return this.text.slice(start, this.pos);
  }

  /** `_` as a whole token (an absent input or output). */
  eatAbsent(): boolean {
    this.skip();
    if (this.text[this.pos] !== '_' || /[A-Za-z0-9_]/.test(this.text[this.pos + 1] ?? '')) return false;
    this.pos++;
    return true;
  }
}

class GraphParser {
  private readonly c: Cursor;
  private readonly values = new Map<string, ValueType>();
  private readonly inputs: string[] = [];
  private readonly outputs: string[] = [];
  private readonly nodes: Node[] = [];
  private readonly initializers = new Map<string, Tensor>();

  constructor(text: string, source: string) { this.c = new Cursor(text, source); }

  parse(): Graph {
    const c: Cursor = this.c;
    if (c.word() !== 'graph') c.fail(`expected 'graph' at the start, found ${c.describeNext()}`, 0);
    const name = c.string('the graph name');
    const opsets = this.opsets();
    c.expect('{', 'to open the graph body');
    while (!c.eat('}')) {
      if (c.atEnd()) c.fail("unexpected end of input: missing '}' closing the graph");
      this.item();
    }
    if (!c.atEnd()) c.fail(`unexpected ${c.describeNext()} after the closing '}'`);
    return { name, inputs: this.inputs, outputs: this.outputs, nodes: this.nodes, values: this.values, initializers: this.initializers, opsets };
  }

  private opsets(): Map<string, number> {
    const c: Cursor = this.c, out = new Map<string, number>();
    if (c.word() !== 'opset') c.fail(`expected 'opset(...)' after the graph name, found ${c.describeNext()}`);
    c.expect('(', "after 'opset'");
    if (!c.eat(')')) {
      do {
        const at = c.skip();
        const domain = c.string('an opset domain');
        if (out.has(domain)) c.fail(`opset domain ${JSON.stringify(domain)} is given twice`, at);
        c.expect('=', 'after the opset domain');
        out.set(domain, c.integer('an opset version', 1));
      } while (c.eat(','));
      c.expect(')', 'to close the opset list');
    }
    return out;
  }

  private item(): void {
    const c: Cursor = this.c;
    const ch = c.peek();
    if (ch === '%' || ch === '_' || ch === '=') return this.node();
    const at = c.pos;
    const kw = c.word();
    switch (kw) {
      case 'input': this.inputs.push(this.declaration(true)); return;
      case 'output': this.outputs.push(this.valueRef()); return;
      case 'value': {
        const vAt = c.skip();
        const name = this.declaration(true);
        if (!this.values.has(name)) c.fail("a 'value' line needs a type", vAt);
        return;
      }
      case 'init': return this.init();
      default: c.fail(`expected 'input', 'init', 'value', 'output', a node or '}', found ${kw ? `'${kw}'` : c.describeNext()}`, at);
    }
  }

  private valueRef(): string {
    const c: Cursor = this.c;
    c.skip();
    if (!c.eat('%')) c.fail(`expected a value name (%name), found ${c.describeNext()}`);
    return c.name('a value name after %');
  }

  /** `%name` with an optional `: type`, recorded in `values`. */
  private declaration(allowType: boolean): string {
    const c: Cursor = this.c;
    const at = c.skip();
    const name = this.valueRef();
    if (allowType && c.eat(':')) {
      const t = this.type(true);
      const prev = this.values.get(name);
      if (prev && printType(prev) !== printType(t)) c.fail(`value %${name} is declared as ${printType(prev)} and again as ${printType(t)}`, at);
      this.values.set(name, t);
    }
    return name;
  }

  private type(allowQuant: boolean): ValueType {
    const c: Cursor = this.c;
    const at = c.skip();
    const dtype = c.word();
    if (!dtype || !(DTYPES as readonly string[]).includes(dtype)) c.fail(`expected a dtype (${DTYPES.join(', ')}), found ${dtype ? `'${dtype}'` : c.describeNext()}`, at);
    c.expect('[', 'to open the shape');
    const shape: number[] = [];
    if (!c.eat(']')) {
      do shape.push(c.integer('a dimension (an integer >= 0)', 0)); while (c.eat(','));
      c.expect(']', 'to close the shape');
    }
    if (allowQuant && c.peekWord() === 'quant') return { dtype: dtype as DType, shape, quant: this.quant() };
    return { dtype: dtype as DType, shape };
  }

  private quant(): QuantParams {
    const c: Cursor = this.c;
    c.word();
    c.expect('{', "after 'quant'");
    const seen = new Map<string, number | number[]>();
    if (!c.eat('}')) {
      do {
        const at = c.skip();
        const key = c.word();
        if (key !== 'axis' && key !== 'bits' && key !== 'scale' && key !== 'zeroPoint') c.fail(`unknown quant field ${key ? `'${key}'` : c.describeNext()} (expected axis, bits, scale, zeroPoint)`, at);
        if (seen.has(key)) c.fail(`quant field '${key}' is given twice`, at);
        c.expect('=', `after '${key}'`);
        seen.set(key, key === 'scale' || key === 'zeroPoint' ? this.numberList() : c.number(`the value of '${key}'`));
      } while (c.eat(','));
      c.expect('}', 'to close quant{...}');
    }
    for (const k of ['bits', 'scale', 'zeroPoint']) if (!seen.has(k)) c.fail(`quant{...} is missing '${k}'`);
    const q: { scale: number[]; zeroPoint: number[]; bits: number; axis?: number } = {
      scale: seen.get('scale') as number[], zeroPoint: seen.get('zeroPoint') as number[], bits: seen.get('bits') as number,
    };
    if (seen.has('axis')) q.axis = seen.get('axis') as number;
    return q;
  }

  private numberList(): number[] {
    const c: Cursor = this.c, out: number[] = [];
    c.expect('[', 'to open a list of numbers');
    if (c.eat(']')) return out;
    do out.push(c.number('a number')); while (c.eat(','));
    c.expect(']', 'to close the list');
    return out;
  }

  private init(): void {
    const c: Cursor = this.c;
    const at = c.skip();
    const name = this.declaration(true);
    if (this.initializers.has(name)) c.fail(`initializer %${name} is defined twice`, at);
    c.expect('=', 'before the initializer data');
    const declared = this.values.get(name);
    let type: ValueType;
    if (c.peek() === '[' || c.peekWord() === 'base64' || c.peek() === '.') {
      if (!declared) c.fail(`initializer %${name} has no type: write 'init %${name}: dtype[dims] = ...'`, at);
      type = declared;
    } else {
      type = this.type(false);
    }
    this.initializers.set(name, this.payload(type.dtype, type.shape));
  }

  /** Tensor data: `[n, ...]` (exact for integers; floats round to the dtype) or `base64"..."` of the little-endian bytes. */
  private payload(dtype: DType, shape: readonly number[]): Tensor {
    const c: Cursor = this.c;
    const at = c.skip();
    if (c.eat('...')) c.fail('the tensor data was elided when this IR was printed (elideTensorsAbove); print it in full to parse it', at);
    if (c.peek() === '[') {
      const xs = this.numberList();
      const n = numel(shape);
      if (xs.length !== n) c.fail(`${xs.length} values for ${dtype}${shapeStr(shape)}, which needs ${n}`, at);
      if (isInteger(dtype) || dtype === 'bool') {
        const [lo, hi] = intRange(dtype);
        xs.forEach((x, i) => { if (!(Number.isInteger(x) && x >= lo && x <= hi)) c.fail(`element ${i} = ${x} is not a ${dtype} (an integer in [${lo}, ${hi}])`, at); });
      }
      const data = newTensorData(dtype, n);
      data.set(xs);
      return { dtype, shape: [...shape], data };
    }
    if (c.word() !== 'base64') c.fail(`expected tensor data ([...] or base64"..."), found ${c.describeNext()}`, at);
    const b64 = c.string('base64 data');
    if (b64.length % 4 !== 0 || !BASE64.test(b64)) c.fail('malformed base64 data', at);
    const t = tensorFromBytes(dtype, shape, Buffer.from(b64, 'base64'));
    if (typeof t === 'string') c.fail(t, at);
    return t;
  }

  private node(): void {
    const c: Cursor = this.c;
    const outputs: string[] = [];
    if (c.peek() !== '=') {
      do outputs.push(c.eatAbsent() ? '' : this.declaration(true)); while (c.eat(','));
    }
    c.expect('=', 'after the node outputs');
    const opAt = c.skip();
    const op = c.word();
    if (!op || !isOpName(op)) c.fail(`unknown op ${op ? `'${op}'` : c.describeNext()}`, opAt);
    c.expect('@', `before the name of the ${op} node`);
    const name = c.name('a node name after @');
    c.expect('(', `to open the inputs of ${op} '${name}'`);
    const inputs: string[] = [];
    if (!c.eat(')')) {
      do inputs.push(c.eatAbsent() ? '' : this.valueRef()); while (c.eat(','));
      c.expect(')', `to close the inputs of ${op} '${name}'`);
    }
    const attrs = this.attrs(op, name, opAt);
    this.nodes.push({ op, name, inputs, outputs, attrs } as unknown as Node);
  }

  private attrs(op: OpName, nodeName: string, opAt: number): Record<string, AttrValue> {
    const c: Cursor = this.c, specs = attrSpecs(op), out: Record<string, AttrValue> = {};
    if (c.peek() === '{') {
      c.eat('{');
      if (!c.eat('}')) {
        do {
          const at = c.skip();
          const key = c.word();
          if (!key) c.fail(`expected an attribute name, found ${c.describeNext()}`);
          const spec = Object.hasOwn(specs, key) ? specs[key] : undefined;
          if (!spec) c.fail(`${op} has no attribute '${key}'${Object.keys(specs).length ? ` (it has ${Object.keys(specs).join(', ')})` : ''}`, at);
          if (Object.hasOwn(out, key)) c.fail(`attribute '${key}' is given twice`, at);
          c.expect('=', `after attribute '${key}'`);
          const vAt = c.skip();
          const [kind, v] = this.attrValue();
          if (kind !== spec.kind) c.fail(`attribute '${key}' of ${op} must be a ${spec.kind}, got a ${kind}`, vAt);
          if (spec.oneOf && !spec.oneOf.includes(v as string)) c.fail(`attribute '${key}' must be one of ${spec.oneOf.map((s) => JSON.stringify(s)).join(', ')}, got ${JSON.stringify(v)}`, vAt);
          out[key] = v;
        } while (c.eat(','));
        c.expect('}', 'to close the attributes');
      }
    }
    for (const [key, spec] of Object.entries(specs)) {
      if (!spec.optional && !Object.hasOwn(out, key)) c.fail(`${op} '${nodeName}' is missing required attribute '${key}'`, opAt);
    }
    return out;
  }

  private attrValue(): [AttrKind, AttrValue] {
    const c: Cursor = this.c;
    const ch = c.peek();
    if (ch === '"') return ['string', c.string('a string')];
    if (ch === '[') return ['numbers', this.numberList()];
    const w = c.peekWord();
    if (w === 'true' || w === 'false') { c.word(); return ['bool', w === 'true']; }
    if (w !== undefined && (DTYPES as readonly string[]).includes(w)) {
      const t = this.type(false);
      return ['tensor', this.payload(t.dtype, t.shape)];
    }
    return ['number', c.number('an attribute value (number, "string", [list], true/false or a tensor)')];
  }
}

/** Parses the textual IR. Errors are TilecErrors naming `source:line:col`. */
export function parseGraph(text: string, source = '<ir>'): Graph {
  return new GraphParser(text, source).parse();
}
