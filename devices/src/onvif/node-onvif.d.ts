// node-onvif ships no type declarations; this covers the part of its API the bridge uses.
declare module 'node-onvif' {
  import type { EventEmitter } from 'node:events';

  export interface ProbeResult {
    urn: string;
    name: string;
    hardware: string;
    location: string;
    types: string[] | string;
    xaddrs: string[];
    scopes: string[];
  }

  export interface OnvifProfile {
    token: string;
    name: string;
    snapshot: string;
    stream: { udp: string; http: string; rtsp: string };
    video: {
      source: { token: string; name: string; bounds: { width: number; height: number; x: number; y: number } } | null;
      encoder: {
        token: string;
        name: string;
        resolution: { width: number; height: number };
        quality: number;
        framerate: number;
        bitrate: number;
        encoding: string;
      } | null;
    };
  }

  export interface SoapResult {
    soap: string;
    converted: Record<string, unknown>;
    data: Record<string, unknown>;
  }

  export class OnvifDevice extends EventEmitter {
    constructor(params: { xaddr?: string; address?: string; user?: string; pass?: string });
    xaddr: string;
    services: {
      device: { getSystemDateAndTime(): Promise<SoapResult>; getDeviceInformation(): Promise<SoapResult> };
      events: unknown;
      media: unknown;
      ptz: unknown;
    };
    init(): Promise<Record<string, string>>;
    getInformation(): Record<string, string> | null;
    getProfileList(): OnvifProfile[];
    getCurrentProfile(): OnvifProfile | null;
  }

  interface NodeOnvif {
    OnvifDevice: typeof OnvifDevice;
    startProbe(): Promise<ProbeResult[]>;
    stopProbe(): Promise<void>;
    /** Private in node-onvif; the bridge sets it to shorten the probe window. */
    _DISCOVERY_WAIT: number;
  }

  const onvif: NodeOnvif;
  export default onvif;
}
