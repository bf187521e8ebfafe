// One hour of ActiveSync traffic through a load balancer that spreads requests round-robin over a CAS array of 4
// hosts (issue 14), as real log files per host: an IIS W3C log (with s-computername) and a wevtutil XML export
// of event 4999. Deterministic (seeded). What is in it:
//   storms of KB 2851708 Provision failures (iOS 7, Status 110, ArgumentOutOfRangeException), request k on host
//   k mod 4: 900, 600, 400 (about 100 per host: the "alerted by 2 of the 4 agents"), 160 in 40 minutes
//   (about 40 per host: above the storm rule's 100 an hour only in sum), 200 from an iOS 7 device whose log names
//   no error (the KB signature without the exception), and 60 (below the threshold even in sum);
//   benign look-alikes: an Android device failing Provision with Status 110 ADTransientException 360 times and an
//   iOS 6 device failing with Status 110 180 times (neither carries the KB signature), healthy devices;
//   event 4999 (HashCore) on every host every 5 minutes from 14:05.
import { mulberry32 } from '../helpers/prng.js';
import { iisTime, KB_PARAMS, OK_LOG, watsonXml, type GeneratedFile } from '../detect/scenario.js';

export const ARRAY_HOURS_START = Date.parse('2013-09-19T14:00:00Z');
const HOUR = 3_600_000;
export const HOSTS = ['cas01', 'cas02', 'cas03', 'cas04'] as const;

export interface ArrayStorm {
  readonly device: string;
  readonly user: string;
  readonly requests: number;
  /** Whether the IIS line names the exception (false: Status 110 with no error token). */
  readonly withException: boolean;
}

export interface HostFiles {
  readonly host: string;
  /** The IIS log as lines (header first), to append over time. */
  readonly iisHeader: string[];
  readonly iisLines: string[];
  readonly iisName: string;
  readonly eventsXml: string;
  readonly eventsName: string;
}

export interface ArrayScenario {
  readonly hosts: HostFiles[];
  readonly storms: ArrayStorm[];
  readonly benignDevices: string[];
  /** Every file whole, for the single-host reference run. */
  readonly files: GeneratedFile[];
  /** Documents the agents ship: IIS lines and events. */
  readonly easDocs: number;
  readonly appDocs: number;
}

const FIELDS =
  'date time s-computername s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken';
const KB_LOG =
  'V141_LdapC1_LdapL0_RpcC4_RpcL0_S110_Error:System.ArgumentOutOfRangeException_Mbx:MBX01.contoso.com_Throttle0_';
const NO_ERROR_110 = 'V141_LdapC1_RpcC4_RpcL0_S110_Mbx:MBX01.contoso.com_Throttle0_';
const AD_TRANSIENT =
  'V141_LdapC1_RpcC4_RpcL0_S110_Error:ADTransientException_Mbx:MBX01.contoso.com_Throttle0_';
interface Line {
  t: number;
  text: string;
}

function iisLine(
  host: number,
  t: number,
  o: { user: string; device: string; type: string; cmd: string; log: string; ua: string; ip: string },
): Line {
  const query = `User=${o.user}&DeviceId=${o.device}&DeviceType=${o.type}&Cmd=${o.cmd}&Log=${o.log}`;
  const cols = [
    iisTime(t),
    HOSTS[host]!.toUpperCase(),
    `10.0.0.${11 + host}`,
    'POST',
    '/Microsoft-Server-ActiveSync/default.eas',
    query,
    '443',
    `CONTOSO\\${o.user}`,
    o.ip,
    o.ua,
    '200',
    '0',
    '0',
    '45',
  ];
  return { t, text: cols.join(' ') };
}

