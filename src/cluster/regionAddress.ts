import type { Region } from '../config/types.js';

/** Where a region's dev server listens and whom it knows as superuser, from the region's url. */
export interface RegionAddress {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  /** Only when the url carries one; otherwise PGPASSWORD is the superuser's password. */
  readonly password: string | undefined;
}

/**
 * Reads the server address out of a region's url (already validated by the
 * config stage). The user defaults to `postgres`, the port to 5432.
 * @example regionAddress(region).port // 54310 for postgres://postgres@127.0.0.1:54310/residency
 */
export function regionAddress(region: Region): RegionAddress {
  const url = new URL(region.url);
  return {
    // An IPv6 host comes bracketed: [::1].
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost',
    port: url.port ? Number(url.port) : 5432,
    user: url.username ? decodeURIComponent(url.username) : 'postgres',
    database: decodeURIComponent(url.pathname.replace(/^\//, '')),
    password: url.password ? decodeURIComponent(url.password) : undefined,
  };
}
