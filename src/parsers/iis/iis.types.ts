// The typed model of one IIS W3C log line: the values of the line and the column layout (from the latest
// `#Fields` directive) they belong to. The layout object is shared by every line until the next `#Fields`,
// so a line costs one array, not one object per column.

export interface IisLayout {
  /** Column names as written in `#Fields` (`cs(User-Agent)`, `s-computername`, custom names). */
  readonly names: readonly string[];
  /** Column index by lower-cased name. */
  readonly index: Readonly<Record<string, number>>;
  /** True when no `#Fields` was seen and the layout was inferred from the IIS default for the column count. */
  readonly assumed: boolean;
}

export interface IisEvent {
  readonly layout: IisLayout;
  /** One value per column, as written (`-` for empty, `+` for spaces in the user agent). */
  readonly values: readonly string[];
  /** `#Software` of the current header block, e.g. `Microsoft Internet Information Services 8.5`. */
  readonly software?: string;
}
