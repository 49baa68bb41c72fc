import { escapeXml } from './xml.ts';
import type { SimNotification } from './pull-point.ts';

/** What the SOAP responses need to know about one simulated camera. */
export interface CameraIdentity {
  baseUrl: string;
  rtspBase: string;
  manufacturer: string;
  model: string;
  firmware: string;
  serial: string;
  hardwareId: string;
}

export interface SimProfile {
  token: string;
  name: string;
  width: number;
  height: number;
  fps: number;
  bitrateKbps: number;
}

export const VIDEO_SOURCE_TOKEN = 'vs_1';
const VSC_TOKEN = 'vsc_1';

export const PROFILES: readonly SimProfile[] = [
  { token: 'profile_main', name: 'MainStream', width: 1920, height: 1080, fps: 25, bitrateKbps: 4096 },
  { token: 'profile_sub', name: 'SubStream', width: 640, height: 360, fps: 15, bitrateKbps: 512 },
];

export const paths = {
  device: '/onvif/device_service',
  media: '/onvif/media_service',
  events: '/onvif/events_service',
  subscription: '/onvif/events/subscription/',
  snapshot: '/onvif/snapshot/',
} as const;

export function systemDateAndTime(now: Date): string {
  return (
    '<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>' +
    '<tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>' +
    '<tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone>' +
    `<tt:UTCDateTime>${dateTimeXml(now)}</tt:UTCDateTime>` +
    `<tt:LocalDateTime>${dateTimeXml(now)}</tt:LocalDateTime>` +
    '</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>'
  );
}

function dateTimeXml(d: Date): string {
  return (
    `<tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute><tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time>` +
    `<tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year><tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date>`
  );
}

export function capabilities(id: CameraIdentity): string {
  const b = id.baseUrl;
  return (
    '<tds:GetCapabilitiesResponse><tds:Capabilities>' +
    `<tt:Device><tt:XAddr>${b}${paths.device}</tt:XAddr>` +
    '<tt:System><tt:DiscoveryResolve>false</tt:DiscoveryResolve><tt:DiscoveryBye>false</tt:DiscoveryBye>' +
    '<tt:RemoteDiscovery>false</tt:RemoteDiscovery><tt:SystemBackup>false</tt:SystemBackup>' +
    '<tt:SystemLogging>false</tt:SystemLogging><tt:FirmwareUpgrade>false</tt:FirmwareUpgrade>' +
    '<tt:SupportedVersions><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tt:SupportedVersions></tt:System></tt:Device>' +
    `<tt:Events><tt:XAddr>${b}${paths.events}</tt:XAddr><tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport>` +
    '<tt:WSPullPointSupport>true</tt:WSPullPointSupport>' +
    '<tt:WSPausableSubscriptionManagerInterfaceSupport>false</tt:WSPausableSubscriptionManagerInterfaceSupport></tt:Events>' +
    `<tt:Media><tt:XAddr>${b}${paths.media}</tt:XAddr><tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast>` +
    '<tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>' +
    '</tds:Capabilities></tds:GetCapabilitiesResponse>'
  );
}

export function services(id: CameraIdentity): string {
  const svc = (ns: string, path: string, major: number, minor: number) =>
    `<tds:Service><tds:Namespace>${ns}</tds:Namespace><tds:XAddr>${id.baseUrl}${path}</tds:XAddr>` +
    `<tds:Version><tt:Major>${major}</tt:Major><tt:Minor>${minor}</tt:Minor></tds:Version></tds:Service>`;
  return (
    '<tds:GetServicesResponse>' +
    svc('http://www.onvif.org/ver10/device/wsdl', paths.device, 2, 60) +
    svc('http://www.onvif.org/ver10/media/wsdl', paths.media, 2, 60) +
    svc('http://www.onvif.org/ver10/events/wsdl', paths.events, 2, 60) +
    '</tds:GetServicesResponse>'
  );
}

export function deviceInformation(id: CameraIdentity): string {
  return (
    '<tds:GetDeviceInformationResponse>' +
    `<tds:Manufacturer>${escapeXml(id.manufacturer)}</tds:Manufacturer><tds:Model>${escapeXml(id.model)}</tds:Model>` +
    `<tds:FirmwareVersion>${escapeXml(id.firmware)}</tds:FirmwareVersion><tds:SerialNumber>${escapeXml(id.serial)}</tds:SerialNumber>` +
    `<tds:HardwareId>${escapeXml(id.hardwareId)}</tds:HardwareId>` +
    '</tds:GetDeviceInformationResponse>'
  );
}

