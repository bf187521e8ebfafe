// An hour of generated CAS traffic for the KB 2851708 scenario, as real log files (IIS W3C lines, wevtutil event
// XML, an EAS mailbox log), plus the expectations that follow from what was generated. Deterministic (seeded).
//
//   cas01 (Exchange 2010 SP2 RU5, 14.2.328.9, below the fix): IIS log with s-computername; three iOS 7 devices
//     in a Provision storm (Status 110, Error:System.ArgumentOutOfRangeException), 11 Watson 4999 reports
//     (HashCore) every 5 minutes, a mailbox log of the first 5 failures of storm device 1, an iOS 6 device that
//     fails Provision 3 times (449 / Status 142) and recovers, 1,500 healthy devices.
//   cas02 (Exchange 2010 SP3 RU2, 14.3.158.1, fixed): IIS log without s-computername (host from the agent),
//     1,500 healthy devices, 5 Android devices with other Status 110 errors (Provision IOException, Sync
//     MailboxOffline), an unrelated 4999 (OWA, NullReferenceException).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../helpers/prng.js';

export const HOUR_START = Date.parse('2013-09-19T14:00:00Z');
const HOUR_END = HOUR_START + 3_600_000;

export interface GeneratedFile {
  readonly name: string;
  readonly text: string;
  readonly observerHostname: string;
}

export interface StormDevice {
  readonly user: string;
  readonly device: string;
  readonly ua: string;
  readonly start: number;
  readonly everyMs: number;
  /** Times of its failed Provision requests (IIS lines). */
  readonly times: number[];
}

