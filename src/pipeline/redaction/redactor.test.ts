import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '../../../test/helpers/prng.js';
import { CREDENTIAL_NAMES, type Carrier } from './credential-names.js';
import { RedactionConfig } from './redaction.config.js';
import { compilePrefilter, compileRedactor, rarestPiece, REDACTED } from './redactor.js';

const r = compileRedactor();
const X = REDACTED;

describe('the credential table drives every carrier', () => {
  // One sample per carrier, built from a name: each table entry must be redacted in every carrier it names,
  // so a name added to the table needs nothing else (no trigger list, no regex) to work.
  const samples: Record<Carrier, (name: string) => [string, string]> = {
    header: (n) => [`Host: x\r\n${n}: v4lue-1\r\nAccept: */*`, `Host: x\r\n${n}: ${X}\r\nAccept: */*`],
    param: (n) => [`/x?a=1&${n}=v4lue%2B1&b=2`, `/x?a=1&${n}=${X}&b=2`],
    // A name that is also a header (api-key) takes the value to the end of the field: end it with a comma.
    colon: (n) => [`message: the ${n}: v4lue1, was set`, `message: the ${n}: ${X}, was set`],
    json: (n) => [`{"a":"1","${n}":"v4lue1"}`, `{"a":"1","${n}":"${X}"}`],
    xml: (n) => [`<a><${n}>v4lue1</${n}></a>`, `<a><${n}>${X}</${n}></a>`],
    field: (n) => [`<Data Name="${n}">v4lue1</Data>`, `<Data Name="${n}">${X}</Data>`],
    flag: (n) =>
      n === 'p'
        ? ['wevtutil /u:bob /p:v4lue1 x', `wevtutil /u:bob /p:${X} x`]
        : [`cmd -${n} v4lue1 -x`, `cmd -${n} ${X} -x`],
  };
  for (const e of CREDENTIAL_NAMES) {
    const spellings =
      e.match === 'exact'
        ? [e.name]
        : e.match === 'prefix'
          ? [e.name, `${e.name}Key1`]
          : [e.name, `New${e.name}`];
    for (const carrier of e.in) {
      for (const name of spellings) {
        it(`${name} in ${carrier}`, () => {
          const [input, want] = samples[carrier](name);
          assert.ok(r.triggered(input), 'the name triggers the rules');
          assert.equal(r.text(input), want);
          assert.equal(
            r.text(input.toLowerCase()),
            want.toLowerCase().replaceAll('[redacted]', X),
            'case-insensitive',
          );
        });
      }
    }
  }

  it('a name counts as a document key (field carrier)', () => {
    const doc = { winlog: { event_data: { Password: 'pw1', SubjectUserName: 'bob' } } };
    r.document(doc);
    assert.deepEqual(doc, { winlog: { event_data: { Password: X, SubjectUserName: 'bob' } } });
  });
});

