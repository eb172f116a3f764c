// Package input reads transaction rows from CSV and Parquet streams into
// [Record] values (and, through [Record.Transaction], into txn.Transaction).
//
// The exported API, in the order a caller meets it:
//
//	Column{Name, Index}                 one column, by header name or 1-based index
//	Mapping{Customer, Order, Time, ...} which column holds which field
//	ParseMapping("customer=2,time=3,amount=5")
//	Options{Format, Delimiter, NoHeader, Mapping, TimeLayout, Location,
//	        ThousandsSeparator, DecimalSeparator, Gzip}
//	Source{Name, Channel, Options, Open, OpenAt}
//	FileSource(path, opts, channel) / BytesSource(name, data, opts, channel)
//	Record                              one parsed row, byte fields valid during a callback
//	Handler{Record(*Record) error; Reject(line, reason, detail)}
//	Read(ctx, src, h)                   sequential streaming read (CSV or Parquet)
//	ReadParallel(ctx, src, n, newHandler) CSV split into n byte ranges parsed concurrently
//	ParseAmount / TimeParser            the field parsers, exported for other readers
//
// Rows that cannot be parsed are never fatal: the handler's Reject is called with
// txn.RejectMalformed, the physical line (1-based; row index for Parquet) and a
// detail that names the column and the problem but never contains field values.
// Source-level problems (unreadable file, a mapped header name that does not exist)
// are returned as errors.
//
// Amounts are parsed as decimals straight into txn.Money (four decimal places,
// further digits rounded half away from zero); a thousands separator is accepted
// only when declared. Negative amounts are refunds.
package input
