<#
.SYNOPSIS
  Installs (or re-installs) casguard as a Windows service through WinSW 2.12.

.DESCRIPTION
  Run from the unpacked casguard package, in an elevated Windows PowerShell (4.0 or later: Server 2012 R2 ships
  4.0, so this script avoids everything newer). Steps: check admin, every file of the package against its
  manifest.json, Node and the pinned WinSW hash (a package built without WinSW is refused); stop and
  remove an existing casguard service; copy the package into -InstallDir; create -DataDir; write the WinSW XML;
  `casguard-service.exe install` (start type, recovery, account); re-apply delayed start and recovery with
  sc.exe; set ACLs with icacls (install dir: service read/execute; data dir: inheritance removed, service modify;
  config: service read only; each -SourceFolder: service read, inherited by new daily files); optionally add
  the account to Event Log Readers; validate the config with `casguard test config`; start the service.
  Re-running it is the upgrade path: data and config under -DataDir are kept.

.PARAMETER InstallDir
  Where the binaries go. Default: %ProgramFiles%\casguard.

.PARAMETER DataDir
  Config, registry, spool, dead letters and logs. Default: %ProgramData%\casguard.

.PARAMETER Account
  virtual (default, NT SERVICE\casguard, no password), gmsa (needs -GmsaAccount) or localsystem (fallback).

.PARAMETER GmsaAccount
  DOMAIN\name$ of a group managed service account installed on this host (Install-ADServiceAccount).

.PARAMETER SourceFolder
  Log folders the service must read (IIS W3SVC*, HttpProxy\Eas, an export drop folder). Never a whole drive.

.PARAMETER ConfigFile
  A casguard YAML to install as <DataDir>\config\casguard.yml when none exists yet.

.EXAMPLE
  .\install.ps1 -SourceFolder 'C:\inetpub\logs\LogFiles','C:\Program Files\Microsoft\Exchange Server\V15\Logging\HttpProxy\Eas' -ConfigFile .\casguard.yml
