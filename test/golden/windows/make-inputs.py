# Generates the golden inputs for the Windows event export forms (see SOURCES.md): python3 make-inputs.py
import json, re, datetime, codecs
import os
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = HERE + '/'
SHARED = os.path.normpath(os.path.join(HERE, '../../../../shared'))
NS = "http://schemas.microsoft.com/win/2004/08/events/event"
CRLF = '\r\n'

def xesc(s):
    return s.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')

def msg_xml(s):
    # Event Viewer writes CR LF inside <Message> as character references.
    return xesc(s).replace('\r\n', '&#13;&#10;')

# --- the events -----------------------------------------------------------
KB = dict(
    provider='MSExchange Common', id=4999, qual=16388, level=2, task=1, kw='0x80000000000000',
    time='2013-09-19T14:22:11.000000000Z', utc=datetime.datetime(2013, 9, 19, 14, 22, 11, tzinfo=datetime.timezone.utc),
    rec=184467, channel='Application', computer='CAS01.contoso.com',
    data=['5620', 'E12', 'c-RTL-AMD64', '14.02.0328.009', 'AirSync', 'M.Exchange.Compliance',
          'M.E.S.C.MessageDigestForNonCryptographicPurposes.HashCore', 'System.ArgumentOutOfRangeException',
          '6c1d', '14.02.0328.000', 'False', 'False', 'w3wp', ''],
)
KB['message'] = ('Watson report about to be sent for process id: 5620, with parameters: E12, c-RTL-AMD64, '
                 '14.02.0328.009, AirSync, M.Exchange.Compliance, M.E.S.C.MessageDigestForNonCryptographicPurposes.HashCore, '
                 'System.ArgumentOutOfRangeException, 6c1d, 14.02.0328.000.\r\nErrorReportingEnabled: False')

S1_DETAILS = ('exData=|exHResult=-2146233086|exStacktrace= at System.Threading.Timer.Change(Int64 dueTime, Int64 period)\r\n'
    'at System.Threading.Timer.Change(TimeSpan dueTime, TimeSpan period)\r\n'
    'at Microsoft.Exchange.Assistants.TimeBasedAssistantController.UpdateWorkCycle(Object callerName) in \\\\REDMOND\\EXCHANGE\\BUILD\\E15Ent\\15.00.1130.005\\SOURCES\\sources\\dev\\assistants\\src\\Assistants\\TimeBasedAssistantController.cs:line 844\r\n'
    'at Microsoft.Exchange.Assistants.TimeBasedAssistantController.ReadAndUpdateWorkCycleConfiguration(Object state) in \\\\REDMOND\\EXCHANGE\\BUILD\\E15Ent\\15.00.1130.005\\SOURCES\\sources\\dev\\assistants\\src\\Assistants\\TimeBasedAssistantController.cs:line 781\r\n'
    'at System.Threading.ExecutionContext.RunInternal(ExecutionContext executionContext, ContextCallback callback, Object state, Boolean preserveSyncCtx)\r\n'
    'at System.Threading.ExecutionContext.Run(ExecutionContext executionContext, ContextCallback callback, Object state, Boolean preserveSyncCtx)\r\n'
    'at System.Threading.TimerQueueTimer.CallCallback()\r\n'
    'at System.Threading.TimerQueueTimer.Fire()\r\n'
    'at System.Threading.QueueUserWorkItemCallback.System.Threading.IThreadPoolWorkItem.ExecuteWorkItem()\r\n'
    'at System.Threading.ThreadPoolWorkQueue.Dispatch()|exTargetSite=|exSource=mscorlib|exMessage=Time-out interval must be less than 2^32-2.\r\n'
    'Parameter name: dueTime')
