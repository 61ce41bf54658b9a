import { existsSync, readFileSync } from 'node:fs';
import { listedInCrl, signedByCa } from './certificate-facts.js';
import type { ConnectionSettings } from './connection-settings.js';
import { ClientError } from './errors.js';

/** The extended key usage a client certificate needs (RFC 5280, id-kp-clientAuth). */
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** How far a connection attempt got before it failed. */
export type ConnectStage = 'tcp' | 'tls' | 'mqtt' | 'not-mqtt';

/** Our own certificate checked against what we have on disk, to name why a broker refused it. */
export async function diagnoseCertificate(
  settings: ConnectionSettings,
  now = new Date(),
): Promise<{ reason: string; detail: string } | undefined> {
  const { identity, files, tls } = settings;

  if (now > identity.notAfter) {
    return { reason: 'expired', detail: `it expired on ${identity.notAfter.toISOString()}` };
  }
  if (now < identity.notBefore) {
    return {
      reason: 'not yet valid',
      detail: `it is valid from ${identity.notBefore.toISOString()} (check the clock)`,
    };
  }
  if (!signedByCa(identity, tls.ca)) {
    return {
      reason: 'unknown CA',
      detail: `it is not signed by the CA in ${files.ca} (a certificate from another CA)`,
    };
  }
  const crl = existsSync(settings.crlPath) ? readFileSync(settings.crlPath, 'utf8') : undefined;
  if (crl !== undefined && listedInCrl(identity, crl)) {
    return {
      reason: 'revoked',
      // Written as `piminder certs list` and openssl write it, so it can be searched for.
      detail: `its serial ${identity.certificate.serialNumber} is listed in ${settings.crlPath}`,
    };
  }
  const purposes = identity.certificate.keyUsage;
  if (identity.certificate.ca || (purposes !== undefined && !purposes.includes(CLIENT_AUTH))) {
    return {
      reason: 'wrong purpose',
      detail: identity.certificate.ca
        ? 'it is a CA certificate, not a client certificate'
        : 'it is not made for client authentication (a server certificate?)',
    };
  }
  if (identity.role === undefined) {
    return { reason: 'unknown role', detail: 'its OU names no Piminder role' };
  }
  return undefined;
}

async function refusedCertificate(settings: ConnectionSettings, how: string) {
  const { files, identity } = settings;
  const diagnosis = await diagnoseCertificate(settings);

  if (diagnosis === undefined) {
    return new ClientError(
      'TLS_CLIENT_REFUSED',
      `TLS failure: the broker ${how} and so refused the client certificate ${files.cert} ` +
        `(CN=${identity.name}, role ${identity.role ?? 'unknown'})`,
      "the broker's log names the reason: revoked, expired, another CA or an unknown role",
    );
  }
  return new ClientError(
    'TLS_CLIENT_REFUSED',
    `TLS failure: ${diagnosis.reason}: the broker ${how} and so refused the client ` +
      `certificate ${files.cert}: ${diagnosis.detail}`,
    diagnosis.reason === 'wrong purpose'
      ? 'pass a client certificate: --identity <name> uses <certs>/clients/<name>.crt'
      : `ask the Piminder CA for a new certificate for "${identity.name}"`,
  );
}

/**
 * For a client that keeps reconnecting: an explanation once its own certificate has become
 * unusable (revoked in the local CRL, expired), or undefined while it still looks valid.
 */
export async function certificateNoLongerValid(
  settings: ConnectionSettings,
): Promise<ClientError | undefined> {
  if ((await diagnoseCertificate(settings)) === undefined) return undefined;
  return refusedCertificate(settings, 'closed the connection');
}

/** Our side refused the broker's certificate: checks Node's TLS client makes. */
const SERVER_CERT_PROBLEMS: Record<string, [reason: string, detail: string]> = {
  ERR_TLS_CERT_ALTNAME_INVALID: ['hostname mismatch', 'is not issued for'],
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: ['unknown CA', 'is not signed by the CA in'],
  UNABLE_TO_GET_ISSUER_CERT: ['unknown CA', 'is not signed by the CA in'],
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: ['unknown CA', 'is not signed by the CA in'],
  SELF_SIGNED_CERT_IN_CHAIN: ['unknown CA', 'is not signed by the CA in'],
  DEPTH_ZERO_SELF_SIGNED_CERT: ['unknown CA', 'is not signed by the CA in'],
  CERT_SIGNATURE_FAILURE: ['unknown CA', 'is not signed by the CA in'],
  CERT_HAS_EXPIRED: ['expired', 'has expired'],
  CERT_NOT_YET_VALID: ['not yet valid', 'is not valid yet'],
  CERT_REVOKED: ['revoked', 'is revoked'],
};

