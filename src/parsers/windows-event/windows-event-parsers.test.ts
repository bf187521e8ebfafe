import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitDelimitedRow } from '../delimited-row.js';
import { localToUtcMs, readLocalTime } from './local-time.js';
import { keywordsHex, parseKeywords, standardKeywordNames } from './windows-meta.js';

describe('readLocalTime', () => {
  it('reads en-US month/day with AM/PM, including 12 AM and 12 PM', () => {
    assert.deepEqual(readLocalTime('9/19/2013 10:22:11 AM'), {
      year: 2013,
      month: 9,
      day: 19,
      hour: 10,
      minute: 22,
      second: 11,
      millisecond: 0,
    });
    assert.equal(readLocalTime('1/4/2016 12:05:00 AM')?.hour, 0);
    assert.equal(readLocalTime('1/4/2016 12:05:00 PM')?.hour, 12);
  });

  it('reads de-DE day.month, year-first, and day-first slashes on a 24-hour clock', () => {
    assert.equal(readLocalTime('19.09.2013 16:22:11')?.month, 9);
    assert.equal(readLocalTime('2013-09-19 16:22:11')?.day, 19);
    assert.equal(readLocalTime('05/09/2013 16:22:11')?.month, 9, 'en-GB: 5 September');
    assert.equal(readLocalTime('09/19/2013 16:22:11')?.month, 9, 'only month-first is a valid date');
  });

  it('refuses impossible dates and other text', () => {
    assert.equal(readLocalTime('2/30/2013 10:22:11 AM'), undefined);
    assert.equal(readLocalTime('<Date>'), undefined);
    assert.equal(readLocalTime('13:00:00 PM 1/1/2013'), undefined);
  });
});

describe('localToUtcMs', () => {
  it('applies daylight saving time of the assumed zone', () => {
    const summer = readLocalTime('9/19/2013 10:22:11 AM')!;
    assert.equal(
      new Date(localToUtcMs(summer, 'America/New_York')!).toISOString(),
      '2013-09-19T14:22:11.000Z',
    );
    const winter = readLocalTime('1/4/2016 5:21:43 AM')!;
    assert.equal(
      new Date(localToUtcMs(winter, 'America/New_York')!).toISOString(),
      '2016-01-04T10:21:43.000Z',
    );
    assert.equal(new Date(localToUtcMs(winter, '+01:00')!).toISOString(), '2016-01-04T04:21:43.000Z');
    assert.equal(new Date(localToUtcMs(winter, 'UTC')!).toISOString(), '2016-01-04T05:21:43.000Z');
  });

  it('returns undefined for an unknown zone', () => {
    assert.equal(localToUtcMs(readLocalTime('1/4/2016 5:21:43 AM')!, 'Nowhere/Special'), undefined);
  });
});

describe('splitDelimitedRow', () => {
  it('splits quoted fields holding delimiters, doubled quotes and line ends', () => {
    assert.deepEqual(splitDelimitedRow('a,"b,c","say ""hi""\r\nnext",', ','), {
      fields: ['a', 'b,c', 'say "hi"\r\nnext', ''],
    });
    assert.deepEqual(splitDelimitedRow('Error\t1/1/2013 1:00:00 AM\tSrc\t1\tNone\t"x\ty"', '\t'), {
      fields: ['Error', '1/1/2013 1:00:00 AM', 'Src', '1', 'None', 'x\ty'],
    });
  });

  it('reports an unclosed quote and text after a closing quote', () => {
    assert.deepEqual(splitDelimitedRow('a,"b', ','), { error: 'unclosed quote in field 2' });
    assert.deepEqual(splitDelimitedRow('"a"b,c', ','), { error: 'text after the closing quote of field 1' });
  });
});

describe('keywords', () => {
  it('reads hex and PowerShell decimal (negative for the top bit) and names the standard bits', () => {
    assert.equal(keywordsHex(parseKeywords('36028797018963968')!), '0x80000000000000');
    assert.equal(keywordsHex(parseKeywords('-9214364837600034816')!), '0x8020000000000000');
    assert.deepEqual(standardKeywordNames(parseKeywords('0x8020000000000000')!), ['Audit Success']);
    assert.deepEqual(standardKeywordNames(parseKeywords('0x80000000000000')!), ['Classic']);
    assert.equal(parseKeywords('Classic'), undefined);
  });
});