S1 = dict(
    provider='MSExchange Common', id=4999, qual=16388, level=2, task=1, kw='0x80000000000000',
    time='2016-01-04T10:21:43.000000000Z', utc=datetime.datetime(2016, 1, 4, 10, 21, 43, tzinfo=datetime.timezone.utc),
    rec=3348211, channel='Application', computer='EXHV-0535.EXHV-0535dom.extest.microsoft.com',
    data=['10420', 'E12IIS', 'DART-DBG-AMD64', '15.00.1130.007', 'MSExchangeMailboxAssistants', 'M.Exchange.Assistants',
          'M.E.A.TimeBasedAssistantController.UpdateWorkCycle', 'System.ArgumentOutOfRangeException', 'ff31',
          '15.00.1130.005', 'True', 'False', 'MSExchangeMailboxAssistants', S1_DETAILS],
)
S1['message'] = ('Watson report about to be sent for process id: 10420, with parameters: E12IIS, DART-DBG-AMD64, 15.00.1130.007, '
                 'MSExchangeMailboxAssistants, M.Exchange.Assistants, M.E.A.TimeBasedAssistantController.UpdateWorkCycle, '
                 'System.ArgumentOutOfRangeException, ff31, 15.00.1130.005.\r\nErrorReportingEnabled: True\r\n' + S1_DETAILS)

S3 = dict(
    provider='MSExchange Common', id=4999, qual=16388, level=2, task=1, kw='0x80000000000000',
    time='2021-03-02T08:05:31.000000000Z', utc=datetime.datetime(2021, 3, 2, 8, 5, 31, tzinfo=datetime.timezone.utc),
    rec=901122, channel='Application', computer='Exchange2016.contoso.com',
    data=['63200', 'E12IIS', 'c-RTL-AMD64', '15.01.1979.003', 'w3wp#MSExchangeServicesAppPool', 'M.Exchange.Security',
          'M.E.S.O.V1ProfileLocalTokenIssuer..ctor', 'M.E.S.OAuth.OAuthTokenRequestFailedException', '6446-dumptidset',
          '15.01.1979.003', 'False'],
)
S3['message'] = ('Watson report about to be sent for process id: 63200, with parameters: E12IIS, c-RTL-AMD64, 15.01.1979.003, '
                 'w3wp#MSExchangeServicesAppPool, M.Exchange.Security, M.E.S.O.V1ProfileLocalTokenIssuer..ctor, '
                 'M.E.S.OAuth.OAuthTokenRequestFailedException, 6446-dumptidset, 15.01.1979.003.\r\nErrorReportingEnabled: False')

# A real Application event (ts-evtx-fixtures Application.xml record 366), used in the table/PowerShell forms.
SC = dict(
    provider='SecurityCenter', id=15, qual=0, level=4, task=0, kw='0x80000000000000', opcode=0, version=0,
    time='2025-06-08T07:14:05.1454614Z', utc=datetime.datetime(2025, 6, 8, 7, 14, 5, 145461, tzinfo=datetime.timezone.utc),
    rec=366, channel='Application', computer='NIKOLAISMETBD82', pid=11640, tid=0,
    data=['Windows Defender', 'SECURITY_PRODUCT_STATE_ON'],
    message='Updated Windows Defender status successfully to SECURITY_PRODUCT_STATE_ON.',
    rlevel='Information', rtask='None', ropcode='Info',
)

