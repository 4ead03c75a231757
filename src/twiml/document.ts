/**
 * Reads a TwiML document into its verbs: elements with their attributes, text and nested nouns, in order.
 *
 * The XML is read by fast-xml-parser: a well-kept, dependency-light parser that checks well-formedness with the line
 * and column of the first fault (what a 12100 notification should tell the developer), keeps the order of mixed
 * elements (`preserveOrder`), and never evaluates anything. A document type declaration is refused outright, so no
 * entity can expand (billion laughs) and no external resource is named.
 *
 * @example
 *   const read = readTwiml('<Response><Dial><Sip>sip:agent@10.0.0.5</Sip></Dial></Response>');
 *   if (read.ok) read.verbs[0].name // 'Dial'
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { TwimlProblem } from './problems.js';

export interface TwimlElement {
  name: string;
  attributes: Record<string, string>;
  /** The element's own text, trimmed (a `<Sip>`'s URI, a `<Redirect>`'s URL); '' when it has none. */
  text: string;
  /** All the text inside it, its children's too, in document order (a `<Say>` with SSML in it); as `text` when absent. */
  allText?: string;
  children: TwimlElement[];
}

export type ReadTwiml = { ok: true; verbs: TwimlElement[] } | { ok: false; problem: TwimlProblem };

/** Twilio's limit on a TwiML document (64 KB). */
export const MAX_TWIML_BYTES = 64 * 1024;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

type Ordered = Array<Record<string, unknown>>;

/**
 * The verbs of a TwiML document, or the problem that stops it: 12100 when it is not well-formed XML (or too large,
 * or declares a document type), 12200 when its root is not `<Response>`.
 */
export function readTwiml(text: string): ReadTwiml {
  if (Buffer.byteLength(text) > MAX_TWIML_BYTES) return parseFailure(`the document is ${Buffer.byteLength(text)} bytes; TwiML may be at most ${MAX_TWIML_BYTES}`);
  if (/<!DOCTYPE/i.test(text)) return parseFailure('it declares a document type (<!DOCTYPE>), which TwiML never needs');
  const valid = XMLValidator.validate(text);
  if (valid !== true) return parseFailure(`${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  const roots = elementsOf(parser.parse(text) as Ordered);
  if (roots.length !== 1 || roots[0]!.name !== 'Response') {
    const found = roots.map((r) => `<${r.name}>`).join(', ') || 'no element';
    return { ok: false, problem: { code: 12200, message: `A TwiML document has one root element, <Response>; this one has ${found}.` } };
  }
  return { ok: true, verbs: roots[0]!.children };
}

function parseFailure(why: string): ReadTwiml {
  return { ok: false, problem: { code: 12100, message: `The TwiML document could not be parsed: ${why}.` } };
}

function elementsOf(nodes: Ordered): TwimlElement[] {
  const elements: TwimlElement[] = [];
  for (const node of nodes) {
    const name = Object.keys(node).find((key) => key !== ':@' && key !== '#text');
    if (name === undefined) continue;
    const inner = (node[name] as Ordered | undefined) ?? [];
    const text = inner.flatMap((n) => (typeof n['#text'] === 'string' ? [n['#text']] : [])).join(' ').trim();
    const children = elementsOf(inner);
    const parts: string[] = [];
    let child = 0;
    for (const n of inner) parts.push(typeof n['#text'] === 'string' ? n['#text'] : (children[child++]?.allText ?? ''));
    const allText = parts.filter((p) => p !== '').join(' ').trim();
    elements.push({ name, attributes: { ...((node[':@'] as Record<string, string> | undefined) ?? {}) }, text, allText, children });
  }
  return elements;
}
