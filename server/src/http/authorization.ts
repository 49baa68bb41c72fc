import type { FastifyRequest } from 'fastify';
import type { AlertService } from '../alerts/service.ts';
import { AlertErrors } from '../alerts/errors.ts';
import { AuthErrors } from '../auth/errors.ts';
import { ACTING_ROLES, canSeeAlert, canSeeDevice, unrestricted } from '../auth/roles.ts';
import type { AuthService } from '../auth/service.ts';
import type { LiveScope } from '../notify/live.ts';
import type { HubContext } from './context.ts';

type Authorization = Pick<HubContext, 'actor' | 'canSeeAlert' | 'canSeeDevice' | 'authorizeAlertAction' | 'liveScope'>;

/**
 * The scope rules the routes apply, from the request's user (set by the auth hook; routes
 * never run without one unless public).
 */
export function requestAuthorization(alerts: AlertService, auth: AuthService): Authorization {
  return {
    actor: (req: FastifyRequest) => req.user?.username ?? 'anonymous',
    canSeeAlert: (req, alert) => !!req.user && canSeeAlert(req.user, alert),
    canSeeDevice: (req, device) => !!req.user && canSeeDevice(req.user, device),
    authorizeAlertAction: (req, id) => {
      const user = req.user;
      if (!user) throw new AuthErrors.Unauthorized();
      const alert = alerts.get(id);
      if (!alert) throw new AlertErrors.NotFound(id);
      if (!canSeeAlert(user, alert)) throw new AuthErrors.Forbidden(`alert ${id} is outside your communities or cells`);
      if (!ACTING_ROLES.includes(user.role)) throw new AuthErrors.Forbidden(`a ${user.role} may not change alerts`);
    },
    liveScope: (req): LiveScope => {
      const user = req.user;
      const session = req.session;
      if (!user || !session) return () => false;
      return (msg) => {
        // A session that ended (logout, expiry, account change) hears nothing more.
        if (!auth.sessions.alive(session)) return false;
        switch (msg.type) {
          case 'hello':
            return true;
          case 'alert':
            return canSeeAlert(user, msg.alert);
          case 'annotation':
            return canSeeAlert(user, msg);
          case 'device':
            return canSeeDevice(user, msg.device);
          default:
            // Message types added later carry no scope we know: only the unrestricted see them.
            return unrestricted(user);
        }
      };
    },
  };
}
