/** Why the GB/T 28181 side refused input; counted with the ingest rejects (server/src/ingest/rejects.ts). */
export type GbRejectReason =
  | 'gb_sip_malformed'
  | 'gb_xml_malformed'
  | 'gb_xml_oversized'
  | 'gb_xml_encoding'
  | 'gb_xml_schema'
  | 'gb_auth_failed'
  | 'gb_unknown_device'
  | 'gb_not_registered'
  | 'gb_too_many_channels';