function profileXml(p: SimProfile): string {
  return (
    `<trt:Profiles token="${p.token}" fixed="true"><tt:Name>${p.name}</tt:Name>` +
    `<tt:VideoSourceConfiguration token="${VSC_TOKEN}"><tt:Name>VideoSourceConfig</tt:Name><tt:UseCount>${PROFILES.length}</tt:UseCount>` +
    `<tt:SourceToken>${VIDEO_SOURCE_TOKEN}</tt:SourceToken><tt:Bounds x="0" y="0" width="1920" height="1080"/></tt:VideoSourceConfiguration>` +
    `<tt:VideoEncoderConfiguration token="vec_${p.token}"><tt:Name>Encoder_${p.name}</tt:Name><tt:UseCount>1</tt:UseCount>` +
    `<tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>${p.width}</tt:Width><tt:Height>${p.height}</tt:Height></tt:Resolution>` +
    `<tt:Quality>5</tt:Quality><tt:RateControl><tt:FrameRateLimit>${p.fps}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>` +
    `<tt:BitrateLimit>${p.bitrateKbps}</tt:BitrateLimit></tt:RateControl>` +
    `<tt:H264><tt:GovLength>${p.fps * 2}</tt:GovLength><tt:H264Profile>Main</tt:H264Profile></tt:H264>` +
    '<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address><tt:Port>0</tt:Port>' +
    '<tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT60S</tt:SessionTimeout>' +
    '</tt:VideoEncoderConfiguration></trt:Profiles>'
  );
}

export function profiles(): string {
  return `<trt:GetProfilesResponse>${PROFILES.map(profileXml).join('')}</trt:GetProfilesResponse>`;
}

export function videoSources(): string {
  return (
    `<trt:GetVideoSourcesResponse><trt:VideoSources token="${VIDEO_SOURCE_TOKEN}"><tt:Framerate>25</tt:Framerate>` +
    '<tt:Resolution><tt:Width>1920</tt:Width><tt:Height>1080</tt:Height></tt:Resolution></trt:VideoSources></trt:GetVideoSourcesResponse>'
  );
}

function mediaUri(uri: string): string {
  return (
    `<trt:MediaUri><tt:Uri>${escapeXml(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>` +
    '<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri>'
  );
}

export function streamUri(id: CameraIdentity, profileToken: string): string {
  return `<trt:GetStreamUriResponse>${mediaUri(`${id.rtspBase}/${profileToken}`)}</trt:GetStreamUriResponse>`;
}

export function snapshotUri(id: CameraIdentity, profileToken: string): string {
  return `<trt:GetSnapshotUriResponse>${mediaUri(`${id.baseUrl}${paths.snapshot}${profileToken}.jpg`)}</trt:GetSnapshotUriResponse>`;
}

export function createPullPoint(address: string, now: Date, terminatesAt: Date): string {
  return (
    `<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference><wsa:Address>${escapeXml(address)}</wsa:Address>` +
    `</tev:SubscriptionReference><wsnt:CurrentTime>${now.toISOString()}</wsnt:CurrentTime>` +
    `<wsnt:TerminationTime>${terminatesAt.toISOString()}</wsnt:TerminationTime></tev:CreatePullPointSubscriptionResponse>`
  );
}

function simpleItems(items: Record<string, string>): string {
  return Object.entries(items)
    .map(([k, v]) => `<tt:SimpleItem Name="${escapeXml(k)}" Value="${escapeXml(v)}"/>`)
    .join('');
}

function notificationXml(n: SimNotification, clock: (d: Date) => Date): string {
  return (
    '<wsnt:NotificationMessage><wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">' +
    `${escapeXml(n.topic)}</wsnt:Topic><wsnt:Message>` +
    `<tt:Message UtcTime="${clock(n.utcTime).toISOString()}" PropertyOperation="${n.operation}">` +
    `<tt:Source>${simpleItems(n.source)}</tt:Source><tt:Data>${simpleItems(n.data)}</tt:Data>` +
    '</tt:Message></wsnt:Message></wsnt:NotificationMessage>'
  );
}

export function pullMessages(
  messages: SimNotification[],
  now: Date,
  terminatesAt: Date,
  clock: (d: Date) => Date,
): string {
  return (
    `<tev:PullMessagesResponse><tev:CurrentTime>${now.toISOString()}</tev:CurrentTime>` +
    `<tev:TerminationTime>${terminatesAt.toISOString()}</tev:TerminationTime>` +
    messages.map((m) => notificationXml(m, clock)).join('') +
    '</tev:PullMessagesResponse>'
  );
}

export function renew(now: Date, terminatesAt: Date): string {
  return (
    `<wsnt:RenewResponse><wsnt:TerminationTime>${terminatesAt.toISOString()}</wsnt:TerminationTime>` +
    `<wsnt:CurrentTime>${now.toISOString()}</wsnt:CurrentTime></wsnt:RenewResponse>`
  );
}

export const unsubscribe = (): string => '<wsnt:UnsubscribeResponse/>';

export function eventProperties(): string {
  return (
    '<tev:GetEventPropertiesResponse><tev:TopicNamespaceLocation>http://www.onvif.org/onvif/ver10/topics/topicns.xml</tev:TopicNamespaceLocation>' +
    '<wsnt:FixedTopicSet>true</wsnt:FixedTopicSet><wstop:TopicSet xmlns:wstop="http://docs.oasis-open.org/wsn/t-1">' +
    '<tns1:RuleEngine><CellMotionDetector><Motion wstop:topic="true"/></CellMotionDetector></tns1:RuleEngine>' +
    '<tns1:VideoSource><GlobalSceneChange><ImagingService wstop:topic="true"/></GlobalSceneChange><SignalLoss wstop:topic="true"/></tns1:VideoSource>' +
    '</wstop:TopicSet></tev:GetEventPropertiesResponse>'
  );
}
