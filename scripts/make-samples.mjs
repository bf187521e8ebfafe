#!/usr/bin/env node
// Writes the sample logs under samples/ (committed): a KB 2851708 case as it shows in each log, plus healthy
// traffic around it. Deterministic (seeded), so re-running it changes nothing. CRLF line ends, as Windows
// writes them. Usage: node scripts/make-samples.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'samples');
mkdirSync(out, { recursive: true });

let seed = 2851708;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const pick = (a) => a[Math.floor(rnd() * a.length)];
const pad = (n, w = 2) => String(n).padStart(w, '0');

// --- IIS W3C log of an Exchange 2010 SP2 CAS (UTC times), 2013-09-19 ---
const healthy = [
  { user: 'CONTOSO\\alice', dev: 'ApplF17KC4XHDTC0', type: 'iPhone', ua: 'Apple-iPhone5C2/1002.329' },
  { user: 'CONTOSO\\bob', dev: 'androidc1234567890', type: 'Android', ua: 'Android/4.2.2-EAS-1.3' },
  { user: 'CONTOSO\\carol', dev: 'ApplC39H2KL1DTWF', type: 'iPad', ua: 'Apple-iPad3C1/1002.329' },
  { user: 'CONTOSO\\dave', dev: 'SEC1A2B3C4D5E6F7', type: 'SAMSUNGSGHI337', ua: 'SAMSUNG-SGH-I337/101.403' },
];
const storm = [
  {
    user: 'CONTOSO\\johndoe',
    dev: 'ApplDMPGH8DWDFJ3',
    type: 'iPad',
    ua: 'Apple-iPad2C2/1101.465',
    ip: '203.0.113.10',
  },
  {
    user: 'CONTOSO\\janedoe',
    dev: 'ApplF2LKJ8UYDTC1',
    type: 'iPhone',
    ua: 'Apple-iPhone5C2/1101.465',
    ip: '203.0.113.23',
  },
];
const lines = [
  '#Software: Microsoft Internet Information Services 7.5',
  '#Version: 1.0',
  '#Date: 2013-09-19 14:00:00',
  '#Fields: date time s-computername s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken',
];
const q = (d, cmd, log) =>
  `User=${encodeURIComponent(d.user.split('\\')[1])}&DeviceId=${d.dev}&DeviceType=${d.type}&Cmd=${cmd}&Log=${log}`;
let t = Date.UTC(2013, 8, 19, 14, 0, 5);
// 720 requests, one in three a failing Provision: 120 per storm device within about half an hour, enough
// to cross the storm rule (100 failures per device in an hour), so the demo shows the headline alert.
for (let i = 0; i < 720; i++) {
  t += Math.floor(rnd() * 4000) + 500;
  const d = new Date(t);
  const ts = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  if (i % 3 === 0) {
    const s = storm[(i / 3) % 2 === 0 ? 0 : 1];
    lines.push(
      `${ts} CAS01 10.0.0.5 POST /Microsoft-Server-ActiveSync/default.eas ${q(s, 'Provision', 'V141_LdapC1_LdapL0_RpcC4_RpcL0_S110_Error:System.ArgumentOutOfRangeException_Mbx:MBX01.contoso.com_Dc:DC01.contoso.com_Throttle0_')} 443 ${s.user} ${s.ip} ${s.ua} 200 0 0 ${40 + Math.floor(rnd() * 30)}`,
    );
  } else {
    const h = pick(healthy);
    const cmd = pick(['Sync', 'Ping', 'FolderSync', 'Sync']);
    const log =
      cmd === 'Ping'
        ? `V141_LdapC1_RpcC28_RpcL31_Hb1680_S1_Mbx:MBX01.contoso.com_Throttle0_`
        : `V141_Sst${Math.floor(rnd() * 20)}_LdapC0_LdapL0_RpcC12_RpcL15_S1_Mbx:MBX01.contoso.com_Throttle0_`;
    lines.push(
      `${ts} CAS01 10.0.0.5 POST /Microsoft-Server-ActiveSync/default.eas ${q(h, cmd, log)} 443 ${h.user} 198.51.100.${10 + Math.floor(rnd() * 50)} ${h.ua} 200 0 0 ${cmd === 'Ping' ? 1680000 : 20 + Math.floor(rnd() * 400)}`,
    );
  }
}
writeFileSync(path.join(out, 'u_ex130919.log'), lines.join('\r\n') + '\r\n');

// --- Application event 4999 as `wevtutil qe Application /f:xml` prints it (one <Event> per line) ---
const ev = (rec, time, pid) =>
  `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='MSExchange Common'/><EventID Qualifiers='16388'>4999</EventID><Level>2</Level><Task>1</Task><Keywords>0x80000000000000</Keywords><TimeCreated SystemTime='${time}'/><EventRecordID>${rec}</EventRecordID><Channel>Application</Channel><Computer>CAS01.contoso.com</Computer><Security/></System><EventData><Data>${pid}</Data><Data>E12</Data><Data>c-RTL-AMD64</Data><Data>14.02.0328.009</Data><Data>AirSync</Data><Data>M.Exchange.Compliance</Data><Data>M.E.S.C.MessageDigestForNonCryptographicPurposes.HashCore</Data><Data>System.ArgumentOutOfRangeException</Data><Data>6c1d</Data><Data>14.02.0328.000</Data><Data>False</Data><Data>False</Data><Data>w3wp</Data><Data></Data></EventData></Event>`;
