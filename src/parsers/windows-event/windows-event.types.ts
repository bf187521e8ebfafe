// The typed model of one Windows event, whatever form it arrived in (EVTX, wevtutil XML, Event Viewer XML,
// CSV or TXT, PowerShell CSV or JSON). Every parser of Windows events produces this; one normalizer maps it
// to ECS + `winlog.*` (as Winlogbeat names the fields), so an event detected in one form is detected in all.

export type WindowsEventForm =
  | 'evtx'
  | 'wevtutil-xml'
  | 'eventviewer-xml'
  | 'eventviewer-csv'
  | 'eventviewer-txt'
  | 'powershell-csv'
  | 'powershell-json'
  /** Event Viewer "Copy details as text" (the form KB articles quote). */
  | 'eventviewer-details';

export interface WindowsEventData {
  /** `Name` attribute of `<Data>`, absent for positional data (classic providers such as MSExchange Common). */
  readonly name?: string;
  /** The value as Windows renders it in XML (numbers in decimal, GUIDs in braces, SIDs as S-1-...). */
  readonly value: string;
}

export interface WindowsEvent {
  readonly form: WindowsEventForm;
  readonly provider: { readonly name: string; readonly guid?: string; readonly eventSourceName?: string };
  /** The event id without qualifiers (what Event Viewer shows). */
  readonly eventId: number;
  readonly qualifiers?: number;
  readonly version?: number;
  /** Numeric level (1 critical, 2 error, 3 warning, 4 information, 0 log-always, 5 verbose). */
  readonly level?: number;
  readonly task?: number;
  readonly opcode?: number;
  /** Keywords as the hex string Windows writes (`0x80000000000000`). */
  readonly keywords?: string;
  /** ISO 8601 UTC with the precision the source had (EVTX: 100 ns, i.e. 7 fractional digits). */
  readonly timeCreated: string;
  /**
   * Set when the source wrote a local time without an offset (Event Viewer CSV/TXT, Export-Csv) and the
   * parser converted it to UTC by assuming this zone (IANA name, 'UTC' or '+01:00'); becomes `event.timezone`.
   */
  readonly timezoneAssumed?: string;
  /** 64-bit record id, kept exact as a decimal string. */
  readonly recordId?: string;
  readonly activityId?: string;
  readonly relatedActivityId?: string;
  readonly processId?: number;
  readonly threadId?: number;
  readonly channel?: string;
  readonly computer?: string;
  /** `Security UserID` SID. */
  readonly userId?: string;
  /** `<EventData>` items in document order; arrays in EVTX expand into one item per element. */
  readonly eventData: readonly WindowsEventData[];
  /** `<UserData>` flattened to leaf name → text (first level element name in `userDataRoot`). */
  readonly userData?: Readonly<Record<string, string>>;
  readonly userDataRoot?: string;
  /** Hex of `<Binary>` data when present. */
  readonly binary?: string;
  /** Rendered parts (Event Viewer XML `RenderingInfo`, CSV/TXT exports, PowerShell `Message`). */
  readonly rendering?: {
    readonly message?: string;
    readonly level?: string;
    readonly task?: string;
    readonly opcode?: string;
    readonly channel?: string;
    readonly provider?: string;
    readonly keywords?: readonly string[];
  };
  /** The event as XML text, when the form had it or the reader rendered it (for `event.original`). */
  readonly xml?: string;
}