def event_xml(e, rendered, quote="'"):
    q = quote
    s = f"<Event xmlns={q}{NS}{q}><System><Provider Name={q}{e['provider']}{q}/>"
    s += f"<EventID Qualifiers={q}{e['qual']}{q}>{e['id']}</EventID>"
    if 'version' in e: s += f"<Version>{e['version']}</Version>"
    s += f"<Level>{e['level']}</Level><Task>{e['task']}</Task>"
    if 'opcode' in e: s += f"<Opcode>{e['opcode']}</Opcode>"
    s += f"<Keywords>{e['kw']}</Keywords><TimeCreated SystemTime={q}{e['time']}{q}/>"
    s += f"<EventRecordID>{e['rec']}</EventRecordID>"
    if 'pid' in e: s += f"<Correlation/><Execution ProcessID={q}{e['pid']}{q} ThreadID={q}{e['tid']}{q}/>"
    s += f"<Channel>{e['channel']}</Channel><Computer>{e['computer']}</Computer><Security/></System><EventData>"
    for d in e['data']:
        s += f"<Data>{msg_xml(d)}</Data>" if d else "<Data></Data>"
    s += "</EventData>"
    if rendered:
        s += f"<RenderingInfo Culture={q}en-US{q}><Message>{msg_xml(e['message'])}</Message>"
        s += f"<Level>{e.get('rlevel', 'Error')}</Level><Task>{e.get('rtask', 'General')}</Task>"
        s += f"<Opcode>{e.get('ropcode', '')}</Opcode>" if e.get('ropcode') else "<Opcode/>"
        s += "<Channel/><Provider/><Keywords><Keyword>Classic</Keyword></Keywords></RenderingInfo>"
    s += "</Event>"
    return s

def write(name, text, encoding='utf-8', bom=False):
    data = text.encode(encoding)
    if bom:
        data = (codecs.BOM_UTF16_LE if encoding == 'utf-16-le' else codecs.BOM_UTF8) + data
    open(OUT + name, 'wb').write(data)

# (1) wevtutil qe /f:xml: one <Event> per line, no root, CRLF (line 2 and 3 as from /f:RenderedXml)
write('exchange-4999.wevtutil.xml', CRLF.join([event_xml(KB, False), event_xml(S1, True), event_xml(S3, True)]) + CRLF)

# (2) Event Viewer "Save as XML"
write('exchange-4999.eventviewer.xml',
      '<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<Events>' + event_xml(KB, True) + event_xml(S1, True) +
      event_xml(S3, True) + '</Events>', bom=True)

# (3)/(4) Event Viewer CSV and TXT: exporter local time (America/New_York, en-US culture)
def local_ny(utc):
    # EDT (UTC-4) from 2nd Sunday of March to 1st Sunday of November, EST otherwise (the years used here).
    y = utc.year
    def nth_sunday(month, n):
        d = datetime.datetime(y, month, 1, tzinfo=datetime.timezone.utc)
        d += datetime.timedelta(days=(6 - d.weekday()) % 7 + 7 * (n - 1))
        return d
    start = nth_sunday(3, 2) + datetime.timedelta(hours=7)
    end = nth_sunday(11, 1) + datetime.timedelta(hours=6)
    off = -4 if start <= utc < end else -5
    return utc + datetime.timedelta(hours=off)

def us(dt):
    h = dt.hour % 12 or 12
    return f"{dt.month}/{dt.day}/{dt.year} {h}:{dt.minute:02d}:{dt.second:02d} {'AM' if dt.hour < 12 else 'PM'}"

def csvq(s):
    return '"' + s.replace('"', '""') + '"'

rows = [(e.get('rlevel', 'Error'), us(local_ny(e['utc'])), e['provider'], str(e['id']), e.get('rtask', 'General'), e['message'])
        for e in (KB, S1, S3, SC)]
write('exchange-4999.eventviewer.csv',
      'Level,Date and Time,Source,Event ID,Task Category' + CRLF +
      ''.join(','.join(r[:5]) + ',' + csvq(r[5]) + CRLF for r in rows))
write('exchange-4999.eventviewer.txt',
      'Level\tDate and Time\tSource\tEvent ID\tTask Category' + CRLF +
      ''.join('\t'.join(r[:5]) + '\t' + (csvq(r[5]) if ('\n' in r[5] or '\t' in r[5] or '"' in r[5]) else r[5]) + CRLF for r in rows),
      encoding='utf-16-le', bom=True)
# Security log CSV: first column is Keywords (ts-evtx Security.xml record 1715, message text reconstructed)
sec_msg = ("A user's local group membership was enumerated.\r\n\r\nSubject:\r\n\tSecurity ID:\t\tS-1-5-21-4155168598-3527253067-2058671051-1000\r\n"
           "\tAccount Name:\t\tnikolai.smetannikov\r\n\tAccount Domain:\t\tNIKOLAISMETBD82\r\n\tLogon ID:\t\t0x488FE7")
