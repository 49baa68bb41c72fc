import iconv from 'iconv-lite';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * GB/T 28181 MANSCDP bodies: XML in GB2312 (the 2016 edition's §A.1 choice) or UTF-8, as the
 * declaration or the Content-Type charset says. Refused when over the size limit, in an unknown
 * charset, not well formed, nested too deep, or without a root element and CmdType.
 */
export const MAX_XML_BYTES = 32 * 1024;
const MAX_DEPTH = 12;

export type XmlRejectReason = 'xml_oversized' | 'xml_encoding' | 'xml_malformed' | 'xml_schema';

export class XmlBodyError extends Error {
  constructor(
    readonly reason: XmlRejectReason,
    message: string,
  ) {
    super(message);
  }
}

export type XmlNode = { [name: string]: XmlValue };
export type XmlValue = string | XmlNode | XmlValue[];

export interface Manscdp {
  /** Query, Control, Notify or Response. */
  root: string;
  cmdType: string;
  sn: string;
  deviceId: string;
  body: XmlNode;
}

const GB_CHARSETS = new Set(['gb2312', 'gbk', 'gb18030']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  // Ids are 20 digits: numbers would lose them.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  // The five XML entities only: DOCTYPE (and so entity declarations) is refused before parsing.
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: MAX_DEPTH,
});

export function charsetOf(contentType: string | undefined, bytes: Buffer): string {
  const decl = /^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_-]+)["']/.exec(bytes.subarray(0, 200).toString('latin1'));
  if (decl) return decl[1]!.toLowerCase();
  const ct = /charset\s*=\s*"?([A-Za-z0-9_-]+)/i.exec(contentType ?? '');
  return ct ? ct[1]!.toLowerCase() : 'gb2312';
}

export function decodeBody(bytes: Buffer, contentType?: string): string {
  if (bytes.length > MAX_XML_BYTES) throw new XmlBodyError('xml_oversized', `XML body of ${bytes.length} bytes is over ${MAX_XML_BYTES}`);
  const charset = charsetOf(contentType, bytes);
  if (GB_CHARSETS.has(charset)) return iconv.decode(bytes, 'gb18030'); // a superset of GB2312 and GBK
  if (charset === 'utf-8' || charset === 'utf8') {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new XmlBodyError('xml_encoding', 'body declared UTF-8 is not valid UTF-8');
    }
  }
  throw new XmlBodyError('xml_encoding', `unsupported charset ${charset.slice(0, 20)}`);
}

const text = (v: XmlValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

/** A MANSCDP body, decoded and checked. */
export function parseManscdp(bytes: Buffer, contentType?: string): Manscdp {
  const xml = decodeBody(bytes, contentType);
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new XmlBodyError('xml_malformed', 'DOCTYPE and entity declarations are not accepted');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new XmlBodyError('xml_malformed', `not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  let doc: XmlNode;
  try {
    doc = parser.parse(xml) as XmlNode;
  } catch (err) {
    throw new XmlBodyError('xml_malformed', `XML: ${(err as Error).message.slice(0, 120)}`);
  }
  const roots = Object.keys(doc).filter((k) => !k.startsWith('@') && k !== '#text');
  if (roots.length !== 1) throw new XmlBodyError('xml_schema', 'XML needs exactly one root element');
  const root = roots[0]!;
  const body = doc[root];
  if (typeof body !== 'object' || Array.isArray(body)) throw new XmlBodyError('xml_schema', `<${root}> has no elements`);
  const cmdType = text(body.CmdType);
  const sn = text(body.SN);
  const deviceId = text(body.DeviceID);
  if (!cmdType || !/^[A-Za-z]{1,40}$/.test(cmdType)) throw new XmlBodyError('xml_schema', `<${root}> has no CmdType`);
  if (!sn || !/^\d{1,10}$/.test(sn)) throw new XmlBodyError('xml_schema', `<${root}> has no numeric SN`);
  if (!deviceId || !/^[A-Za-z0-9]{1,32}$/.test(deviceId)) throw new XmlBodyError('xml_schema', `<${root}> has no DeviceID`);
  return { root, cmdType, sn, deviceId, body };
}

export function textOf(node: XmlNode, name: string): string | undefined {
  return text(node[name]);
}

/** Children called `name` under `node[list]` (one or many), as nodes. */
export function listOf(node: XmlNode, list: string, name: string): XmlNode[] {
  const container = node[list];
  if (!container || typeof container !== 'object' || Array.isArray(container)) return [];
  const items = container[name];
  const all = Array.isArray(items) ? items : items === undefined ? [] : [items];
  return all.filter((i): i is XmlNode => typeof i === 'object' && !Array.isArray(i));
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Elements in order; a nested list of fields is a child element, names may repeat (list items). */
export type XmlFields = [name: string, value: string | number | XmlFields][];

function fieldsXml(fields: XmlFields, indent: string): string {
  return fields
    .map(([name, value]) =>
      Array.isArray(value) ? `${indent}<${name}>\n${fieldsXml(value, indent + '  ')}\n${indent}</${name}>` : `${indent}<${name}>${escapeXml(String(value))}</${name}>`,
    )
    .join('\n');
}

/** A MANSCDP body in `charset` (GB2312 by default, as the 2016 edition writes it). */
export function buildManscdp(root: string, fields: XmlFields, charset: 'GB2312' | 'UTF-8' = 'GB2312', listAttrs: Record<string, number> = {}): Buffer {
  let inner = fieldsXml(fields, '  ');
  for (const [list, num] of Object.entries(listAttrs)) inner = inner.replace(`<${list}>`, `<${list} Num="${num}">`);
  const xml = `<?xml version="1.0" encoding="${charset}"?>\n<${root}>\n${inner}\n</${root}>\n`;
  return charset === 'GB2312' ? iconv.encode(xml, 'gb18030') : Buffer.from(xml, 'utf8');
}
