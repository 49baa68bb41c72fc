import type { FastifyRequest } from 'fastify';
import { AuthErrors } from '../auth/errors.ts';
import type { AuthService } from '../auth/service.ts';
import type { LiveScope } from '../notify/live.ts';
import { actionableAlert } from '../scope/alert-list.ts';
import type { AlertReads } from '../scope/alert-reads.ts';
import { callerScope } from '../scope/caller-scope.ts';
import type { HubContext } from './context.ts';

type Authorization = Pick<HubContext, 'actor' | 'scope' | 'canSeeAlert' | 'canSeeDevice' | 'authorizeAlertAction' | 'liveScope'>;

/**
 * The request's side of the scope rules (scope/caller-scope.ts): the caller is the request's
 * user, set by the auth hook (routes never run without one unless public).
 */
export function requestAuthorization(alerts: AlertReads, auth: AuthService): Authorization {
  const scope = (req: FastifyRequest) => callerScope(req.user);
  return {
    actor: (req: FastifyRequest) => req.user?.username ?? 'anonymous',
    scope,
    canSeeAlert: (req, alert) => scope(req).alert(alert),
    canSeeDevice: (req, device) => scope(req).device(device),
    authorizeAlertAction: async (req, id) => {
      const caller = scope(req);
      if (!caller.user) throw new AuthErrors.Unauthorized();
      const alert = await alerts.get(id);
      return actionableAlert({ get: () => alert }, id, caller);
    },
    liveScope: (req): LiveScope => {
      const caller = scope(req);
      const session = req.session;
      if (!caller.user || !session) return () => false;
      return (msg) => {
        // A session that ended (logout, expiry, account change) hears nothing more.
        if (!auth.sessions.alive(session)) return false;
        switch (msg.type) {
          case 'hello':
            return true;
          case 'alert':
            return caller.alert(msg.alert);
          case 'annotation':
            return caller.alert(msg);
          case 'device':
            return caller.device(msg.device);
          case 'case':
            return caller.alert(msg.case);
          default:
            // Message types added later carry no scope we know: only the unrestricted see them.
            return caller.unrestricted;
        }
      };
    },
  };
}
