// How a field is mapped: the subset of an Elasticsearch field mapping casguard's tables carry.

export interface FieldDef {
  readonly type: string;
  readonly ignore_above?: number;
  readonly index?: boolean;
  readonly doc_values?: boolean;
  readonly scaling_factor?: number;
  /** constant_keyword: the value of every document. */
  readonly value?: string;
  readonly multi_fields?: readonly { readonly name: string; readonly type: string }[];
}