write('security-audit.eventviewer.csv',
      'Keywords,Date and Time,Source,Event ID,Task Category' + CRLF +
      'Audit Success,' + us(local_ny(datetime.datetime(2025, 6, 8, 7, 15, 9, tzinfo=datetime.timezone.utc))) +
      ',Microsoft-Windows-Security-Auditing,4798,User Account Management,' + csvq(sec_msg) + CRLF)

# (5) PowerShell Export-Csv
PS_COLS = ["Message","Id","Version","Qualifiers","Level","Task","Opcode","Keywords","RecordId","ProviderName","ProviderId",
           "LogName","ProcessId","ThreadId","MachineName","UserId","TimeCreated","ActivityId","RelatedActivityId","ContainerLog",
           "MatchedQueryIds","Bookmark","LevelDisplayName","OpcodeDisplayName","TaskDisplayName","KeywordsDisplayNames","Properties"]
def kwdec(hexs): return str(int(hexs, 16))
def ps_values(e, time_text):
    return {
        "Message": e['message'], "Id": str(e['id']), "Version": str(e.get('version', 0)), "Qualifiers": str(e['qual']),
        "Level": str(e['level']), "Task": str(e['task']), "Opcode": str(e.get('opcode', 0)), "Keywords": kwdec(e['kw']),
        "RecordId": str(e['rec']), "ProviderName": e['provider'], "ProviderId": "", "LogName": e['channel'],
        "ProcessId": str(e.get('pid', '')), "ThreadId": str(e.get('tid', '')), "MachineName": e['computer'], "UserId": "",
        "TimeCreated": time_text, "ActivityId": "", "RelatedActivityId": "", "ContainerLog": e['channel'],
        "MatchedQueryIds": "System.UInt32[]", "Bookmark": "System.Diagnostics.Eventing.Reader.EventBookmark",
        "LevelDisplayName": e.get('rlevel', 'Error'), "OpcodeDisplayName": e.get('ropcode', ''),
        "TaskDisplayName": e.get('rtask', 'General'),
        "KeywordsDisplayNames": "System.Collections.ObjectModel.ReadOnlyCollection`1[System.String]",
        "Properties": "System.Collections.Generic.List`1[System.Diagnostics.Eventing.Reader.EventProperty]",
    }
def ps_csv(events, timefmt, typeline):
    out = ('#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord' + CRLF) if typeline else ''
    out += ','.join(csvq(c) for c in PS_COLS) + CRLF
    for e in events:
        v = ps_values(e, timefmt(e['utc']))
        out += ','.join(csvq(v[c]) for c in PS_COLS) + CRLF
    return out
write('exchange-4999.powershell51.csv', ps_csv([KB, S1, SC], lambda u: us(local_ny(u)), True))
def de_berlin(u):
    # CEST (UTC+2) in summer, CET (UTC+1) in winter, for the dates used here.
    off = 2 if 4 <= u.month <= 9 else 1
    d = u + datetime.timedelta(hours=off)
    return f"{d.day:02d}.{d.month:02d}.{d.year} {d.hour:02d}:{d.minute:02d}:{d.second:02d}"
write('exchange-4999.powershell7-de.csv', ps_csv([KB, S3], de_berlin, False))

