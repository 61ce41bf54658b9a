import type { BridgeApp } from '../http-server.js';
import { UsersError } from '../errors.js';
import { numbered } from '../legacy/legacy-mapping.js';
import { parseLegacyUser, parseUsername } from '../legacy/legacy-validation.js';
import { LEGACY_LEVELS as USER_LEVELS } from '../users/user-store.js';
import { legacyRefusal, legacyRoute } from './legacy-handler.js';
import type { BridgeParts } from './route-helpers.js';

/** The old API's user administration (level 3): the same users as HTTP Basic. */
export function registerLegacyUserRoutes(app: BridgeApp, parts: BridgeParts): void {
  const { users } = parts;

  const save = legacyRoute(3, async (caller, body) => {
    const user = parseLegacyUser(body);
    await users.put({
      name: user.username,
      role: user.role,
      password: user.password,
      memo: user.memo,
    });
    app.log.info({ caller: caller.name, user: user.username, role: user.role }, 'user saved');
    return { error: 200, message: `user ${user.username} saved` };
  });

  for (const url of ['/api/users/', '/api/users']) {
    app.get(
      url,
      legacyRoute(3, async () => {
        const list = (await users.list()).map((user) => ({
          username: user.name,
          memo: user.memo,
          permissionLevel: user.disabled ? 0 : USER_LEVELS[user.role],
        }));
        return numbered(list);
      }),
    );

    app.post(url, save);
    app.patch(url, save);

    app.delete(
      url,
      legacyRoute(3, async (caller, body) => {
        const name = parseUsername(body);
        try {
          await users.setDisabled(name, true);
        } catch (error) {
          if (error instanceof UsersError && error.code === 'PIMINDER_ERR_USERS_UNKNOWN') {
            throw legacyRefusal(`user ${name} does not exist`);
          }
          throw error;
        }
        app.log.info({ caller: caller.name, user: name }, 'user disabled');
        return { error: 200, message: `user ${name} disabled` };
      }),
    );
  }
}