describe('carriers and encodings', () => {
  const cases: [string, string, string][] = [
    [
      'IIS cs(Cookie): OWA FBA, ASP.NET, AD FS and WIF cookies, `;+` separated',
      'cadata=abc123;+cadataKey=k3y/+=;+cadataIV=iv1;+cadataSig=s1g;+cadataTTL=ttl1==;+ASP.NET_SessionId=sess1;+MSISAuth=m1;+FedAuth1=f1;+X-BEResource=keep;+PBack=0',
      `cadata=${X};+cadataKey=${X};+cadataIV=${X};+cadataSig=${X};+cadataTTL=${X};+ASP.NET_SessionId=${X};+MSISAuth=${X};+FedAuth1=${X};+X-BEResource=keep;+PBack=0`,
    ],
    [
      'IIS cs(Authorization): Basic with `+`',
      'GET /x - 443 Basic+dXNlcjpodW50ZXIy 200',
      `GET /x - 443 Basic+${X} 200`,
    ],
    [
      'a Bearer JWT in an IIS user agent',
      'Outlook-iOS/2.0+Bearer+eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefgh 200',
      `Outlook-iOS/2.0+Bearer+${X} 200`,
    ],
    [
      'OAuth and SAML query parameters',
      '/adfs/ls/?client_secret=cs1&refresh_token=rt1&SAMLResponse=PHNhbWw%2B&code=oc1&SAMLRequest=keep',
      `/adfs/ls/?client_secret=${X}&refresh_token=${X}&SAMLResponse=${X}&code=${X}&SAMLRequest=keep`,
    ],
    ['percent-encoded twice', 'x=password%253Dpw2%2526y%253D1', `x=password%253D${X}%2526y%253D1`],
    [
      'percent-encoded once inside a parameter',
      'Log=Foo_url:%2Fowa%3Fuser%3Da%26password%3Dhunter2%26x%3D1_Bar',
      `Log=Foo_url:%2Fowa%3Fuser%3Da%26password%3D${X}%26x%3D1_Bar`,
    ],
    ['`Password:` with a colon in a query', '?user=a&Password:colonpw', `?user=a&Password:${X}`],
    [
      'an EAS &Log= token',
      'Log=V141_Mbx:EX01.contoso.com_Dc:DC02_Password:pw9_Throttle0',
      `Log=V141_Mbx:EX01.contoso.com_Dc:DC02_Password:${X}`,
    ],
    [
      'XML elements, with a namespace prefix, and escaped',
      '<Password>p1</Password> <A:Password>p2</A:Password> &lt;Password&gt;p3&lt;/Password&gt;',
      `<Password>${X}</Password> <A:Password>${X}</A:Password> &lt;Password&gt;${X}&lt;/Password&gt;`,
    ],
    [
      'an XML element whose text is on the next line',
      '<Password>\r\n    p4\r\n</Password>',
      `<Password>\r\n    ${X}\r\n</Password>`,
    ],
    [
      'event data by name, plain and escaped',
      `<Data Name="Password">d1</Data><Data Name='SubjectUserName'>bob</Data> &lt;Data Name=&quot;NewPassword&quot;&gt;d2&lt;/Data&gt;`,
      `<Data Name="Password">${X}</Data><Data Name='SubjectUserName'>bob</Data> &lt;Data Name=&quot;NewPassword&quot;&gt;${X}&lt;/Data&gt;`,
    ],
    [
      'JSON, and JSON escaped in a JSON string',
      '{"password":"j1","user":"a"} {\\"client_secret\\":\\"j2\\"}',
      `{"password":"${X}","user":"a"} {\\"client_secret\\":\\"${X}\\"}`,
    ],
    [
      'JSON escaped as XML text (event data holding a request body)',
      '<Data Name="Body">{&quot;client_secret&quot;:&quot;j3&quot;,&quot;a&quot;:&quot;b&quot;}</Data>',
      `<Data Name="Body">{&quot;client_secret&quot;:&quot;${X}&quot;,&quot;a&quot;:&quot;b&quot;}</Data>`,
    ],
    [
      'command lines',
      'net use x -Password f1 --password=f2 /p:f3 /u:bob -pwd "f 4" -x -Password f5',
      `net use x -Password ${X} --password=${X} /p:${X} /u:bob -pwd "${X}" -x -Password ${X}`,
    ],
    [
      'URL user info, plain and percent-encoded',
      'https://elastic:u1@es:9200/ url=https%3A%2F%2Fu%3Au2%40host%2F',
      `https://elastic:${X}@es:9200/ url=https%3A%2F%2Fu%3A${X}%40host%2F`,
    ],
    ['a password with @ in URL user info', 'http://a:p@ss@h/x', `http://a:${X}@h/x`],
    [
      'ConvertTo-SecureString',
      "$s = ConvertTo-SecureString 'ss1' -AsPlainText -Force",
      `$s = ConvertTo-SecureString '${X}' -AsPlainText -Force`,
    ],
    [
      'header lines (Negotiate token, Cookie, OWA canary)',
      'Authorization: Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnagMDAu\r\nCookie: a=b; c=d\r\nX-OWA-CANARY: can1\r\nHost: x',
      `Authorization: ${X}\r\nCookie: ${X}\r\nX-OWA-CANARY: ${X}\r\nHost: x`,
    ],
    [
      'headers inside a field',
      '2020-01-01,req1,"Cookie: X-BackEndCookie=S-1-5-21=abc; cadata=xyz",next',
      `2020-01-01,req1,"Cookie: ${X}",next`,
    ],
    [
      'winlog param text with a request',
      'GET /?password=e1 HTTP/1.1 Authorization: Basic YWRtaW46c2VjcmV0, Cookie: x=1',
      `GET /?password=${X} HTTP/1.1 Authorization: ${X}, Cookie: ${X}`,
    ],
    ['Basic whose token is only letters but decodes to user:password', 'Basic dXNlcjpwYXNz', `Basic ${X}`],
    ['an API key header', 'X-Api-Key: k1', `X-Api-Key: ${X}`],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => {
      assert.equal(r.text(input), want);
      assert.equal(r.textFull(input), want);
    });
  }

  it('keeps prose, look-alike names and what is deliberately not a credential', () => {
    for (const clean of [
      'Elevated Token: Yes',
      'Basic authentication failed; NTLM V2; Negotiate authentication',
      'error_code=5&status_code=200&passwordless=1&PasswordExpiry=90&keysync=1',
      'SAMLRequest=fZJNT4NAEIb%2F&RelayState=%2Fowa',
      'X-BEResource=EXMBX01/EWS/Exchange.asmx~1942062522; X-AnchorMailbox=a@b.c',
      'the code is in the signature of the design',
      'https://mail.contoso.com/owa/ and user@contoso.com',
      '2013-09-19 14:22:11 10.0.0.5 POST /Microsoft-Server-ActiveSync/default.eas User=johndoe&DeviceId=ApplDMPGH8DWDFJ3&DeviceType=iPad&Cmd=Provision 443 CONTOSO\\johndoe 203.0.113.10 Apple-iPad2C2/1101.465 200 0 0 47',
    ]) {
      assert.equal(r.text(clean), clean);
    }
  });

  it('returns the same string object when there is nothing to redact', () => {
    const s = 'POST /Microsoft-Server-ActiveSync/default.eas User=johndoe&Cmd=Provision';
    assert.equal(r.text(s), s);
    assert.equal(r.triggered(s), false);
  });

  it('is idempotent', () => {
    const s = 'Authorization: Basic YWRtaW46c2VjcmV0\r\n?password=a&x=https://u:p@h <Password>q</Password>';
    assert.equal(r.text(r.text(s)), r.text(s));
  });
});

