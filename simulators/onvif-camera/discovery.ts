import dgram from 'node:dgram';
import { randomUUID } from 'node:crypto';
import { child, escapeXml, parseXml, textOf } from './xml.ts';

export const WSD_MULTICAST_ADDRESS = '239.255.255.250';
export const WSD_PORT = 3702;

export interface DiscoveryResponderOptions {
  /**
   * `unicast`: bind `address:port` and answer probes sent straight to it (any machine, no multicast needed).
   * `multicast`: bind 0.0.0.0:port and join 239.255.255.250 on `interfaceAddress`; meant for a network namespace
   * whose only interface is loopback, because on a host it would listen on every interface.
   */
  mode: 'unicast' | 'multicast';
  address?: string;
  /** 0 for an ephemeral port (unicast only). Default 3702. */
  port?: number;
  interfaceAddress?: string;
  endpointUrn: string;
  xaddr: () => string;
  scopes: string[];
  /** Probes are ignored while this returns false (camera unplugged). */
  active: () => boolean;
}

const PROBE_ACTION = 'http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe';
const ANSWERED_TYPES = ['NetworkVideoTransmitter', 'Device'];

/** The camera side of WS-Discovery: answers Probe with ProbeMatches, unicast back to the sender. */
export class DiscoveryResponder {
  private socket: dgram.Socket | undefined;
  probesAnswered = 0;

  constructor(private readonly opts: DiscoveryResponderOptions) {}

  async start(): Promise<{ address: string; port: number }> {
    const multicast = this.opts.mode === 'multicast';
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    this.socket = socket;
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    // Malformed traffic or a vanished peer must never take the camera down.
    socket.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.opts.port ?? WSD_PORT, multicast ? '0.0.0.0' : (this.opts.address ?? '127.0.0.1'), () => {
        socket.off('error', reject);
        resolve();
      });
    });
    if (multicast) socket.addMembership(WSD_MULTICAST_ADDRESS, this.opts.interfaceAddress ?? '127.0.0.1');
    const a = socket.address();
    return { address: a.address, port: a.port };
  }

  async stop(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (!this.opts.active() || !this.socket) return;
    let doc;
    try {
      doc = parseXml(msg.toString('utf8'));
    } catch {
      return;
    }
    const action = textOf(child(doc, 'Envelope', 'Header', 'Action'));
    const probe = child(doc, 'Envelope', 'Body', 'Probe');
    if (action !== PROBE_ACTION && probe === undefined) return;
    const types = textOf(child(probe, 'Types')) ?? '';
    const wanted = types.split(/\s+/).filter(Boolean).map((t) => t.replace(/^.*:/, ''));
    if (wanted.length > 0 && !wanted.some((t) => ANSWERED_TYPES.includes(t))) return;
    const relatesTo = textOf(child(doc, 'Envelope', 'Header', 'MessageID')) ?? '';
    const reply = Buffer.from(this.probeMatches(relatesTo), 'utf8');
    this.probesAnswered++;
    this.socket.send(reply, rinfo.port, rinfo.address);
  }

  private probeMatches(relatesTo: string): string {
    return (
      '<?xml version="1.0" encoding="UTF-8"?>' +
      '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"' +
      ' xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl"' +
      ' xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><s:Header>' +
      `<a:MessageID>uuid:${randomUUID()}</a:MessageID><a:RelatesTo>${escapeXml(relatesTo)}</a:RelatesTo>` +
      '<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>' +
      '<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</a:Action></s:Header><s:Body>' +
      `<d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>${escapeXml(this.opts.endpointUrn)}</a:Address></a:EndpointReference>` +
      '<d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>' +
      `<d:Scopes>${this.opts.scopes.map(escapeXml).join(' ')}</d:Scopes>` +
      `<d:XAddrs>${escapeXml(this.opts.xaddr())}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion>` +
      '</d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>'
    );
  }
}
