// Hand-built documents shaped per the field conventions (/tmp/casguard-fields.md), for engine tests that do not
// need the real parsers. The scenario test uses real log lines instead.
import type { EcsDocument } from '../../src/pipeline/document.types.js';

export const T0 = Date.parse('2013-09-19T14:00:00.000Z');
export const iso = (ms: number): string => new Date(ms).toISOString();

export interface EasOptions {
  t: number;
  host?: string;
  observer?: string;
  device?: string;
  user?: string;
  command?: string;
  status?: number;
  error?: string;
  outcome?: 'success' | 'failure';
  ua?: string;
  osVersion?: string;
  osFull?: string;
  logSource?: 'iis' | 'mailbox-log' | 'httpproxy';
  build?: string;
  kbStatus?: string;
}

export function easDoc(o: EasOptions): EcsDocument {
  const status = o.status ?? 1;
  const failure = o.outcome ?? (status !== 1 || o.error !== undefined ? 'failure' : 'success');
  const doc: EcsDocument = {
    '@timestamp': iso(o.t),
    event: {
      kind: 'event',
      module: 'exchange',
      dataset: 'exchange.activesync',
      category: ['web'],
      type: ['access'],
      action: o.command ?? 'Sync',
      outcome: failure,
    },
    data_stream: { type: 'logs', dataset: 'exchange.activesync', namespace: 'default' },
    ...(o.host ? { host: { name: o.host } } : {}),
    ...(o.observer ? { observer: { hostname: o.observer } } : {}),
    user: { name: o.user ?? 'johndoe', domain: 'contoso' },
    device: { id: o.device ?? 'ApplDMPGH8DWDFJ3' },
    user_agent: {
      original: o.ua ?? 'Apple-iPad2C2/1101.465',
      os: { name: 'iOS', version: o.osVersion ?? '7.0', full: o.osFull ?? 'iOS 7.0 (11A465)' },
    },
    source: { ip: '203.0.113.10' },
    microsoft: {
      exchange: {
        activesync: {
          command: o.command ?? 'Sync',
          status,
          log_source: o.logSource ?? 'iis',
          ...(o.error ? { error: o.error } : {}),
        },
        ...(o.build
          ? {
              server: {
                build: o.build,
                kb2851708: {
                  status: o.kbStatus ?? 'affected',
                  fix: 'Exchange Server 2010 SP3 Update Rollup 2 (14.3.158.1)',
                },
              },
            }
          : {}),
      },
    },
    ...(o.error ? { error: { type: o.error } } : {}),
  };
  return doc;
}

/** The KB's failing Provision, as the IIS normalizer writes it. */
export function provisionFailure(t: number, device = 'ApplDMPGH8DWDFJ3', host = 'cas01'): EcsDocument {
  return easDoc({
    t,
    host,
    device,
    command: 'Provision',
    status: 110,
    error: 'System.ArgumentOutOfRangeException',
  });
}

export interface WatsonOptions {
  t: number;
  computer?: string;
  app?: string;
  method?: string;
  exception?: string;
  build?: string;
}

export function watsonDoc(o: WatsonOptions): EcsDocument {
  const computer = o.computer ?? 'CAS01.contoso.com';
  return {
    '@timestamp': iso(o.t),
    event: {
      kind: 'event',
      module: 'exchange',
      dataset: 'exchange.application',
      code: '4999',
      provider: 'MSExchange Common',
    },
    data_stream: { type: 'logs', dataset: 'exchange.application', namespace: 'default' },
    host: { name: computer.split('.')[0]!.toLowerCase(), hostname: computer },
    winlog: { provider_name: 'MSExchange Common', event_id: '4999', computer_name: computer },
    microsoft: {
      exchange: {
        watson: {
          app: o.app ?? 'AirSync',
          method: o.method ?? 'M.E.S.C.MessageDigestForNonCryptographicPurposes.HashCore',
          exception: o.exception ?? 'System.ArgumentOutOfRangeException',
        },
        server: {
          build: o.build ?? '14.2.328.9',
          kb2851708: { status: 'affected', fix: 'Exchange Server 2010 SP3 Update Rollup 2 (14.3.158.1)' },
        },
      },
    },
    error: { type: o.exception ?? 'System.ArgumentOutOfRangeException' },
  };
}