export interface Scenario {
  readonly files: GeneratedFile[];
  readonly storms: StormDevice[];
  /** Mailbox-log entries (all of storm device 0). */
  readonly mailboxEntries: number;
  readonly watsonSignatures: number;
  /** IIS lines on cas01 from iOS 7 devices that are not storm lines (healthy iOS 7 devices). */
  readonly healthyIos7OnCas01: number;
  readonly iisLines: number;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
/** An IIS W3C date and time column pair (UTC). */
export const iisTime = (ms: number): string => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
};
const mbxTime = (ms: number): string => {
  const d = new Date(ms);
  return `${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
};

interface Line {
  t: number;
  text: string;
}

const UA = {
  ios7: ['Apple-iPhone5C2/1101.465', 'Apple-iPad3C4/1101.465'],
  ios6: ['Apple-iPad3C1/1002.329', 'Apple-iPhone4C1/1002.329'],
  android: ['Android/4.2.2-EAS-1.3'],
};

function iisLine(
  withComputer: boolean,
  t: number,
  o: {
    user: string;
    device: string;
    type: string;
    cmd: string;
    log: string;
    ua: string;
    ip: string;
    status?: number;
  },
): Line {
  const query = `User=${o.user}&DeviceId=${o.device}&DeviceType=${o.type}&Cmd=${o.cmd}&Log=${o.log}`;
  const cols = [
    iisTime(t),
    ...(withComputer ? ['CAS01'] : []),
    withComputer ? '10.0.0.5' : '10.0.0.6',
    'POST',
    '/Microsoft-Server-ActiveSync/default.eas',
    query,
    '443',
    `CONTOSO\\${o.user}`,
    o.ip,
    o.ua,
    String(o.status ?? 200),
    '0',
    '0',
    '45',
  ];
  return { t, text: cols.join(' ') };
}

/** The `&Log=` strings of successful commands. */
export const OK_LOG: Record<string, string> = {
  Sync: 'V141_LdapC1_RpcC10_RpcL15_S1_Mbx:MBX01.contoso.com_Throttle0_',
  Ping: 'V141_LdapC1_RpcC28_RpcL31_Hb1680_S1_Mbx:MBX01.contoso.com_Throttle0_',
  FolderSync: 'V141_LdapC1_RpcC4_RpcL5_S1_Mbx:MBX01.contoso.com_Throttle0_',
};
const KB_LOG =
  'V141_LdapC1_LdapL0_RpcC4_RpcL0_S110_Error:System.ArgumentOutOfRangeException_Mbx:MBX01.contoso.com_Dc:DC01.contoso.com_Throttle0_';

/** An Application event 4999 (MSExchange Common Watson report) as wevtutil exports it. */
export function watsonXml(t: number, recordId: number, computer: string, params: string[]): string {
  const iso = `${new Date(t).toISOString().slice(0, -1)}000000Z`; // wevtutil writes 100 ns digits
  return (
    `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='MSExchange Common'/>` +
    `<EventID Qualifiers='16388'>4999</EventID><Level>2</Level><Task>1</Task><Keywords>0x80000000000000</Keywords>` +
    `<TimeCreated SystemTime='${iso}'/><EventRecordID>${recordId}</EventRecordID><Channel>Application</Channel>` +
    `<Computer>${computer}</Computer><Security/></System><EventData>` +
    params.map((p) => `<Data>${p}</Data>`).join('') +
    `</EventData></Event>`
  );
}

/** Event 4999's parameters for the KB 2851708 crash (AirSync, HashCore, ArgumentOutOfRangeException). */
export const KB_PARAMS = [
  '5620',
  'E12',
  'c-RTL-AMD64',
  '14.02.0328.009',
  'AirSync',
  'M.Exchange.Compliance',
  'M.E.S.C.MessageDigestForNonCryptographicPurposes.HashCore',
  'System.ArgumentOutOfRangeException',
  '6c1d',
  '14.02.0328.000',
  'False',
  'False',
  'w3wp',
  '',
];
const OTHER_PARAMS = [
  '7312',
  'E12',
  'c-RTL-AMD64',
  '14.03.0158.001',
  'OWA',
  'M.Exchange.Clients.Owa',
  'M.E.C.O.Core.Controls.RenderingUtilities.RenderSmallIcon',
  'System.NullReferenceException',
  '9a41',
  '14.03.0158.000',
  'False',
  'False',
  'w3wp',
  '',
];

/** `storm: false` leaves out the storm devices, their 4999 reports and mailbox log (an ordinary hour, for benches). */
export function generateScenario(healthyDevices = 3000, opts: { storm?: boolean } = {}): Scenario {
  const withStorm = opts.storm ?? true;
  const rnd = mulberry32(2851708);
  const cas01: Line[] = [];
  const cas02: Line[] = [];
  let healthyIos7OnCas01 = 0;

  // Healthy devices: 4 requests each at random times in the hour.
  for (let i = 0; i < healthyDevices; i++) {
    const onCas01 = i % 2 === 0;
    const kind = i % 10 < 4 ? 'ios6' : i % 10 < 7 ? 'ios7' : 'android';
    const ua = UA[kind][i % UA[kind].length]!;
    const device =
      kind === 'android'
        ? `androidc${100000000 + i}`
        : `Appl${(0x10000000 + i * 7919).toString(16).toUpperCase()}ZZ`;
    const type = kind === 'android' ? 'Android' : ua.includes('iPad') ? 'iPad' : 'iPhone';
    for (let r = 0; r < 4; r++) {
      const t = HOUR_START + Math.floor(rnd() * 3_600_000);
      const cmd = ['Sync', 'Ping', 'FolderSync'][Math.floor(rnd() * 3)]!;
      const line = iisLine(onCas01, t, {
        user: `user${i}`,
        device,
        type,
        cmd,
        log: OK_LOG[cmd]!,
        ua,
        ip: `198.51.100.${i % 250}`,
      });
      (onCas01 ? cas01 : cas02).push(line);
      if (onCas01 && kind === 'ios7') healthyIos7OnCas01++;
    }
  }

  // The storm on cas01.
  const stormDefs = [
    {
      user: 'johndoe',
      device: 'ApplDMPGH8DWDFJ3',
      ua: 'Apple-iPad2C2/1101.465',
      type: 'iPad',
      start: HOUR_START + 5 * 60_000,
      everyMs: 2000,
    },
    {
      user: 'janedoe',
      device: 'ApplF2LKJ8UYDTC1',
      ua: 'Apple-iPhone5C2/1101.465',
      type: 'iPhone',
      start: HOUR_START + 10 * 60_000 + 1000,
      everyMs: 3000,
    },
    {
      user: 'bob',
      device: 'ApplC7KX91QWDTC2',
      ua: 'Apple-iPad3C4/1101.465',
      type: 'iPad',
      start: HOUR_START + 20 * 60_000,
      everyMs: 2000,
    },
  ];
  const storms: StormDevice[] = (withStorm ? stormDefs : []).map((s, k) => {
    const times: number[] = [];
    for (let t = s.start; t < HOUR_END; t += s.everyMs) {
      times.push(t);
      cas01.push(iisLine(true, t, { ...s, cmd: 'Provision', log: KB_LOG, ip: `203.0.113.${10 + k}` }));
    }
    return { user: s.user, device: s.device, ua: s.ua, start: s.start, everyMs: s.everyMs, times };
  });

  // An iOS 6 device that fails Provision three times (policy refresh) and then recovers.
  const rec = {
    user: 'carol',
    device: 'ApplC39H2KL1DTWF',
    type: 'iPhone',
    ua: 'Apple-iPhone4C1/1002.329',
    ip: '198.51.100.251',
  };
  for (let k = 0; k < 3; k++)
    cas01.push(
      iisLine(true, HOUR_START + 15 * 60_000 + k * 30_000, {
        ...rec,
        cmd: 'Provision',
        log: 'V141_LdapC1_RpcC4_RpcL0_S142_Error:DeviceNotProvisioned_Mbx:MBX01.contoso.com_Throttle0_',
        status: 449,
      }),
    );
  cas01.push(
    iisLine(true, HOUR_START + 16 * 60_000 + 30_000, {
      ...rec,
      cmd: 'Provision',
      log: 'V141_LdapC1_RpcC4_RpcL0_S1_Mbx:MBX01.contoso.com_Throttle0_',
    }),
  );
  for (let k = 0; k < 10; k++)
    cas01.push(
      iisLine(true, HOUR_START + 17 * 60_000 + k * 60_000, { ...rec, cmd: 'Sync', log: OK_LOG['Sync']! }),
    );

  // Android devices with other Status 110 errors on cas02.
  for (let a = 0; a < 5; a++) {
    const dev = {
      user: `droid${a}`,
      device: `androidc90000000${a}`,
      type: 'Android',
      ua: 'Android/4.2.2-EAS-1.3',
      ip: `198.51.100.${200 + a}`,
    };
    for (let k = 0; k < 20; k++)
      cas02.push(
        iisLine(false, HOUR_START + a * 7000 + k * 120_000, {
          ...dev,
          cmd: 'Provision',
          log: 'V141_LdapC1_RpcC4_RpcL0_S110_Error:System.IO.IOException_Mbx:MBX01.contoso.com_Throttle0_',
        }),
      );
    for (let k = 0; k < 10; k++)
      cas02.push(
        iisLine(false, HOUR_START + a * 5000 + k * 300_000 + 60_000, {
          ...dev,
          cmd: 'Sync',
          log: 'V141_LdapC1_RpcC4_RpcL0_S110_Error:MailboxOffline_Mbx:MBX01.contoso.com_Throttle0_',
        }),
      );
  }

  const iisFile = (lines: Line[], withComputer: boolean): string => {
    lines.sort((x, y) => x.t - y.t);
    const fields = `date time ${withComputer ? 's-computername ' : ''}s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken`;
    return (
      [
        '#Software: Microsoft Internet Information Services 7.5',
        '#Version: 1.0',
        '#Date: 2013-09-19 14:00:00',
        `#Fields: ${fields}`,
        ...lines.map((l) => l.text),
      ].join('\r\n') + '\r\n'
    );
  };

  // Event 4999: 11 KB signatures on cas01 (every 5 minutes from the storm's start), one unrelated on cas02.
  const events: Line[] = [];
  let recordId = 184467;
  for (let t = stormDefs[0]!.start + 500; withStorm && t < HOUR_END; t += 5 * 60_000)
    events.push({ t, text: watsonXml(t, recordId++, 'CAS01.contoso.com', KB_PARAMS) });
  const watsonSignatures = events.length;
  events.push({
    t: HOUR_START + 30 * 60_000,
    text: watsonXml(HOUR_START + 30 * 60_000, 99001, 'CAS02.contoso.com', OTHER_PARAMS),
  });
  events.sort((x, y) => x.t - y.t);
  const xml = events.map((e) => `${e.text}\r\n`).join(''); // as `wevtutil qe Application /f:xml` writes it

  // Mailbox log of storm device 0: its first 5 failures, the same requests the IIS log has.
  const dir = path.dirname(fileURLToPath(import.meta.url));
  const template = readFileSync(path.join(dir, '../fixtures/detect/mailbox-entry-template.txt'), 'utf8');
  const mailboxEntries = 5;
  const mbx = (storms[0]?.times ?? [])
    .slice(0, mailboxEntries)
    .map((t, k) =>
      template
        .replace(' Log Entry: 0', ` Log Entry: ${k}`)
        .replace(/09\/19\/2013 14:00:06/g, mbxTime(t))
        .replace('4D7D0057', (0x4d7d0057 + k * 3).toString(16).toUpperCase()),
    )
    .join('');

  return {
    files: [
      { name: 'u_ex130919_cas01.log', text: iisFile(cas01, true), observerHostname: 'cas01' },
      { name: 'u_ex130919_cas02.log', text: iisFile(cas02, false), observerHostname: 'cas02' },
      { name: 'Application-4999.xml', text: xml, observerHostname: 'cas01' },
      { name: 'EASMailboxLog_johndoe_iPad_ApplDMPGH8DWDFJ3.txt', text: mbx, observerHostname: 'cas01' },
    ],
    storms,
    mailboxEntries,
    watsonSignatures,
    healthyIos7OnCas01,
    iisLines: cas01.length + cas02.length,
  };
}