# (6) PowerShell ConvertTo-Json
def ps51_json_obj(e):
    ms = int(e['utc'].timestamp() * 1000)
    o = {
        "Id": e['id'], "Version": e.get('version', 0), "Qualifiers": e['qual'], "Level": e['level'], "Task": e['task'],
        "Opcode": e.get('opcode', 0), "Keywords": int(e['kw'], 16), "RecordId": e['rec'], "ProviderName": e['provider'],
        "ProviderId": None, "LogName": e['channel'], "ProcessId": e.get('pid'), "ThreadId": e.get('tid'),
        "MachineName": e['computer'], "UserId": None, "TimeCreated": "\\/Date(%d)\\/" % ms, "ActivityId": None,
        "RelatedActivityId": None, "ContainerLog": e['channel'], "MatchedQueryIds": [], "Bookmark": {},
        "LevelDisplayName": e.get('rlevel', 'Error'), "OpcodeDisplayName": e.get('ropcode'),
        "TaskDisplayName": e.get('rtask', 'General'), "KeywordsDisplayNames": ["Classic"],
        "Properties": ["System.Diagnostics.Eventing.Reader.EventProperty"] * len(e['data']),
        "Message": e['message'],
    }
    return o
def ps51_dump(objs):
    # Windows PowerShell 5.1 style: 4-space indent, ':  ' separator, \u0027 for quotes, CRLF.
    s = json.dumps(objs, indent=4, ensure_ascii=True).replace('\\\\/Date', '\\/Date').replace(')\\\\/', ')\\/')
    s = s.replace("'", '\\u0027').replace('": ', '":  ')
    return s.replace('\n', CRLF)
write('exchange-4999.powershell51.json', ps51_dump([ps51_json_obj(e) for e in (KB, S1, SC)]), bom=True)
def ps7_obj(e, select=False):
    iso = e['utc'].astimezone(datetime.timezone(datetime.timedelta(hours=-4 if e['utc'].month in (4,5,6,7,8,9,10) else -5)))
    t = iso.strftime('%Y-%m-%dT%H:%M:%S.') + f"{iso.microsecond * 10:07d}" + iso.strftime('%z')[:3] + ':' + iso.strftime('%z')[3:]
    if select:
        return {"TimeCreated": t, "Id": e['id'], "ProviderName": e['provider'], "MachineName": e['computer'],
                "Data": e['data'], "Message": e['message']}
    o = ps51_json_obj(e)
    o['TimeCreated'] = t
    return o
write('exchange-4999.powershell7.ndjson',
      json.dumps(ps7_obj(KB), separators=(',', ':')) + '\n' + json.dumps(ps7_obj(S3, True), separators=(',', ':')) + '\n')

# Real subsets of the ts-evtx Event Viewer exports (byte-identical <Event> elements).
def subset(src, recs, name):
    raw = open(SHARED + '/corpus/evtx/ts-evtx-fixtures/' + src, encoding='utf-8-sig').read()
    evs = re.findall(r"<Event xmlns=.*?</Event>", raw, re.S)
    by = {int(re.search(r'<EventRecordID>(\d+)<', e).group(1)): e for e in evs}
    write(name, '<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<Events>' + ''.join(by[r] for r in recs) + '</Events>', bom=True)
subset('Application.xml', [366, 365, 344, 262, 257], 'ts-evtx-application.eventviewer.xml')
subset('System.xml', [1247, 981], 'ts-evtx-system.eventviewer.xml')
subset('Security.xml', [1715, 1149], 'ts-evtx-security.eventviewer.xml')
print('ok')

# (7) Event Viewer "Copy details as text": corpus sample 1 verbatim (REAL), the KB event in the same shape,
# and the real SecurityCenter event with its "Event Xml:" section (pretty-printed as Event Viewer does).
corpus = open(SHARED + '/corpus/exchange/event4999-text-examples.txt', encoding='utf-8').read()
samples = re.split(r'^===== sample \d+ =====\n', corpus, flags=re.M)[1:]
s1 = samples[0].rstrip('\n')
kb_block = '\n'.join([
    'Log Name:      Application', 'Source:        MSExchange Common', 'Date:          9/19/2013 10:22:11 AM',
    'Event ID:      4999', 'Task Category: General', 'Level:         Error', 'Keywords:      Classic',
    'User:          N/A', 'Computer:      CAS01.contoso.com', 'Description:', KB['message'].replace('\r\n', '\n')])
