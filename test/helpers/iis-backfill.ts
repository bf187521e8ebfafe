// A generated IIS W3C log of ActiveSync requests for backfill tests (several turns of the readers per file): the
// IIS header, then `lines` POST lines of one day, one second apart, each file with its own users, devices and
// client addresses (distinct content, so distinct file identities). About 340 bytes per line.

export function iisBackfillLog(file: number, lines: number): string {
  const parts = [
    '#Software: Microsoft Internet Information Services 8.5\r\n#Version: 1.0\r\n#Date: 2026-11-02 00:00:00\r\n' +
      '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) ' +
      'cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n',
  ];
  for (let l = 0; l < lines; l++) {
    const s = String(l % 60).padStart(2, '0');
    const m = String(Math.floor(l / 60) % 60).padStart(2, '0');
    const h = String(Math.floor(l / 3600) % 24).padStart(2, '0');
    parts.push(
      `2026-11-02 ${h}:${m}:${s} 10.0.0.${file + 1} POST /Microsoft-Server-ActiveSync/default.eas ` +
        `User=f${file}u${l % 500}&DeviceId=ApplF${file}D${l % 500}&DeviceType=iPhone&Cmd=Sync` +
        `&Log=V141_Sst${l % 20}_LdapC0_LdapL0_RpcC12_RpcL31_Ers1_Pk3090276676_S1_` +
        ` 443 CONTOSO\\f${file}u${l % 500} 192.168.${file}.${l % 250} Apple-iPhone9C1/1402.72 - 200 0 0 ${15 + (l % 90)}\r\n`,
    );
  }
  return parts.join('');
}
