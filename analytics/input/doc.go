// Package input reads transaction rows from CSV and Parquet streams into
// [Record] values (and, through [Record.Transaction], into txn.Transaction).
//
// The exported API, in the order a caller meets it:
//
//	Column{Name, Index}                 one column, by header name or 1-based index
//	Mapping{Customer, Order, Time, Amount, Channel, Category, Product, Quantity, Gift}
//	ParseMapping("customer=2,time=3,amount=5") / ParseColumn("2")
//	Options{Format, Delimiter, NoHeader, Mapping, TimeLayout, Location,
//	        ThousandsSeparator, DecimalSeparator, Gzip}; Options.Validate()
//	Source{Name, Channel, Options, Open, OpenAt}
//	FileSource(path, opts, channel), BytesSource(name, data, opts, channel),
//	ReaderSource(name, open, opts, channel)  (HTTP bodies, S3 objects, pipes)
//	Record                              one parsed row; byte fields valid during the callback
//	Handler{Record(*Record) error; Reject(line, reason, detail)}
//	Read(ctx, src, h)                   sequential streaming read (CSV or Parquet)
//	ReadParallel(ctx, src, n, newHandler) []Part  CSV byte ranges / Parquet row groups, concurrently
//	ParseAmount, TimeParser.Parse, ParseFlag  the field parsers, for other readers
//
// Unmapped optional fields stay empty. With a header, fields the mapping
// leaves unset are looked up under common names (customer_id, order_id,
// timestamp, amount, channel, category, product, quantity, gift and a few
// spellings, see defaultNames), so the sample generator's files need no
// mapping. Blank lines are skipped and not counted as rows.
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
