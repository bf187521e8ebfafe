// The characters a text log's record must not hold: C0 controls other than the ones the format allows, DEL, and
// U+FFFD (bytes that were not valid in the decoding the input chose). They mean binary data or a file in another
// encoding (a UTF-16 file read as UTF-8), and the parsers refuse such records with a reason.
//
// Written as the complement of what is allowed (issue 16): V8's regex engine scans a negated class of the
// printable ranges faster than the class of the few bad ones (0.37 against 0.58 µs on an IIS line of 400
// characters). Without the `u` flag a class works on UTF-16 code units, so both forms hold exactly the same units
// (src/parsers/bad-chars.test.ts checks all 65,536).

/** A one-line record (IIS): TAB allowed (some admins' tools leave it in custom fields), CR and LF not. */
export const BAD_LINE_CHARS = /[^\t\u0020-\u007e\u0080-\ufffc\ufffe\uffff]/;

/** A record that may span lines (mailbox log entries, HttpProxy rows): TAB, LF and CR allowed. */
export const BAD_TEXT_CHARS = /[^\t\n\r\u0020-\u007e\u0080-\ufffc\ufffe\uffff]/;
