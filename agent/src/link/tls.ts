// TLS for the link: the system's trust by default; an optional CA file that replaces it; optional SPKI SHA-256
// pins (any certificate of the verified chain may match, so an intermediate can be pinned and pins rotated).
import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import tls, { type PeerCertificate } from 'node:tls';

/** TLS settings from the configuration profile. */
export interface LinkTlsSettings {
  /** PEM bundle used instead of the system roots. */
  caFile?: string;
  /** base64 SHA-256 hashes of SubjectPublicKeyInfo; when non-empty one must match. */
  spkiPins?: readonly string[];
}

/** Options for https.request and ws. */
export interface TlsRequestOptions {
  ca?: string;
  checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined;
}

/** The base64 SHA-256 pin of a certificate's public key (DER SubjectPublicKeyInfo). */
export function spkiPin(cert: PeerCertificate): string {
  // cert.pubkey is the bare key for EC certificates, so derive the SPKI from the DER certificate instead.
  const spki = new X509Certificate(cert.raw).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/** Build the request options for `settings`. */
export function tlsRequestOptions(settings: LinkTlsSettings): TlsRequestOptions {
  const options: TlsRequestOptions = {};
  if (settings.caFile !== undefined) options.ca = readFileSync(settings.caFile, 'utf8');
  const pins = settings.spkiPins ?? [];
  if (pins.length > 0) {
    options.checkServerIdentity = (host, cert) => {
      const hostError = tls.checkServerIdentity(host, cert);
      if (hostError !== undefined) return hostError;
      const seen = new Set<string>();
      for (let current: tls.DetailedPeerCertificate | undefined = cert as tls.DetailedPeerCertificate; current !== undefined; ) {
        const pin = spkiPin(current);
        if (pins.includes(pin)) return undefined;
        if (seen.has(pin)) break;
        seen.add(pin);
        current = current.issuerCertificate;
      }
      return new Error(`checking server certificate for ${host}: no certificate in the chain matches a configured SPKI pin`);
    };
  }
  return options;
}
