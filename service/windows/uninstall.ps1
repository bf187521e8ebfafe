<#
.SYNOPSIS
  Removes the casguard Windows service and what install.ps1 granted.

.DESCRIPTION
  Elevated Windows PowerShell 4.0 or later. Stops the service (casguard drains within its stop timeout),
  removes the read grants install.ps1 put on source folders and the Event Log Readers membership it added
  (both recorded in <InstallDir>\install-state.json), unregisters the service with WinSW (sc.exe delete as a
  fallback) and deletes the install folder. The data folder (config, checkpoints, spool, dead letters, logs)
  is kept unless -Purge is given, so a later install.ps1 resumes where the agent stopped.

.PARAMETER InstallDir
  Default: %ProgramFiles%\casguard.

.PARAMETER DataDir
  Default: the one recorded at install time, else %ProgramData%\casguard. Deleted only with -Purge.

.PARAMETER Purge
  Also delete DataDir: configuration (with the API key), registry, spool, dead letters and logs.
#>
[CmdletBinding()]
param(
    [string]$InstallDir = (Join-Path $env:ProgramFiles 'casguard'),
    [string]$DataDir = '',
    [switch]$Purge
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

$ServiceId = 'casguard'
$WinswName = 'casguard-service'

function Write-Step([string]$Text) {
    Write-Host ('==> ' + $Text)
}

# Same helper as install.ps1: echo output, throw on an unexpected exit code, keep stderr from being fatal.
function Invoke-Native {
    param([string]$FilePath, [string[]]$ArgumentList, [int[]]$AllowedExitCodes = @(0))
    $saved = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'
    try {
        $output = & $FilePath @ArgumentList 2>&1
        $code = $LASTEXITCODE
    }
    finally {
        $ErrorActionPreference = $saved
    }
    foreach ($line in $output) {
        Write-Host ('    ' + $line)
    }
    if ($AllowedExitCodes -notcontains $code) {
        throw ('{0} {1} failed with exit code {2}' -f $FilePath, ($ArgumentList -join ' '), $code)
    }
    return $code
}

function Test-Administrator {
    $identity = [System.Security.Principal.WindowsIdentity]::GetCurrent()
    $principal = New-Object System.Security.Principal.WindowsPrincipal($identity)
    return $principal.IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)
}

function Get-GroupName([string]$Sid) {
    $sidObject = New-Object System.Security.Principal.SecurityIdentifier($Sid)
    $full = $sidObject.Translate([System.Security.Principal.NTAccount]).Value
    return $full.Substring($full.IndexOf('\') + 1)
}

if (-not (Test-Administrator)) {
    throw 'Run this script from an elevated PowerShell (Run as administrator).'
}

$InstallDir = [System.IO.Path]::GetFullPath($InstallDir)
$stateFile = Join-Path $InstallDir 'install-state.json'
$state = $null
if (Test-Path -LiteralPath $stateFile -PathType Leaf) {
    $state = Get-Content -LiteralPath $stateFile -Raw | ConvertFrom-Json
}
else {
    Write-Warning ('{0} not found: source-folder grants, if any, are left in place.' -f $stateFile)
}
if ($DataDir -eq '') {
    if ($null -ne $state) {
        $DataDir = $state.dataDir
    }
    else {
        $DataDir = Join-Path $env:ProgramData 'casguard'
    }
}

$existing = Get-Service -Name $ServiceId -ErrorAction SilentlyContinue
if ($null -ne $existing -and $existing.Status -ne 'Stopped') {
    Write-Step ('Stopping {0}' -f $ServiceId)
    Stop-Service -Name $ServiceId -Force
}

# Grants go before the service: '*SID' works either way, but the account name stops resolving once the
# virtual account is gone.
if ($null -ne $state) {
    $sid = $state.principalSid
    foreach ($folder in @($state.sourceFolders)) {
        if ($null -eq $folder -or $folder -eq '') {
            continue
        }
        if (Test-Path -LiteralPath $folder) {
            Write-Step ('Removing the read grant on {0}' -f $folder)
            [void](Invoke-Native -FilePath 'icacls.exe' -ArgumentList @($folder, '/remove:g', ('*' + $sid)))
        }
    }
    if ($state.addedToEventLogReaders) {
        $group = Get-GroupName 'S-1-5-32-573'
        Write-Step ('Removing {0} from {1}' -f $state.principal, $group)
        [void](Invoke-Native -FilePath 'net.exe' -ArgumentList @('localgroup', $group, $state.principal, '/delete') -AllowedExitCodes @(0, 2))
    }
}

if ($null -ne $existing) {
    Write-Step ('Unregistering {0}' -f $ServiceId)
    $winsw = Join-Path $InstallDir ($WinswName + '.exe')
    if (Test-Path -LiteralPath $winsw -PathType Leaf) {
        [void](Invoke-Native -FilePath $winsw -ArgumentList @('uninstall'))
    }
    else {
        [void](Invoke-Native -FilePath 'sc.exe' -ArgumentList @('delete', $ServiceId))
    }
}
else {
    Write-Host ('    no {0} service registered' -f $ServiceId)
}

if (Test-Path -LiteralPath $InstallDir) {
    Write-Step ('Deleting {0}' -f $InstallDir)
    # Leave the folder first: a shell whose current directory is inside cannot delete it.
    Set-Location -LiteralPath $env:TEMP
    Remove-Item -LiteralPath $InstallDir -Recurse -Force
}

if ($Purge) {
    if (Test-Path -LiteralPath $DataDir) {
        Write-Step ('Deleting {0} (-Purge)' -f $DataDir)
        Remove-Item -LiteralPath $DataDir -Recurse -Force
    }
}
else {
    Write-Host ('Kept {0} (configuration, checkpoints, spool, logs). Delete it with -Purge.' -f $DataDir)
}