export function generateArrayScenario(healthyDevices = 200): ArrayScenario {
  const rnd = mulberry32(14);
  const lines: Line[][] = HOSTS.map(() => []);
  let rr = 0; // the load balancer's round-robin pointer, shared by all traffic
  const next = (): number => rr++ % HOSTS.length;

  const stormDefs = [
    { device: 'ApplSTORM0900AAA1', user: 'alice', requests: 900, start: 5 * 60_000, every: 3000, ex: true },
    { device: 'ApplSTORM0600BBB2', user: 'bruno', requests: 600, start: 15 * 60_000, every: 4000, ex: true },
    { device: 'ApplSTORM0400CCC3', user: 'chloe', requests: 400, start: 3000, every: 9000, ex: true },
    {
      device: 'ApplSTORM0160DDD4',
      user: 'dmitri',
      requests: 160,
      start: 10 * 60_000,
      every: 15_000,
      ex: true,
    },
    {
      device: 'ApplSTORMNOERREE5',
      user: 'erin',
      requests: 200,
      start: 20 * 60_000,
      every: 10_000,
      ex: false,
    },
    { device: 'ApplSTORM0060FFF6', user: 'fatima', requests: 60, start: 30_000, every: 60_000, ex: true },
  ];
  type Req = { t: number; line: (host: number) => Line };
  const reqs: Req[] = [];
  stormDefs.forEach((s, k) => {
    for (let i = 0; i < s.requests; i++) {
      const t = ARRAY_HOURS_START + s.start + i * s.every;
      reqs.push({
        t,
        line: (h) =>
          iisLine(h, t, {
            user: s.user,
            device: s.device,
            type: 'iPhone',
            cmd: 'Provision',
            log: s.ex ? KB_LOG : NO_ERROR_110,
            ua: 'Apple-iPhone5C2/1101.465',
            ip: `203.0.113.${20 + k}`,
          }),
      });
    }
  });
  const benign = [
    {
      device: 'androidc9ADTRANS01',
      user: 'gina',
      every: 10_000,
      log: AD_TRANSIENT,
      ua: 'Android/4.2.2-EAS-1.3',
      type: 'Android',
    },
    {
      device: 'ApplIOS6FAIL00001',
      user: 'hugo',
      every: 20_000,
      log: NO_ERROR_110,
      ua: 'Apple-iPhone4C1/1002.329',
      type: 'iPhone',
    },
  ];
  benign.forEach((b, k) => {
    for (let t = ARRAY_HOURS_START + 1000 + k * 500; t < ARRAY_HOURS_START + HOUR; t += b.every)
      reqs.push({
        t,
        line: (h) => iisLine(h, t, { ...b, cmd: 'Provision', ip: `198.51.100.${240 + k}` }),
      });
  });
  for (let i = 0; i < healthyDevices; i++) {
    const ios7 = i % 3 === 0;
    const ua = ios7
      ? 'Apple-iPad3C4/1101.465'
      : i % 3 === 1
        ? 'Apple-iPad3C1/1002.329'
        : 'Android/4.2.2-EAS-1.3';
    const device = ua.startsWith('Android')
      ? `androidc${300000000 + i}`
      : `Appl${(0x20000000 + i * 7919).toString(16).toUpperCase()}ZZ`;
    for (let r = 0; r < 4; r++) {
      const t = ARRAY_HOURS_START + Math.floor(rnd() * HOUR);
      const cmd = ['Sync', 'Ping', 'FolderSync'][Math.floor(rnd() * 3)]!;
      reqs.push({
        t,
        line: (h) =>
          iisLine(h, t, {
            user: `user${i}`,
            device,
            type: ua.startsWith('Android') ? 'Android' : 'iPad',
            cmd,
            log: OK_LOG[cmd]!,
            ua,
            ip: `198.51.100.${i % 200}`,
          }),
      });
    }
  }
  // The load balancer sees the requests in time order and hands each to the next host.
  reqs.sort((a, b) => a.t - b.t);
  for (const r of reqs) {
    const h = next();
    lines[h]!.push(r.line(h));
  }

  const header = [
    '#Software: Microsoft Internet Information Services 7.5',
    '#Version: 1.0',
    '#Date: 2013-09-19 14:00:00',
    `#Fields: ${FIELDS}`,
  ];
  let appDocs = 0;
  const hosts: HostFiles[] = HOSTS.map((host, h) => {
    const events: string[] = [];
    let recordId = 200000 + h * 1000;
    for (
      let t = ARRAY_HOURS_START + 5 * 60_000 + 500 + h * 1000;
      t < ARRAY_HOURS_START + HOUR;
      t += 5 * 60_000
    )
      events.push(watsonXml(t, recordId++, `${host.toUpperCase()}.contoso.com`, KB_PARAMS));
    appDocs += events.length;
    return {
      host,
      iisHeader: header,
      iisLines: lines[h]!.map((l) => l.text),
      iisName: `u_ex130919_${host}.log`,
      eventsXml: events.map((e) => `${e}\r\n`).join(''),
      eventsName: `Application-4999-${host}.xml`,
    };
  });
  const files: GeneratedFile[] = hosts.flatMap((hf) => [
    {
      name: hf.iisName,
      text: [...hf.iisHeader, ...hf.iisLines].join('\r\n') + '\r\n',
      observerHostname: hf.host,
    },
    { name: hf.eventsName, text: hf.eventsXml, observerHostname: hf.host },
  ]);
  return {
    hosts,
    storms: stormDefs.map((s) => ({
      device: s.device,
      user: s.user,
      requests: s.requests,
      withException: s.ex,
    })),
    benignDevices: [...benign.map((b) => b.device)],
    files,
    easDocs: hosts.reduce((n, hf) => n + hf.iisLines.length, 0),
    appDocs,
  };
}
