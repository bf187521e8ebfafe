/*
 * A stand-in for the part of WinSW 2.12 that starts and stops casguard, compiled for Windows by the Wine smoke
 * test (x86_64-w64-mingw32-gcc, Debian's gcc-mingw-w64-x86-64-win32) and run under Wine. WinSW itself is a .NET
 * program that cannot be fetched here (it is on neither npm nor Debian) and Wine has no .NET Framework.
 *
 * What it does, as WinSW does it (winsw/winsw, src/WinSW.Core/Util/ProcessHelper.cs and SignalHelper.cs):
 *   - the wrapper runs without a console of its own (a service has none), so the console child gets a new one;
 *   - it ignores Ctrl+C itself and starts the child with Ctrl+C handling enabled (SetConsoleCtrlHandler NULL
 *     FALSE around CreateProcess, TRUE after);
 *   - the child's stdout and stderr are pipes that the wrapper copies into log files;
 *   - stop: AttachConsole(child), GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0), FreeConsole, then wait up to
 *     <stoptimeout>, then TerminateProcess.
 * What it does not model: the service control manager (start/stop requests, recovery actions, accounts), the
 * process-tree walk for grandchildren, CloseMainWindow for windowed programs, WinSW's log rolling.
 *
 * Usage: winsw-stop.exe <stop-flag-file> <stoptimeout-ms> <working-dir> <stdout-log> <stderr-log> <command-line>
 * The stop sequence starts when <stop-flag-file> exists. One JSON object per line on stdout says what happened.
 */
#include <stdio.h>
#include <wchar.h>
#include <windows.h>

typedef struct {
  HANDLE from;
  HANDLE to;
} Pump;

static DWORD WINAPI pump(LPVOID arg) {
  Pump *p = (Pump *)arg;
  char buf[4096];
  DWORD n, written;
  while (ReadFile(p->from, buf, sizeof buf, &n, NULL) && n > 0) WriteFile(p->to, buf, n, &written, NULL);
  return 0;
}

static HANDLE pipeTo(const wchar_t *logFile, HANDLE *childEnd, HANDLE *thread, Pump *pump_) {
  SECURITY_ATTRIBUTES inherit = {sizeof inherit, NULL, TRUE};
  HANDLE readEnd;
  if (!CreatePipe(&readEnd, childEnd, &inherit, 0)) return NULL;
  SetHandleInformation(readEnd, HANDLE_FLAG_INHERIT, 0);
  HANDLE log = CreateFileW(logFile, GENERIC_WRITE, FILE_SHARE_READ, NULL, CREATE_ALWAYS, 0, NULL);
  if (log == INVALID_HANDLE_VALUE) return NULL;
  pump_->from = readEnd;
  pump_->to = log;
  *thread = CreateThread(NULL, 0, pump, pump_, 0, NULL);
  return log;
}

static void say(const char *json) {
  fputs(json, stdout);
  fputc('\n', stdout);
  fflush(stdout);
}

int wmain(int argc, wchar_t **argv) {
  if (argc != 7) {
    fwprintf(stderr, L"usage: winsw-stop.exe <stop-flag> <stoptimeout-ms> <dir> <out-log> <err-log> <command>\n");
    return 2;
  }
  const wchar_t *stopFlag = argv[1];
  DWORD stopTimeoutMs = wcstoul(argv[2], NULL, 10);
  char line[256];

  FreeConsole(); /* like a service: no console, so the child gets its own */

  HANDLE outChild, errChild, outThread, errThread;
  Pump outPump, errPump;
  if (!pipeTo(argv[4], &outChild, &outThread, &outPump) || !pipeTo(argv[5], &errChild, &errThread, &errPump)) {
    snprintf(line, sizeof line, "{\"event\":\"error\",\"step\":\"logs\",\"code\":%lu}", GetLastError());
    say(line);
    return 1;
  }

  STARTUPINFOW si;
  ZeroMemory(&si, sizeof si);
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = NULL;
  si.hStdOutput = outChild;
  si.hStdError = errChild;
  PROCESS_INFORMATION pi;

  SetConsoleCtrlHandler(NULL, FALSE); /* inherited by the child: it must handle Ctrl+C */
  BOOL started = CreateProcessW(NULL, argv[6], NULL, NULL, TRUE, 0, NULL, argv[3], &si, &pi);
  DWORD startError = GetLastError();
  SetConsoleCtrlHandler(NULL, TRUE); /* the wrapper itself ignores the Ctrl+C it sends */
  CloseHandle(outChild);
  CloseHandle(errChild);
  if (!started) {
    snprintf(line, sizeof line, "{\"event\":\"error\",\"step\":\"CreateProcess\",\"code\":%lu}", startError);
    say(line);
    return 1;
  }
  snprintf(line, sizeof line, "{\"event\":\"started\",\"pid\":%lu}", pi.dwProcessId);
  say(line);

  for (;;) {
    if (WaitForSingleObject(pi.hProcess, 100) == WAIT_OBJECT_0) {
      DWORD code = 0;
      GetExitCodeProcess(pi.hProcess, &code);
      WaitForSingleObject(outThread, 5000);
      WaitForSingleObject(errThread, 5000);
      snprintf(line, sizeof line, "{\"event\":\"exited-unasked\",\"code\":%lu}", code);
      say(line);
      return 1;
    }
    if (GetFileAttributesW(stopFlag) != INVALID_FILE_ATTRIBUTES) break;
  }

  DWORD t0 = GetTickCount();
  BOOL attached = AttachConsole(pi.dwProcessId);
  DWORD attachError = attached ? 0 : GetLastError();
  BOOL generated = FALSE;
  if (attached) {
    generated = GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0);
    FreeConsole();
  }
  snprintf(line, sizeof line, "{\"event\":\"ctrl-c\",\"attached\":%s,\"attachError\":%lu,\"generated\":%s}",
           attached ? "true" : "false", attachError, generated ? "true" : "false");
  say(line);

  BOOL killed = FALSE;
  if (WaitForSingleObject(pi.hProcess, stopTimeoutMs) != WAIT_OBJECT_0) {
    TerminateProcess(pi.hProcess, 1);
    killed = TRUE;
    WaitForSingleObject(pi.hProcess, 10000);
  }
  DWORD code = 0;
  GetExitCodeProcess(pi.hProcess, &code);
  DWORD ms = GetTickCount() - t0;
  WaitForSingleObject(outThread, 5000);
  WaitForSingleObject(errThread, 5000);
  snprintf(line, sizeof line, "{\"event\":\"stopped\",\"code\":%lu,\"killed\":%s,\"ms\":%lu}", code,
           killed ? "true" : "false", ms);
  say(line);
  return 0;
}
