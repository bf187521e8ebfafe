// The typed model of one HttpProxy log row (Exchange 2013+ CAS, Logging\HttpProxy\Eas\HttpProxy_*.LOG): the row's
// values and the column layout they belong to (from `#Fields`, the bare header line, or inferred from the column
// count of the three known schemas: 53, 69 and 74 columns).

export interface HttpProxyLayout {
  readonly names: readonly string[];
  /** Column index by name as written (`DateTime`, `UrlQuery`, ...). */
  readonly index: Readonly<Record<string, number>>;
  /** 'fields' / 'header' (read from the file) or 'assumed-53' / 'assumed-69' / 'assumed-74'. */
  readonly origin: string;
}

export interface HttpProxyEvent {
  readonly layout: HttpProxyLayout;
  readonly values: readonly string[];
  /** `#Version:` of the directive block (the logging process's build, long form). */
  readonly version?: string;
}
