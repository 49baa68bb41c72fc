import dgram from 'node:dgram';
import { randomUUID } from 'node:crypto';
import nodeOnvif from 'node-onvif';

export interface DiscoveredCamera {
  urn: string;
  xaddrs: string[];
  name: string;
  hardware: string;
  location: string;
  scopes: string[];
}

// node-onvif is a singleton with one UDP socket; two probes at once would tear down each other's socket.
let probeChain: Promise<unknown> = Promise.resolve();

/** Multicast WS-Discovery (239.255.255.250:3702) through node-onvif's startProbe. */
export function probeMulticast(waitMs: number): Promise<DiscoveredCamera[]> {
  const run = async () => {
    // Private in node-onvif (fixed 3 s otherwise); set before each probe since the singleton is shared.
    nodeOnvif._DISCOVERY_WAIT = waitMs;
    const list = await nodeOnvif.startProbe();
    return list.map((d) => ({
      urn: d.urn,
      xaddrs: d.xaddrs,
      name: d.name,
      hardware: d.hardware,
      location: d.location,
      scopes: d.scopes,
    }));
  };
  const next = probeChain.then(run, run);
  probeChain = next.catch(() => {});
  return next;
}

/**
 * Directed WS-Discovery: the same Probe sent unicast to `host:port` targets (WS-Discovery allows this for
 * networks where multicast does not reach, e.g. cameras behind a router). node-onvif only probes multicast.
 */
export async function probeDirected(targets: string[], waitMs: number): Promise<DiscoveredCamera[]> {
  if (targets.length === 0) return [];
  const socket = dgram.createSocket('udp4');
  const found = new Map<string, DiscoveredCamera>();
  socket.on('message', (msg) => {
    for (const cam of parseProbeMatches(msg.toString('utf8'))) if (!found.has(cam.urn)) found.set(cam.urn, cam);
  });
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.bind(0, resolve));
  try {
    const probe = Buffer.from(probeXml(), 'utf8');
    for (const t of targets) {
      const { host, port } = splitHostPort(t);
      // Two sends: UDP may drop one, and a duplicate answer is deduplicated by urn.
      for (let i = 0; i < 2; i++) socket.send(probe, port, host);
    }
    await new Promise((r) => setTimeout(r, waitMs));
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
  return [...found.values()];
}

function splitHostPort(target: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(target.trim());
  if (!m) throw new Error(`bad discovery target "${target}" (expected host:port)`);
  return { host: m[1]!, port: m[2] ? Number(m[2]) : 3702 };
}

function probeXml(): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"' +
    ' xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"><s:Header>' +
    '<a:Action s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>' +
    `<a:MessageID>uuid:${randomUUID()}</a:MessageID>` +
    '<a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>' +
    '<a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To></s:Header><s:Body>' +
    '<Probe xmlns="http://schemas.xmlsoap.org/ws/2005/04/discovery"><d:Types xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"' +
    ' xmlns:dp0="http://www.onvif.org/ver10/network/wsdl">dp0:NetworkVideoTransmitter</d:Types></Probe></s:Body></s:Envelope>'
  );
}

/** ProbeMatches are small and flat; reading four elements by name avoids an XML dependency at runtime. */
export function parseProbeMatches(xml: string): DiscoveredCamera[] {
  const out: DiscoveredCamera[] = [];
  const matches = xml.split(/<(?:[\w-]+:)?ProbeMatch[\s>]/).slice(1);
  for (const part of matches) {
    const el = (name: string) => new RegExp(`<(?:[\\w-]+:)?${name}(?:\\s[^>]*)?>([^<]*)</`).exec(part)?.[1]?.trim() ?? '';
    const urn = el('Address');
    const xaddrs = el('XAddrs').split(/\s+/).filter(Boolean);
    const scopes = el('Scopes').split(/\s+/).filter(Boolean);
    if (!urn || xaddrs.length === 0) continue;
    const scope = (kind: string) => decodeURIComponent(scopes.find((s) => s.startsWith(`onvif://www.onvif.org/${kind}/`))?.split('/').pop() ?? '');
    out.push({ urn, xaddrs, scopes, name: scope('name').replace(/_/g, ' '), hardware: scope('hardware'), location: scope('location') });
  }
  return out;
}
