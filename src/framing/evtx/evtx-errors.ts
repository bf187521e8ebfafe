// Why a record (or a value inside it) could not be decoded. Thrown only inside the EVTX reader, caught per
// record by the chunk walker and turned into a FramedRecord `error`, so one bad record never costs the file.

export type EvtxErrorCode =
  | 'evtx.record_signature'
  | 'evtx.record_size'
  | 'evtx.record_truncated'
  | 'evtx.record_torn'
  | 'evtx.binxml_token'
  | 'evtx.binxml_bounds'
  | 'evtx.binxml_depth'
  | 'evtx.binxml_size'
  | 'evtx.binxml_name'
  | 'evtx.binxml_template'
  | 'evtx.binxml_value'
  | 'evtx.no_event';

export class EvtxFormatError extends Error {
  readonly code: EvtxErrorCode;

  constructor(code: EvtxErrorCode, message: string) {
    super(message);
    this.name = 'EvtxFormatError';
    this.code = code;
  }
}