#>
[CmdletBinding()]
param(
    [string]$InstallDir = (Join-Path $env:ProgramFiles 'casguard'),
    [string]$DataDir = (Join-Path $env:ProgramData 'casguard'),
    [ValidateSet('virtual', 'gmsa', 'localsystem')]
    [string]$Account = 'virtual',
    [string]$GmsaAccount = '',
    [string[]]$SourceFolder = @(),
    [string]$ConfigFile = '',
    [string]$PackageDir = '',
    [switch]$EventLogReaders,
    [switch]$NoStart,
    [switch]$AllowUnpinnedWinsw
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

$ServiceId = 'casguard'
$WinswName = 'casguard-service'
$TemplateRoot = '%ProgramData%\casguard'
$SidSystem = 'S-1-5-18'
$SidAdministrators = 'S-1-5-32-544'
$SidEventLogReaders = 'S-1-5-32-573'

function Write-Step([string]$Text) {
    Write-Host ('==> ' + $Text)
}

# Runs a native program, echoes its output, throws on a non-zero exit code. Windows PowerShell turns redirected
# stderr lines into errors, which 'Stop' would make fatal, so the preference is relaxed around the call.
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

function Resolve-Sid([string]$AccountName) {
    $nt = New-Object System.Security.Principal.NTAccount($AccountName)
    return $nt.Translate([System.Security.Principal.SecurityIdentifier]).Value
}

function Get-GroupName([string]$Sid) {
    # Group names are localised (for example "Ereignisprotokollleser"); net.exe wants the name, so translate.
    $sidObject = New-Object System.Security.Principal.SecurityIdentifier($Sid)
    $full = $sidObject.Translate([System.Security.Principal.NTAccount]).Value
    return $full.Substring($full.IndexOf('\') + 1)
}

function Wait-ServiceGone([string]$Name, [int]$Seconds) {
    $deadline = (Get-Date).AddSeconds($Seconds)
    while ((Get-Date) -lt $deadline) {
        if ($null -eq (Get-Service -Name $Name -ErrorAction SilentlyContinue)) {
            return
        }
        Start-Sleep -Milliseconds 500
    }
    throw ("Service '{0}' is still registered (marked for deletion?). Close services.msc / Event Viewer and retry." -f $Name)
}

function Set-FolderAcl([string]$Path, [string[]]$Grants) {
    # /inheritance:r drops what the parent hands down (ProgramData lets Users create files); the grants that
    # follow are the whole ACL. (OI)(CI) make files and folders created later inherit it.
    $arguments = @($Path, '/inheritance:r', '/grant:r') + $Grants
    [void](Invoke-Native -FilePath 'icacls.exe' -ArgumentList $arguments)
}

# ---------------------------------------------------------------------------------------------------------
# Checks before anything changes.

if (-not (Test-Administrator)) {
    throw 'Run this script from an elevated PowerShell (Run as administrator).'
}
if ($PSVersionTable.PSVersion.Major -lt 4) {
    throw 'Windows PowerShell 4.0 or later is required.'
}

if ($PackageDir -eq '') {
    # Not $PSScriptRoot as the parameter default: older hosts leave it empty while binding parameters.
    $PackageDir = Split-Path -Parent $MyInvocation.MyCommand.Path
}
$PackageDir = (Resolve-Path -LiteralPath $PackageDir).ProviderPath
$InstallDir = [System.IO.Path]::GetFullPath($InstallDir)
$DataDir = [System.IO.Path]::GetFullPath($DataDir)
if ($PackageDir.TrimEnd('\') -eq $InstallDir.TrimEnd('\')) {
    # The installed XML is already rewritten; the template only exists in the package.
    throw 'Run install.ps1 from the unpacked package folder, not from the install folder.'
}

# A package built without the wrapper (npm run package:windows with no --winsw) can run casguard.cmd, not a service.
$winswMissing = Join-Path $PackageDir 'WINSW-MISSING.txt'
if (Test-Path -LiteralPath $winswMissing -PathType Leaf) {
    throw ('This package was built without the WinSW service wrapper (casguard-service.exe) and cannot be installed as a service; see {0}. Use the release package (its name has no -without-winsw).' -f $winswMissing)
}

$packageNode = Join-Path $PackageDir 'node.exe'
$packageWinsw = Join-Path $PackageDir ($WinswName + '.exe')
$packageXml = Join-Path $PackageDir ($WinswName + '.xml')
$packageMain = Join-Path $PackageDir 'dist\cli\main.js'
$lockFile = Join-Path $PackageDir 'winsw.lock.json'
foreach ($required in @($packageNode, $packageWinsw, $packageXml, $packageMain, $lockFile)) {
    if (-not (Test-Path -LiteralPath $required -PathType Leaf)) {
        throw ('The package is incomplete: {0} is missing (see README.md, package layout).' -f $required)
    }
}

Write-Step 'Checking the package against manifest.json'
# Every file the build put in the package, by SHA-256: a truncated download or a changed file stops here.
$manifestFile = Join-Path $PackageDir 'manifest.json'
if (-not (Test-Path -LiteralPath $manifestFile -PathType Leaf)) {
    throw ('The package is incomplete: {0} is missing.' -f $manifestFile)
}
$manifest = Get-Content -LiteralPath $manifestFile -Raw | ConvertFrom-Json
$checked = 0
foreach ($entry in $manifest.files.PSObject.Properties) {
    $file = Join-Path $PackageDir ($entry.Name.Replace('/', '\'))
    if (-not (Test-Path -LiteralPath $file -PathType Leaf)) {
        throw ('The package is incomplete: {0} is missing (listed in manifest.json).' -f $file)
    }
    $hash = (Get-FileHash -Algorithm SHA256 -LiteralPath $file).Hash
    if ($hash -ne $entry.Value.sha256) {
        throw ('{0} has SHA-256 {1}, manifest.json says {2}: unpack the package again from the verified zip.' -f $file, $hash, $entry.Value.sha256)
    }
    $checked++
}
Write-Host ('    {0} files match (casguard {1}, Node {2})' -f $checked, $manifest.version, $manifest.node.version)

Write-Step 'Checking the pinned WinSW build'
$lock = Get-Content -LiteralPath $lockFile -Raw | ConvertFrom-Json
$actualHash = (Get-FileHash -Algorithm SHA256 -LiteralPath $packageWinsw).Hash
if ($lock.sha256 -notmatch '^[0-9A-Fa-f]{64}$') {
    if (-not $AllowUnpinnedWinsw) {
        throw ('winsw.lock.json has no SHA-256 yet ({0}): this package was not built by the release pipeline. Use -AllowUnpinnedWinsw only in a lab.' -f $lock.sha256)
    }
    Write-Warning ('WinSW hash not pinned; running {0} with SHA-256 {1}' -f $packageWinsw, $actualHash)
}
elseif ($lock.sha256 -ne $actualHash) {
    throw ('{0} has SHA-256 {1}, winsw.lock.json expects {2}.' -f $packageWinsw, $actualHash, $lock.sha256)
}

Write-Step 'Checking node.exe'
$nodeVersion = (& $packageNode --version).Trim()
$nodeMajor = [int]($nodeVersion.TrimStart('v').Split('.')[0])
# The WMI version is the real one; Environment.OSVersion depends on the host's compatibility manifest.
$os = [version](Get-CimInstance -ClassName Win32_OperatingSystem).Version
Write-Host ('    node {0} on Windows {1}' -f $nodeVersion, $os)
if ($nodeMajor -lt 20) {
    throw ('casguard needs Node 20.19 or later; the package has {0}.' -f $nodeVersion)
}
if ($nodeMajor -ge 24 -and ($os.Major -lt 10)) {
    throw ('Node {0} does not start on Windows Server 2012 R2 / 8.1; use the package built with Node 22.' -f $nodeVersion)
}

$principalName = $null
switch ($Account) {
    'virtual' { $principalName = 'NT SERVICE\' + $ServiceId }
    'gmsa' {
        if ($GmsaAccount -notmatch '^[^\\]+\\[^\\]+\$$') {
            throw '-Account gmsa needs -GmsaAccount DOMAIN\name$ (with the trailing $).'
        }
        $principalName = $GmsaAccount
    }
    'localsystem' { $principalName = 'NT AUTHORITY\SYSTEM' }
}

$sources = @()
foreach ($folder in $SourceFolder) {
    if (-not (Test-Path -LiteralPath $folder -PathType Container)) {
        throw ('Source folder not found: {0}' -f $folder)
    }
    $full = (Resolve-Path -LiteralPath $folder).ProviderPath.TrimEnd('\')
    if ($full.Length -le 2 -or $full -eq [System.IO.Path]::GetPathRoot($full).TrimEnd('\')) {
        throw ('Refusing to grant read on a whole drive ({0}); name the log folders.' -f $folder)
    }
    $sources += $full
}

# ---------------------------------------------------------------------------------------------------------
# Remove an existing service (install is also the upgrade path; WinSW refuses to install over an existing one).

$existing = Get-Service -Name $ServiceId -ErrorAction SilentlyContinue
if ($null -ne $existing) {
    Write-Step ('Stopping and removing the existing {0} service' -f $ServiceId)
    if ($existing.Status -ne 'Stopped') {
        Stop-Service -Name $ServiceId -Force
    }
    # Undo the previous install's grants; this run grants again what is still wanted.
    $oldStateFile = Join-Path $InstallDir 'install-state.json'
    if (Test-Path -LiteralPath $oldStateFile -PathType Leaf) {
        $oldState = Get-Content -LiteralPath $oldStateFile -Raw | ConvertFrom-Json
        foreach ($folder in @($oldState.sourceFolders)) {
            if ($null -ne $folder -and $folder -ne '' -and (Test-Path -LiteralPath $folder)) {
                [void](Invoke-Native -FilePath 'icacls.exe' -ArgumentList @($folder, '/remove:g', ('*' + $oldState.principalSid)))
            }
        }
        if ($oldState.addedToEventLogReaders) {
            $group = Get-GroupName $SidEventLogReaders
            [void](Invoke-Native -FilePath 'net.exe' -ArgumentList @('localgroup', $group, $oldState.principal, '/delete') -AllowedExitCodes @(0, 2))
        }
    }
    $installedWinsw = Join-Path $InstallDir ($WinswName + '.exe')
    if (Test-Path -LiteralPath $installedWinsw -PathType Leaf) {
        [void](Invoke-Native -FilePath $installedWinsw -ArgumentList @('uninstall'))
    }
    else {
        [void](Invoke-Native -FilePath 'sc.exe' -ArgumentList @('delete', $ServiceId))
    }
    Wait-ServiceGone -Name $ServiceId -Seconds 30
}

# ---------------------------------------------------------------------------------------------------------
# Files.

Write-Step ('Copying the package to {0}' -f $InstallDir)
if (-not (Test-Path -LiteralPath $InstallDir)) {
    [void](New-Item -ItemType Directory -Path $InstallDir)
}
$items = @('node.exe', ($WinswName + '.exe'), 'winsw.lock.json', 'uninstall.ps1', 'README.md', 'package.json',
    'dist', 'node_modules', 'config', 'samples', 'casguard.cmd', 'manifest.json', 'SHA256SUMS', 'LICENSE',
    'THIRD-PARTY-NOTICES.txt')
foreach ($item in $items) {
    $from = Join-Path $PackageDir $item
    if (Test-Path -LiteralPath $from) {
        $to = Join-Path $InstallDir $item
        if (Test-Path -LiteralPath $to -PathType Container) {
            # Replace folders whole: files dropped by the new version must not linger.
            Remove-Item -LiteralPath $to -Recurse -Force
        }
        Copy-Item -LiteralPath $from -Destination $to -Recurse -Force
    }
}

Write-Step ('Preparing {0}' -f $DataDir)
$configDir = Join-Path $DataDir 'config'
$serviceLogDir = Join-Path $DataDir 'logs\service'
foreach ($dir in @($DataDir, $configDir, $serviceLogDir)) {
    if (-not (Test-Path -LiteralPath $dir)) {
        [void](New-Item -ItemType Directory -Path $dir)
    }
}
$configPath = Join-Path $configDir 'casguard.yml'
$configIsNew = $false
if (-not (Test-Path -LiteralPath $configPath)) {
    $configIsNew = $true
    if ($ConfigFile -ne '') {
        Copy-Item -LiteralPath $ConfigFile -Destination $configPath
    }
    else {
        Copy-Item -LiteralPath (Join-Path $PackageDir 'config\casguard.example.yml') -Destination $configPath
    }
}

Write-Step 'Writing the WinSW configuration'
[xml]$doc = Get-Content -LiteralPath $packageXml -Raw
$service = $doc.DocumentElement
foreach ($name in @('arguments', 'workingdirectory', 'logpath')) {
    $node = $service.SelectSingleNode($name)
    $node.InnerText = $node.InnerText.Replace($TemplateRoot, $DataDir)
}
foreach ($envNode in $service.SelectNodes('env')) {
    $envNode.SetAttribute('value', $envNode.GetAttribute('value').Replace($TemplateRoot, $DataDir))
}
$accountNode = $service.SelectSingleNode('serviceaccount')
if ($Account -eq 'localsystem') {
    [void]$service.RemoveChild($accountNode)
}
elseif ($Account -eq 'gmsa') {
    $parts = $GmsaAccount.Split('\')
    $accountNode.SelectSingleNode('domain').InnerText = $parts[0]
    $accountNode.SelectSingleNode('user').InnerText = $parts[1]
    $logon = $doc.CreateElement('allowservicelogon')
    $logon.InnerText = 'true'
    [void]$accountNode.AppendChild($logon)
}
$installedXml = Join-Path $InstallDir ($WinswName + '.xml')
$doc.Save($installedXml)

# ---------------------------------------------------------------------------------------------------------
# Service registration. WinSW writes start type, delayed flag, recovery and account; sc.exe applies the same
# settings again so the result does not depend on one tool, and adds what WinSW 2 has no element for.

Write-Step 'Registering the service'
$installedWinsw = Join-Path $InstallDir ($WinswName + '.exe')
[void](Invoke-Native -FilePath $installedWinsw -ArgumentList @('install'))
[void](Invoke-Native -FilePath 'sc.exe' -ArgumentList @('config', $ServiceId, 'start=', 'delayed-auto'))
[void](Invoke-Native -FilePath 'sc.exe' -ArgumentList @('failure', $ServiceId, 'reset=', '86400', 'actions=', 'restart/5000/restart/30000/restart/60000'))
# Recovery also when the service stops itself with an error code, not only when the process dies.
[void](Invoke-Native -FilePath 'sc.exe' -ArgumentList @('failureflag', $ServiceId, '1'))
# The service SID (NT SERVICE\casguard) must be in the process token for the ACLs below to apply.
[void](Invoke-Native -FilePath 'sc.exe' -ArgumentList @('sidtype', $ServiceId, 'unrestricted'))

# ---------------------------------------------------------------------------------------------------------
# ACLs. SIDs, not names: group names are localised, and '*SID' works after the account is gone.

Write-Step ('Setting ACLs for {0}' -f $principalName)
$principalSid = Resolve-Sid $principalName
$base = @(('*' + $SidSystem + ':(OI)(CI)F'), ('*' + $SidAdministrators + ':(OI)(CI)F'))
if ($Account -eq 'localsystem') {
    Set-FolderAcl -Path $InstallDir -Grants $base
    Set-FolderAcl -Path $DataDir -Grants $base
    Set-FolderAcl -Path $configDir -Grants $base
}
else {
    Set-FolderAcl -Path $InstallDir -Grants ($base + ('*' + $principalSid + ':(OI)(CI)RX'))
    Set-FolderAcl -Path $DataDir -Grants ($base + ('*' + $principalSid + ':(OI)(CI)M'))
    # The config holds the Elasticsearch API key: the service reads it and cannot change it.
    Set-FolderAcl -Path $configDir -Grants ($base + ('*' + $principalSid + ':(OI)(CI)RX'))
}

$granted = @()
if ($Account -ne 'localsystem') {
    foreach ($folder in $sources) {
        Write-Host ('    read access on {0}' -f $folder)
        [void](Invoke-Native -FilePath 'icacls.exe' -ArgumentList @($folder, '/grant', ('*' + $principalSid + ':(OI)(CI)RX')))
        $granted += $folder
    }
}

$addedToEventLogReaders = $false
if ($EventLogReaders -and $Account -ne 'localsystem') {
    # Only needed for live event log channels; exported .evtx files need file ACLs only.
    $group = Get-GroupName $SidEventLogReaders
    Write-Host ('    adding {0} to {1}' -f $principalName, $group)
    $code = Invoke-Native -FilePath 'net.exe' -ArgumentList @('localgroup', $group, $principalName, '/add') -AllowedExitCodes @(0, 2)
    $addedToEventLogReaders = ($code -eq 0)
    if (-not $addedToEventLogReaders) {
        Write-Warning ('net localgroup returned {0}: already a member, or the add failed. Check: net localgroup "{1}"' -f $code, $group)
    }
}

# What uninstall.ps1 must undo. Kept in the install folder, which the service cannot write.
$state = New-Object PSObject -Property @{
    serviceId              = $ServiceId
    account                = $Account
    principal              = $principalName
    principalSid           = $principalSid
    dataDir                = $DataDir
    sourceFolders          = $granted
    addedToEventLogReaders = $addedToEventLogReaders
    installedAt            = (Get-Date).ToUniversalTime().ToString('o')
}
$state | ConvertTo-Json | Set-Content -LiteralPath (Join-Path $InstallDir 'install-state.json') -Encoding UTF8

Write-Step 'Result'
[void](Invoke-Native -FilePath 'sc.exe' -ArgumentList @('qc', $ServiceId))
[void](Invoke-Native -FilePath 'sc.exe' -ArgumentList @('qfailure', $ServiceId))
foreach ($dir in (@($InstallDir, $DataDir, $configDir) + $granted)) {
    [void](Invoke-Native -FilePath 'icacls.exe' -ArgumentList @($dir))
}

# ---------------------------------------------------------------------------------------------------------
# Validate and start.

Write-Step ('Validating {0}' -f $configPath)
$installedNode = Join-Path $InstallDir 'node.exe'
$installedMain = Join-Path $InstallDir 'dist\cli\main.js'
$env:CASGUARD_DATA_DIR = $DataDir
$testCode = Invoke-Native -FilePath $installedNode -ArgumentList @($installedMain, 'test', 'config', '--config', $configPath) -AllowedExitCodes @(0, 1)
if ($testCode -ne 0) {
    Write-Warning ('The configuration is invalid (see above). Fix {0}, then: Start-Service {1}' -f $configPath, $ServiceId)
    exit 1
}
if ($configIsNew -and $ConfigFile -eq '') {
    Write-Warning ('{0} is a copy of the example. Edit it (inputs, Elasticsearch), then: Start-Service {1}' -f $configPath, $ServiceId)
    exit 0
}
if ($NoStart) {
    Write-Host ('Installed, not started (-NoStart). Start with: Start-Service {0}' -f $ServiceId)
    exit 0
}

Write-Step 'Starting the service'
Start-Service -Name $ServiceId
Start-Sleep -Seconds 5
$status = (Get-Service -Name $ServiceId).Status
Write-Host ('    {0} is {1}' -f $ServiceId, $status)
if ($status -ne 'Running') {
    Write-Warning ('Not running: see {0} and the Application event log (source {1}).' -f $serviceLogDir, $ServiceId)
    exit 1
}