writeFileSync(
  path.join(out, 'Application-4999.xml'),
  [
    ev(184467, '2013-09-19T14:00:06.000000000Z', 5620),
    ev(184468, '2013-09-19T14:02:41.000000000Z', 5620),
  ].join('\r\n') + '\r\n',
);

// --- EAS mailbox log of the KB device (Get-ActiveSyncDeviceStatistics -GetMailboxLog), server-local times ---
const entry = (n, time, id) =>
  [
    '',
    '-----------------',
    ` Log Entry: ${n}`,
    '-----------------',
    '',
    'RequestTime : ',
    time,
    '',
    'ServerName : ',
    'CAS01',
    '',
    'AssemblyVersion : ',
    '14.02.0328.009',
    '',
    'Identifier : ',
    id,
    '',
    'RequestHeader : ',
    'POST /Microsoft-Server-ActiveSync/default.eas?User=johndoe&DeviceId=ApplDMPGH8DWDFJ3&DeviceType=iPad&Cmd=Provision HTTP/1.1',
    'Connection: keep-alive',
    'Content-Length: 136',
    'Content-Type: application/vnd.ms-sync.wbxml',
    'Accept: */*',
    'Accept-Encoding: gzip, deflate',
    'Accept-Language: en-us',
    'Authorization: ********',
    'Cookie: Cookie=R3437444435',
    'Host: contosocas.com',
    'User-Agent: Apple-iPad2C2/1101.465',
    'MS-ASProtocolVersion: 14.1',
    '',
    '',
    'RequestBody : ',
    '<?xml version="1.0" encoding="utf-8" ?>',
    '<Provision xmlns="Provision:">',
    '\t<DeviceInformation xmlns="Settings:">',
    '\t\t<Set>',
    '\t\t\t<Model>iPad2C2</Model>',
    '\t\t\t<FriendlyName bytes="12"/>',
    '\t\t\t<OS>iOS 7.0 11A465</OS>',
    '\t\t\t<OSLanguage>English</OSLanguage>',
    '\t\t\t<UserAgent>Apple-iPad2C2/1101.465</UserAgent>',
    '\t\t</Set>',
    '\t</DeviceInformation>',
    '\t<Policies>',
    '\t\t<Policy>',
    '\t\t\t<PolicyType>MS-EAS-Provisioning-WBXML</PolicyType>',
    '\t\t</Policy>',
    '\t</Policies>',
    '</Provision>',
    '',
    'Command_WorkerThread_Exception : ',
    '--- Exception start ---',
    'Exception type: System.ArgumentOutOfRangeException',
    'Exception message: Non-negative number required.',
    'Parameter name: count',
    'Exception level: 0',
    'Exception stack trace:    at System.Buffer.BlockCopy(Array src, Int32 srcOffset, Array dst, Int32 dstOffset, Int32 count)',
    '   at Microsoft.Exchange.Security.Compliance.MessageDigestForNonCryptographicPurposes.HashCore(Byte[] array, Int32 ibStart, Int32 cbSize)',
    '   at System.Security.Cryptography.HashAlgorithm.ComputeHash(Byte[] buffer)',
    '   at Microsoft.Exchange.Configuration.SQM.SmsSqmDataPointHelper.Generate64BitUserID(String legacyDN)',
    '   at Microsoft.Exchange.AirSync.DeviceInformationSetting.ProcessSet(XmlNode setNode)',
    '   at Microsoft.Exchange.AirSync.ProvisionCommand.ExecuteCommand()',
    '--- Exception end ---',
    '',
    'AccessState : ',
    'Allowed',
    '',
    'AccessStateReason : ',
    'Global',
    '',
    'ResponseHeader : ',
    'HTTP/1.1 200 OK',
    'MS-Server-ActiveSync: 14.2',
    '',
    '',
    'ResponseBody : ',
    '<?xml version="1.0" encoding="utf-8" ?>',
    '<Provision xmlns="Provision:">',
    '\t<Status>110</Status>',
    '</Provision>',
    '',
    'ResponseTime : ',
    time,
    '',
  ].join('\r\n');
writeFileSync(
  path.join(out, 'EASMailboxLog_johndoe_iPad_ApplDMPGH8DWDFJ3.txt'),
  [entry(0, '09/19/2013 14:00:06', '4D7D0057'), entry(1, '09/19/2013 14:00:09', '4D7D005A')].join(''),
);
console.log(`samples written to ${path.relative(process.cwd(), out) || '.'}`);