function serverCertificateProblem(code: string, settings: ConnectionSettings): ClientError {
  const [reason, detail] = SERVER_CERT_PROBLEMS[code] as [string, string];
  const name = settings.servername ?? settings.endpoint.host;

  switch (reason) {
    case 'hostname mismatch':
      return new ClientError(
        'TLS_SERVER',
        `TLS failure: hostname mismatch: the broker's certificate ${detail} "${name}"`,
        'connect by a name or address the certificate lists, or pass --servername',
      );
    case 'unknown CA':
      return new ClientError(
        'TLS_SERVER',
        `TLS failure: unknown CA: the broker's certificate ${detail} ${settings.files.ca}`,
        "pass the ca.crt of the broker's Piminder CA with --ca",
      );
    default:
      return new ClientError(
        'TLS_SERVER',
        `TLS failure: ${reason}: the broker's certificate ${detail}`,
        'renew the server certificate on the broker',
      );
  }
}

/** The broker sent an alert naming why it refused our certificate (brokers other than ours). */
function alertProblem(code: string, settings: ConnectionSettings) {
  if (!code.startsWith('ERR_SSL_') || !code.includes('ALERT')) return undefined;
  const alert = code
    .replace(/^ERR_SSL_\w+?_ALERT_/, '')
    .toLowerCase()
    .replace(/_/g, ' ');
  return refusedCertificate(settings, `sent the TLS alert "${alert}"`);
}

const CONNACK_REFUSALS: Record<number, string> = {
  1: 'it does not speak MQTT 3.1.1',
  2: 'it refused the client id',
  3: 'it is unavailable',
  4: 'not authorized',
  5: 'not authorized',
};

async function connackRefusal(code: number, settings: ConnectionSettings): Promise<ClientError> {
  const what = CONNACK_REFUSALS[code] ?? `return code ${code}`;
  if (code === 4 || code === 5) {
    const diagnosis = await diagnoseCertificate(settings);
    const { identity } = settings;
    const why = diagnosis
      ? `${diagnosis.reason}: certificate ${settings.files.cert}: ${diagnosis.detail}`
      : `CN=${identity.name}, role ${identity.role ?? 'unknown'}`;
    return new ClientError(
      'NOT_AUTHORIZED',
      `the broker refused the connection (${what}): ${why}`,
      "the broker's log names the reason",
    );
  }
  return new ClientError('CONNECT_REFUSED', `the broker refused the connection: ${what}`);
}

function networkProblem(code: string, settings: ConnectionSettings): ClientError | undefined {
  const { address } = settings.endpoint;
  switch (code) {
    case 'ECONNREFUSED':
      return new ClientError(
        'CONNECTION_REFUSED',
        `connection refused: nothing is listening on ${address}`,
        'is the broker running? check --url or PIMINDER_URL',
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ClientError(
        'UNREACHABLE',
        `cannot resolve the broker's host name "${settings.endpoint.host}"`,
      );
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return new ClientError('UNREACHABLE', `cannot reach ${address} (${code})`);
    default:
      return undefined;
  }
}

/**
 * Explains a connection attempt that ended before the broker accepted it. Our broker refuses a
 * client certificate by closing the connection right after the handshake, without an alert
 * (TLS 1.3 finishes the client's side of the handshake before the server has checked its
 * certificate); the client then compares its certificate with the CA and CRL on disk to
 * name the likely reason.
 */
export async function explainConnectFailure(
  error: Error | undefined,
  stage: ConnectStage,
  settings: ConnectionSettings,
): Promise<ClientError> {
  const code = (error as { code?: unknown } | undefined)?.code;
  // OpenSSL's messages can span lines; every failure is one line.
  const said = error?.message.replace(/\s+/g, ' ').trim();

  if (typeof code === 'number') return connackRefusal(code, settings);
  if (typeof code === 'string') {
    const known =
      networkProblem(code, settings) ??
      (code in SERVER_CERT_PROBLEMS ? serverCertificateProblem(code, settings) : undefined) ??
      (await alertProblem(code, settings));
    if (known) return known;
    if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
      return new ClientError('TLS_SERVER', `TLS failure: ${said ?? code}`);
    }
  }

  const { address } = settings.endpoint;
  // OpenSSL's answer to a peer that is not TLS at all, such as a plain HTTP or MQTT port.
  if (code === 'EPROTO' && /wrong version number|packet length too long/.test(said ?? '')) {
    return new ClientError(
      'NOT_TLS',
      `${address} does not speak TLS: it answered the handshake in plain text`,
      "point --url or PIMINDER_URL at the broker's TLS port, 8883 by default",
    );
  }
  switch (stage) {
    case 'tcp':
      return new ClientError(
        'CONNECTION_LOST',
        `cannot connect to ${address}: ${said ?? 'connection closed'}`,
      );
    case 'tls':
      return new ClientError(
        'CONNECTION_LOST',
        `the broker at ${address} closed the connection during the TLS handshake` +
          (said === undefined ? '' : ` (${said})`),
        'is it a Piminder broker speaking TLS on this port?',
      );
    case 'mqtt':
      return refusedCertificate(settings, 'closed the connection after the TLS handshake');
    case 'not-mqtt':
      return new ClientError(
        'NOT_MQTT',
        `${address} is not an MQTT broker: it answered the CONNECT with something other ` +
          "than a CONNACK; is it an HTTPS port, such as the bridge's?",
        "point --url or PIMINDER_URL at the broker's port, 8883 by default",
      );
  }
}
