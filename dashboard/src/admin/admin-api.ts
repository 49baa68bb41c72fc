// The admin pages' calls to the hub (all behind the admin role); shapes as docs/api.md gives them.
import type { Api } from '../lib/api.ts';
import type { UserRole, WireAuditEntry, WireDisplay, WireUserRecord } from '#devices/wire.ts';

export type Role = UserRole;
export type AdminUser = WireUserRecord;
export type AuditEntry = WireAuditEntry;

export interface MqttLogin {
  username: string;
  password: string;
}
export interface MqttCredential {
  username: string;
  type: string;
  communities?: string[];
  createdAt?: number;
  createdBy?: string;
}
export interface NewUser {
  username: string;
  password: string;
  role: Role;
  displayName?: string;
  communities?: string[];
  cells?: string[];
  workerId?: string;
}
export interface NewDevice {
  id: string;
  kind: string;
  communityId: string;
  gridCellId?: string;
  buildingId?: string;
  floor?: number;
  name?: { zh: string; en: string };
}
export type Display = WireDisplay;

const enc = encodeURIComponent;

function qs(q: Record<string, string | number | undefined>): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') sp.set(k, String(v));
  const s = sp.toString();
  return s ? `?${s}` : '';
}

export class AdminApi {
  constructor(private readonly api: Api) {}

  async users(): Promise<AdminUser[]> {
    return (await this.api.request<{ users: AdminUser[] }>('GET', '/api/users')).users;
  }
  async createUser(u: NewUser): Promise<AdminUser> {
    return (await this.api.request<{ user: AdminUser }>('POST', '/api/users', u)).user;
  }
  async updateUser(username: string, patch: Partial<Omit<AdminUser, 'username' | 'createdAt'>> & { password?: string; unlock?: boolean }): Promise<AdminUser> {
    return (await this.api.request<{ user: AdminUser }>('PATCH', `/api/users/${enc(username)}`, patch)).user;
  }
  async deleteUser(username: string): Promise<void> {
    await this.api.request('DELETE', `/api/users/${enc(username)}`);
  }
  async provision(d: NewDevice): Promise<MqttLogin> {
    return (await this.api.request<{ mqtt: MqttLogin }>('POST', '/api/devices', d)).mqtt;
  }
  async rotate(deviceId: string): Promise<MqttLogin> {
    return (await this.api.request<{ mqtt: MqttLogin }>('POST', `/api/devices/${enc(deviceId)}/credentials`, {})).mqtt;
  }
  async credentials(): Promise<MqttCredential[]> {
    return (await this.api.request<{ credentials: MqttCredential[] }>('GET', '/api/mqtt/credentials')).credentials;
  }
  async createGateway(id: string, communities: string[]): Promise<MqttLogin> {
    return (await this.api.request<{ mqtt: MqttLogin }>('POST', '/api/mqtt/gateways', { id, communities })).mqtt;
  }
  async revokeCredential(username: string): Promise<void> {
    await this.api.request('DELETE', `/api/mqtt/credentials/${enc(username)}`);
  }
  async mosquittoFiles(): Promise<Record<string, unknown>> {
    return this.api.request<Record<string, unknown>>('GET', '/api/mqtt/mosquitto-config');
  }
  async audit(q: { action?: string; actor?: string; limit?: number; beforeId?: number }): Promise<AuditEntry[]> {
    return (await this.api.request<{ entries: AuditEntry[] }>('GET', `/api/audit${qs(q)}`)).entries;
  }
  async displays(): Promise<Display[]> {
    return (await this.api.request<{ displays: Display[] }>('GET', '/api/displays')).displays;
  }
  async createDisplay(name: string, communities: string[]): Promise<{ display: Display; code: string; url: string }> {
    return this.api.request('POST', '/api/displays', { name, communities });
  }
  async revokeDisplay(id: string): Promise<void> {
    await this.api.request('DELETE', `/api/displays/${enc(id)}`);
  }
}
