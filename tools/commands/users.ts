import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { loadBridgeConfig } from '../../bridge/config.js';
import { loadStartConfig } from '../start/config.js';
import { UsersError } from '../../bridge/errors.js';
import {
  checkUserName,
  checkUserRole,
  LEGACY_LEVELS,
  USER_ROLES,
  UserStore,
  usersFile,
} from '../../bridge/users/user-store.js';

interface StoreFlags {
  config?: string;
  data?: string;
}

/** A `piminder start` file: its sections are objects (a bridge file's `broker` is a URL). */
function isStartFile(file: string | undefined): file is string {
  if (file === undefined) return false;
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    return ['broker', 'bridge', 'monitor'].some(
      (section) => typeof value[section] === 'object' && value[section] !== null,
    );
  } catch {
    return false;
  }
}

/** The users file of the bridge that a bridge config, or a start config's bridge, describes. */
function storeOf(flags: StoreFlags): UserStore {
  if (isStartFile(flags.config)) {
    const bridge = loadStartConfig({ config: flags.config, data: flags.data }).bridge;
    if (bridge === undefined) {
      throw new UsersError(
        'FILE',
        `${flags.config} has no "bridge" section`,
        'add one, or pass --data',
      );
    }
    return new UserStore(usersFile(bridge.data));
  }
  const values = flags.data === undefined ? {} : { data: flags.data };
  const config = loadBridgeConfig({ file: flags.config, flags: values });
  return new UserStore(usersFile(config.data));
}

/** All of standard input, without the final line break: for scripts and pipes. */
async function readPiped(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text.replace(/\r?\n$/, '');
}

/** Asks on the terminal without echoing what is typed. */
async function askHidden(question: string): Promise<string> {
  const terminal = createInterface({
    input: process.stdin,
    output: process.stderr,
    terminal: true,
  });
  const output = terminal as unknown as { _writeToOutput: (text: string) => void };
  let asked = false;
  output._writeToOutput = (text: string) => {
    // Only the question itself is shown; the keystrokes that follow are not echoed.
    if (!asked) process.stderr.write(text);
    asked = true;
  };
  try {
    return await new Promise<string>((resolve) => terminal.question(question, resolve));
  } finally {
    process.stderr.write('\n');
    terminal.close();
  }
}

/** A new password from the terminal (asked twice) or from standard input. */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) return readPiped();

  const first = await askHidden('New password: ');
  const second = await askHidden('Repeat it: ');
  if (first !== second) throw new UsersError('BAD_PASSWORD', 'the two passwords differ');
  return first;
}

function addStoreOptions(command: Command): Command {
  return command
    .option('--data <dir>', 'folder of users.json (PIMINDER_DATA, default data)')
    .option('--config <file>', 'the bridge config file (or a start config), for its "data" key');
}

export function register(program: Command): void {
  const users = program
    .command('users')
    .description("Manage the bridge's HTTP Basic users (the old API's users too)")
    .addHelpText(
      'after',
      '\nUsers live in <data>/users.json (mode 0600) as salted scrypt hashes. A password is\n' +
        'read from the terminal without echo, or from standard input when piped, and is never\n' +
        'printed or logged. A user reports only under its own name, like a certificate.',
    );

  addStoreOptions(
    users
      .command('add <name>')
      .description('Add a user; asks for its password')
      .requiredOption('--role <role>', `one of ${USER_ROLES.join(', ')}`)
      .option('--memo <text>', 'a note shown in the list'),
  ).action(async (name: string, flags: StoreFlags & { role: string; memo?: string }) => {
    checkUserName(name);
    checkUserRole(flags.role);
    const password = await readPassword();
    await storeOf(flags).add({ name, role: flags.role, password, memo: flags.memo });
    console.log(`user ${name} added as ${flags.role}`);
  });

  addStoreOptions(users.command('list').description('List users (never passwords)')).action(
    async (flags: StoreFlags) => {
      const list = await storeOf(flags).list();
      if (list.length === 0) console.log('no users');
      for (const user of list) {
        const level = user.disabled ? 0 : LEGACY_LEVELS[user.role];
        const state = user.disabled ? 'disabled' : 'enabled';
        console.log(`${user.name}\t${user.role}\tlevel ${level}\t${state}\t${user.memo}`);
      }
    },
  );

  addStoreOptions(
    users.command('disable <name>').description('Refuse the user from now on'),
  ).action(async (name: string, flags: StoreFlags) => {
    await storeOf(flags).setDisabled(name, true);
    console.log(`user ${name} disabled`);
  });

  addStoreOptions(
    users.command('enable <name>').description('Accept a disabled user again'),
  ).action(async (name: string, flags: StoreFlags) => {
    await storeOf(flags).setDisabled(name, false);
    console.log(`user ${name} enabled`);
  });

  addStoreOptions(
    users.command('passwd <name>').description('Set a new password; asks for it'),
  ).action(async (name: string, flags: StoreFlags) => {
    if ((await storeOf(flags).find(name)) === undefined) {
      throw new UsersError('UNKNOWN', `no user "${name}"`, 'see "piminder users list"');
    }
    await storeOf(flags).setPassword(name, await readPassword());
    console.log(`password of ${name} changed`);
  });
}
