@echo off
rem casguard's command line on Windows: the bundled Node 22 (node.exe) running the agent bundle, both in this
rem folder. Examples:  casguard.cmd --version   casguard.cmd test config --config C:\ProgramData\casguard\config\casguard.yml
rem The service does not use this file: WinSW starts node.exe itself (casguard-service.xml).
setlocal
"%~dp0node.exe" "%~dp0dist\cli\main.js" %*
exit /b %ERRORLEVEL%