describe('ranged redaction equals every rule over the whole text', () => {
  const samples = [
    'no secrets here\r\nat all',
    'GET /x?User=a&password=hunter2&Cmd=Sync HTTP/1.1\r\nAuthorization: Basic anNtaXRoOlN1bW1lcjIwMTMh\r\nCookie: a=b\r\n',
    'line one\nAuthorization: Basic\n\n   \n  anNtaXRoOlN1bW1lcjIwMTMh trailing\nnext',
    'see https://user:secretpw@host/path and token=abc;x',
    'a\rCookie: x=y\rb\u2028Authorization: Negotiate YIIBhwYGKwYBBQUCoIIBezCCAXeg\u2029c',
    'x Authorization: a\r\nthen Basic\r\n\r\nanNtaXRoOlN1bW1lcjIwMTMh\r\n',
    'Bearer\r\n\r\neyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0 and sig=123&access_token=zz',
    '<Set>\r\n  <Password>\r\n\r\n   p1\r\n  </Password>\r\n</Set>',
  ];
  it('on samples', () => {
    for (const s of samples) assert.equal(r.text(s), r.textFull(s), JSON.stringify(s));
  });

  it('on 8,000 random texts', () => {
    const parts = [
      'Basic',
      'Bearer',
      'NTLM',
      'Digest',
      ' ',
      '+',
      '%20',
      '\r\n',
      '\n',
      '\r',
      '\t',
      '\u2028',
      'Authorization:',
      'Cookie: ',
      'X-OWA-Canary:',
      'x-ms-auth-1:',
      '?',
      '&',
      ';',
      '=',
      ':',
      '_',
      '-',
      '/',
      '/p:',
      '-Password',
      'password=',
      'Password:',
      'password%253D',
      '%26',
      'token=',
      'code=',
      'cadata=',
      'sig=',
      '"password":',
      '\\"',
      '&quot;',
      '&quot;token&quot;:',
      '<Password>',
      '</Password>',
      '<Data Name="Pwd">',
      '&lt;',
      '&gt;',
      'https://',
      'https%3A%2F%2F',
      '%3A',
      '%40',
      'u:p@h',
      '@',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0',
      'ConvertTo-SecureString ',
      "'q'",
      'abcdefghij',
      'QUJDREVGR0g=',
      '"',
      'x',
    ];
    let seed = 42;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 8000; i++) {
      let s = '';
      const n = 1 + Math.floor(rnd() * 24);
      for (let k = 0; k < n; k++) s += parts[Math.floor(rnd() * parts.length)];
      assert.equal(r.text(s), r.textFull(s), JSON.stringify(s));
    }
  });
});

