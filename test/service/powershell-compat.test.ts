// install.ps1 / uninstall.ps1 must run on Windows PowerShell 4.0 (Server 2012 R2). There is no PowerShell on
// this Linux machine, so this is a blacklist of what 4.0 lacks plus a bracket-balance gate, not a parser.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { WINDOWS_DIR, checkPowerShell4, read, stripPowerShellComments } from './service-checks.js';

const scripts = ['install.ps1', 'uninstall.ps1'].map((name) => ({
  name,
  text: read(path.join(WINDOWS_DIR, name)),
}));

describe('PowerShell 4.0 compatibility', () => {
  for (const { name, text } of scripts) {
    it(`${name} uses nothing newer than PowerShell 4.0`, () => {
      assert.deepEqual(checkPowerShell4(text), []);
    });

    it(`${name} refuses to run without elevation`, () => {
      assert.match(text, /IsInRole\(\[System\.Security\.Principal\.WindowsBuiltInRole\]::Administrator\)/);
      assert.match(text, /if \(-not \(Test-Administrator\)\) \{\s+throw/);
    });

    it(`${name} calls the service control tool as sc.exe and stops on errors`, () => {
      assert.match(text, /'sc\.exe'/);
      assert.match(text, /\$ErrorActionPreference = 'Stop'/);
    });
  }

  it('install.ps1 takes install dir, data dir, account and source folders', () => {
    const install = scripts[0]!.text;
    for (const param of ['InstallDir', 'DataDir', 'SourceFolder', 'GmsaAccount']) {
      assert.match(install, new RegExp(`\\[string(\\[\\])?\\]\\$${param}\\b`), param);
    }
    assert.match(
      install,
      /\[ValidateSet\('virtual', 'gmsa', 'localsystem'\)\]\s+\[string\]\$Account = 'virtual'/,
    );
  });

  it('install.ps1 removes inherited ACLs on its folders and grants sources read with inheritance', () => {
    const install = scripts[0]!.text;
    assert.match(install, /'\/inheritance:r', '\/grant:r'/);
    assert.match(install, /':\(OI\)\(CI\)RX'/);
    assert.match(install, /':\(OI\)\(CI\)M'/);
    assert.match(install, /'start=', 'delayed-auto'/);
  });

  it('uninstall.ps1 keeps the data folder unless -Purge', () => {
    const uninstall = scripts[1]!.text;
    assert.match(uninstall, /\[switch\]\$Purge/);
    assert.match(
      uninstall,
      /if \(\$Purge\) \{[\s\S]{0,200}Remove-Item -LiteralPath \$DataDir -Recurse -Force/,
    );
  });
});

describe('the PowerShell 4.0 checker', () => {
  it('flags constructs and cmdlets that 4.0 does not have', () => {
    const bad: Array<[string, RegExp]> = [
      ["$a = $b ?? 'x'", /\?\?/],
      ['$n = $svc?.Name', /null-conditional/],
      ['$x = $ok ? 1 : 2', /ternary/],
      ['sc.exe stop casguard && sc.exe start casguard', /&&/],
      ['Remove-Service -Name casguard', /Remove-Service/],
      ['New-Service -Name c -BinaryPathName x -StartupType AutomaticDelayedStart', /delayed-auto/],
      ["Add-LocalGroupMember -Group 'Event Log Readers' -Member x", /LocalGroupMember/],
      ['$sid = [System.Security.Principal.NTAccount]::new($n)', /New-Object/],
      ['sc query casguard', /bare sc/],
      ["& 'sc' delete casguard", /bare sc/],
      ['class Foo { }', /class/],
      ["Set-Content -Path x -Value 'é'", /non-ASCII/],
      ['if ($a) { $b', /never closed/],
    ];
    for (const [line, why] of bad) {
      const problems = checkPowerShell4(`${line}\n`);
      assert.ok(
        problems.some((p) => why.test(p)),
        `${line}: ${problems.join('; ') || 'not flagged'}`,
      );
    }
  });

  it('ignores forbidden words in comments and accepts 4.0 idioms', () => {
    const ok = [
      '# Remove-Service needs PowerShell 6, so: sc.exe delete',
      '<# a ?? b and a && b are PowerShell 7 #>',
      "$x = New-Object System.Security.Principal.NTAccount('NT SERVICE\\casguard')",
      "& 'sc.exe' config casguard start= delayed-auto",
      '$hash = (Get-FileHash -Algorithm SHA256 -LiteralPath $f).Hash',
      "Write-Host 'a # not a comment'",
    ].join('\n');
    assert.deepEqual(checkPowerShell4(ok), []);
  });

  it('blanks comments but keeps strings and line numbers', () => {
    assert.equal(stripPowerShellComments("a # c\n'#' <# x\ny #> b"), "a    \n'#'     \n     b");
  });
});
