import { join } from 'node:path';

/** Where each file of the PKI lives under the certificate folder. */
export function certPaths(dir: string) {
  return {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    crl: join(dir, 'crl.pem'),
    index: join(dir, 'index.json'),
    clients: join(dir, 'clients'),
    clientCert: (name: string) => join(dir, 'clients', `${name}.crt`),
    clientKey: (name: string) => join(dir, 'clients', `${name}.key`),
    /** A copy of every certificate ever issued, so superseded ones can still be shown. */
    issued: join(dir, 'issued'),
    issuedCert: (serial: string) => join(dir, 'issued', `${serial.toUpperCase()}.crt`),
  };
}

export type CertPaths = ReturnType<typeof certPaths>;

/** The files `init` writes at the top of the folder; `init --force` moves them aside first. */
export function pkiFiles(dir: string): string[] {
  const paths = certPaths(dir);
  return [
    paths.caCert,
    paths.caKey,
    paths.serverCert,
    paths.serverKey,
    paths.crl,
    paths.index,
    paths.clients,
    paths.issued,
  ];
}