describe('the prefilter before the gate', () => {
  // The gate as it was before the prefilter, rebuilt here from the table (not from the redactor's own lists):
  // any trigger literal, case-insensitive, or a shape. `triggered` must agree with it on every text.
  const escape = (l: string): string => l.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  const literals = [
    ...CREDENTIAL_NAMES.map((e) => e.trigger ?? e.name),
    ...['basic', 'bearer', 'negotiate', 'ntlm', 'digest', 'apikey', 'securestring'],
  ];
  const literalRe = new RegExp(literals.map(escape).join('|'), 'i');
  const gate = (t: string): boolean =>
    literalRe.test(t) ||
    t.includes('eyJ') ||
    /:\/\/[^\s/?#@]*@/.test(t) ||
    /%(?:25)?3[aA]%(?:25)?2[fF]%(?:25)?2[fF]/.test(t);

  /** `l` with each ASCII letter's case flipped at random. */
  const anyCase = (l: string, rnd: () => number): string =>
    [...l].map((c) => (rnd() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join('');

  it('lets every trigger literal through, in any case, alone and at the start, middle and end of a line', () => {
    const rnd = mulberry32(16);
    const line =
      '2014-03-10 00:00:00 10.20.1.21 POST /Microsoft-Server-ActiveSync/default.eas Cmd=Ping&Log=V141_Hb721_S1_ 443';
    for (const l of [...literals, 'eyJ', 'https://u:p@h', 'x%3A%2F%2Fy', 'x%253a%252f%252fy']) {
      for (const t of [
        l,
        anyCase(l, rnd),
        l + line,
        line + anyCase(l, rnd),
        `${line.slice(0, 50)}${l}${line}`,
      ]) {
        assert.equal(r.triggered(t), gate(t), JSON.stringify(t));
        if (t.toLowerCase().includes(l.toLowerCase()) && l !== 'eyJ') assert.ok(r.triggered(t), t);
      }
    }
  });

  it('agrees with the gate on names split by encodings, control characters and look-alike letters', () => {
    const texts = [
      'pass%77ord=1', // `pass` is whole: triggers
      'p%61ssword=1', // no literal left whole: does not
      'Pass%2DWord',
      'pa\u0000ss=1',
      'to\u0007ken=1',
      'coo\tkie: x',
      'auth\r\nx',
      'au\nth=1',
      'se%63ret=1',
      'to\u212Aen=1', // KELVIN SIGN: not `k` without the `u` flag
      '\u017Fig=1', // LATIN SMALL LETTER LONG S
      'ſecret',
      'sig',
      'pwd',
      '/p:',
      '/P:x',
      '/p',
      'si',
      '',
      'eyj.eyj',
      'EYJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0',
      'http://host@x',
      'http:/\u0000/u:p@h',
      '%3a%2f%2f',
      '%3A%252F%2f',
      '3a%',
      'T%C3%B6ken',
      'tökën',
      'Ŧoken',
    ];
    for (const t of texts) assert.equal(r.triggered(t), gate(t), JSON.stringify(t));
    assert.ok(
      r.triggered('pass%77ord=1') && !r.triggered('p%61ssword=1'),
      "r.triggered('pass%77ord=1') && !r.triggered('p%61ssword=1')",
    );
  });

  it('agrees with the gate on 20,000 random texts of IIS pieces and fragments of every literal', () => {
    const rnd = mulberry32(2851708);
    const pieces = [
      '_',
      '%',
      '%2',
      '%25',
      '3a',
      '3A',
      ':',
      '/',
      '//',
      '@',
      '&',
      '=',
      ' ',
      '+',
      '\u0000',
      '\u212A',
    ];
    pieces.push('Cmd=Ping', 'User=jd', 'Mbx:EX01.contoso.com', 'Log=V141_S1_', 'eyJ', 'ey', 'J');
    for (const l of literals) for (let i = 1; i < l.length; i++) pieces.push(l.slice(0, i), l.slice(i));
    for (let n = 0; n < 20_000; n++) {
      let t = '';
      const k = 1 + Math.floor(rnd() * 10);
      for (let i = 0; i < k; i++) t += anyCase(pieces[Math.floor(rnd() * pieces.length)]!, rnd);
      assert.equal(r.triggered(t), gate(t), JSON.stringify(t));
    }
  });

  it('proves nothing for a piece it cannot hash: a literal shorter than three chars, or a non-ASCII char', () => {
    assert.equal(compilePrefilter(['abc', undefined]).mayHold('zzzz'), true);
    assert.equal(compilePrefilter(['abc', 'ab']).mayHold('zzzz'), true);
    assert.equal(compilePrefilter(['abc', 'clé']).mayHold('zzzz'), true);
    const f = compilePrefilter(['abc', '/p:']);
    for (const t of ['abc', 'xxABC', 'xAbCx', 'x/P:', '/p:']) assert.equal(f.mayHold(t), true, t);
    for (const t of ['', 'ab', 'ab c', 'acb', 'xyz', '/p;', 'p:/']) assert.equal(f.mayHold(t), false, t);
    assert.equal(rarestPiece('pw'), undefined);
    assert.equal(rarestPiece('usercontext')!.length, 3);
    assert.ok(
      'usercontext'.includes(rarestPiece('usercontext')!),
      "'usercontext'.includes(rarestPiece('usercontext')!)",
    );
  });

  it('lets site names through to the rules: three chars of any kind, and shorter ones (which the config refuses)', () => {
    const site = compileRedactor(RedactionConfig.parse({ names: ['x.y', '*_pin'] }));
    assert.equal(site.text('GET /x?X.Y=1&card_PIN=2'), `GET /x?X.Y=${X}&card_PIN=${X}`);
    const short = compileRedactor({ names: ['pw'] });
    assert.equal(short.triggered('GET /x?pw=hunter2'), true);
    assert.equal(short.text('GET /x?pw=hunter2'), `GET /x?pw=${X}`);
  });
});

describe('documents', () => {
  it('redacts strings at any depth, in arrays and array objects, event.original included', () => {
    const doc = {
      event: { original: 'GET /?password=p1', action: 'x' },
      url: { query: 'a=1&password=hunter2' },
      list: ['Bearer abcdefghijkl1', 'clean'],
      objs: [{ m: 'see https://u:pw@host/' }],
      n: 1,
    };
    r.document(doc);
    assert.deepEqual(doc, {
      event: { original: `GET /?password=${X}`, action: 'x' },
      url: { query: `a=1&password=${X}` },
      list: [`Bearer ${X}`, 'clean'],
      objs: [{ m: `see https://u:${X}@host/` }],
      n: 1,
    });
  });

  it('replaces every value under a credential key as a whole, and keeps empty and `-` values', () => {
    const doc = {
      microsoft: {
        exchange: {
          mailbox_log: { request_headers: { Authorization: '********', Cookie: 'c=1', Host: 'h' } },
        },
      },
      winlog: {
        event_data: { Password: '-', NewPassword: '', client_secret: ['a', { b: 'c' }], param1: 'x' },
      },
    };
    r.document(doc);
    assert.deepEqual(doc, {
      microsoft: {
        exchange: { mailbox_log: { request_headers: { Authorization: X, Cookie: X, Host: 'h' } } },
      },
      winlog: { event_data: { Password: '-', NewPassword: '', client_secret: [X, { b: X }], param1: 'x' } },
    });
  });

  it('gives the same document as `text` on every string and the key rule, on 3,000 random documents', () => {
    type J = string | number | null | J[] | { [k: string]: J };
    const reference = (v: { [k: string]: J } | J[]): void => {
      const entries: [string | number, J][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
      for (const [k, x] of entries) {
        const set = (y: J): void => void ((v as Record<string | number, J>)[k] = y);
        const key = typeof k === 'string' && r.isCredentialName(k, 'field');
        if (typeof x === 'string') set(key ? (x === '' || x === '-' ? x : X) : r.text(x));
        else if (x !== null && typeof x === 'object') {
          if (key) {
            const wipe = (y: J): J =>
              typeof y === 'string'
                ? y === '' || y === '-'
                  ? y
                  : X
                : Array.isArray(y)
                  ? y.map(wipe)
                  : y !== null && typeof y === 'object'
                    ? Object.fromEntries(Object.entries(y).map(([a, b]) => [a, wipe(b)]))
                    : y;
            set(wipe(x));
          } else reference(x);
        }
      }
    };
    const words = [
      '',
      'x',
      '-',
      'token=',
      'Basic abcdefghij1',
      'a=1&pwd=zz',
      'https://u:p@h',
      'sig',
      '\n',
      'Cookie: c',
    ];
    const keys = ['a', 'b', 'Password', 'Cookie', 'code', 'original'];
    let seed = 9;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const str = (): string => {
      let s = '';
      for (let k = Math.floor(rnd() * 4); k > 0; k--) s += words[Math.floor(rnd() * words.length)];
      return s;
    };
    const value = (depth: number): J => {
      const x = rnd();
      if (x < 0.5 || depth > 2) return str();
      if (x < 0.6) return 1;
      if (x < 0.8) return [str(), value(depth + 1), str()];
      const o: { [k: string]: J } = {};
      for (let i = 0; i < 3; i++) o[keys[Math.floor(rnd() * keys.length)]!] = value(depth + 1);
      return o;
    };
    for (let i = 0; i < 3000; i++) {
      const doc: { [k: string]: J } = { event: { original: str(), action: str() }, x: value(0), y: value(0) };
      const want = structuredClone(doc);
      reference(want);
      r.document(doc);
      assert.deepEqual(doc, want);
    }
  });
});

describe('site additions (redaction: in the config)', () => {
  const site = compileRedactor(
    RedactionConfig.parse({
      names: ['X-Corp-Session', 'corp_*', '*_pin'],
      patterns: ['CORP-[0-9A-F]{8}', { pattern: 'badge #(?<value>\\d+)', ignoreCase: true }],
    }),
  );

  it('redacts extra names (exact, prefix, suffix) in every carrier and extra patterns', () => {
    assert.equal(site.text('X-Corp-Session: s1'), `X-Corp-Session: ${X}`);
    assert.equal(site.text('?corp_sid=a&card_pin=1234&x=1'), `?corp_sid=${X}&card_pin=${X}&x=1`);
    assert.equal(site.text('{"card_pin":"1234"}'), `{"card_pin":"${X}"}`);
    assert.equal(site.text('ticket CORP-0A1B2C3D here'), `ticket ${X} here`);
    assert.equal(site.text('BADGE #4711 seen'), `BADGE #${X} seen`);
    assert.ok(site.triggered('ticket CORP-0A1B2C3D'), 'an extra pattern triggers by itself');
    const doc = { winlog: { event_data: { corp_token2: 'v', note: 'Badge #12' } } };
    site.document(doc);
    assert.deepEqual(doc, { winlog: { event_data: { corp_token2: X, note: `Badge #${X}` } } });
  });

  it('keeps the built-in table in force', () => {
    assert.equal(site.text('?password=p'), `?password=${X}`);
  });

  it('rejects a bad name or pattern with a clear message', () => {
    const bad = RedactionConfig.safeParse({ names: ['*x*', 'a b'], patterns: ['(', 'x*'] });
    assert.equal(bad.success, false);
    const messages = bad.error!.issues.map((i) => i.message).join('\n');
    assert.match(messages, /one end only/);
    assert.match(messages, /a name/);
    assert.match(messages, /invalid pattern: .*(Unterminated group|Invalid regular expression)/);
    assert.match(messages, /matches the empty string/);
  });
});

describe('the README documents the table', () => {
  it('lists every credential name and every deliberate exception', async () => {
    const { readFileSync } = await import('node:fs');
    const { NOT_CREDENTIALS } = await import('./credential-names.js');
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Redaction'), readme.indexOf('## CLI'));
    for (const e of CREDENTIAL_NAMES) assert.ok(section.includes(`| \`${e.name}\` | ${e.match}`), e.name);
    for (const n of NOT_CREDENTIALS) assert.ok(section.includes(`\`${n.name}\``), n.name);
  });
});