sc_xml = '\n'.join([
    '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">', '  <System>',
    '    <Provider Name="SecurityCenter" />', '    <EventID Qualifiers="0">15</EventID>', '    <Version>0</Version>',
    '    <Level>4</Level>', '    <Task>0</Task>', '    <Opcode>0</Opcode>', '    <Keywords>0x80000000000000</Keywords>',
    '    <TimeCreated SystemTime="2025-06-08T07:14:05.1454614Z" />', '    <EventRecordID>366</EventRecordID>',
    '    <Correlation />', '    <Execution ProcessID="11640" ThreadID="0" />', '    <Channel>Application</Channel>',
    '    <Computer>NIKOLAISMETBD82</Computer>', '    <Security />', '  </System>', '  <EventData>',
    '    <Data>Windows Defender</Data>', '    <Data>SECURITY_PRODUCT_STATE_ON</Data>', '  </EventData>', '</Event>'])
sc_block = '\n'.join([
    'Log Name:      Application', 'Source:        SecurityCenter', 'Date:          6/8/2025 3:14:05 AM',
    'Event ID:      15', 'Task Category: None', 'Level:         Information', 'Keywords:      Classic',
    'User:          N/A', 'Computer:      NIKOLAISMETBD82', 'Description:', SC['message'], 'Event Xml:', sc_xml])
write('exchange-4999.eventviewer-details.txt', (s1 + '\n' + kb_block + '\n' + sc_block + '\n').replace('\n', CRLF))
# Corpus sample 3 verbatim: its Date is Microsoft's placeholder `<Data time>`, so the file is a dead letter.
write('event4999-sample3.eventviewer-details.txt', samples[2].replace('\n', CRLF))

# (8) Get-EventLog (System.Diagnostics.EventLogEntry) | Export-Csv / ConvertTo-Json, Windows PowerShell 5.1
GEL_COLS = ["EventID","MachineName","Data","Index","Category","CategoryNumber","EntryType","Message","Source",
            "ReplacementStrings","InstanceId","TimeGenerated","TimeWritten","UserName","Site","Container"]
def gel_values(e, time_text):
    inst = e['qual'] * 65536 + e['id']
    return {"EventID": str(e['id']), "MachineName": e['computer'].split('.')[0], "Data": "System.Byte[]",
            "Index": str(e['rec']), "Category": e.get('rtask', 'General') if e.get('task') else '(0)',
            "CategoryNumber": str(e['task']), "EntryType": {2: 'Error', 3: 'Warning', 4: 'Information'}[e['level']],
            "Message": e['message'], "Source": e['provider'], "ReplacementStrings": "System.String[]",
            "InstanceId": str(inst), "TimeGenerated": time_text, "TimeWritten": time_text, "UserName": "",
            "Site": "", "Container": ""}
out = '#TYPE System.Diagnostics.EventLogEntry' + CRLF + ','.join(csvq(c) for c in GEL_COLS) + CRLF
for e in (KB, SC):
    v = gel_values(e, us(local_ny(e['utc'])))
    out += ','.join(csvq(v[c]) for c in GEL_COLS) + CRLF
write('exchange-4999.geteventlog51.csv', out)
def gel_json(e):
    ms = int(e['utc'].timestamp() * 1000)
    return {"EventID": e['id'], "MachineName": e['computer'].split('.')[0], "Data": [], "Index": e['rec'],
            "Category": e.get('rtask', 'General') if e.get('task') else '(0)', "CategoryNumber": e['task'],
            "EntryType": {2: 1, 3: 2, 4: 4}[e['level']], "Message": e['message'], "Source": e['provider'],
            "ReplacementStrings": e['data'], "InstanceId": e['qual'] * 65536 + e['id'],
            "TimeGenerated": "\\/Date(%d)\\/" % ms, "TimeWritten": "\\/Date(%d)\\/" % ms, "UserName": None,
            "Site": None, "Container": None}
write('exchange-4999.geteventlog51.json', ps51_dump([gel_json(KB), gel_json(S1)]), bom=True)
