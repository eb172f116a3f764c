package input

import (
	"math"
	"strconv"

	"github.com/crmlens/crmlens/analytics/txn"
)

// rowParser turns the fields of one record into a Record, reusing it per row.
type rowParser struct {
	idx     fieldIndex
	need    int // fields a row must have
	tp      TimeParser
	dec     byte
	thou    byte
	channel []byte
	rec     Record
	detail  [10]map[string]string // cached detail strings per column and error
}

func newRowParser(src *Source, idx fieldIndex) *rowParser {
	o := src.Options
	p := &rowParser{
		idx:     idx,
		tp:      TimeParser{Layout: o.TimeLayout, Location: o.Location},
		dec:     o.decimal(),
		thou:    o.ThousandsSeparator,
		channel: []byte(src.Channel),
	}
	for _, i := range idx {
		p.need = max(p.need, i+1)
	}
	p.rec.Source = src.Name
	p.rec.HasOrder = idx[fOrder] >= 0
	p.rec.HasGift = idx[fGift] >= 0
	p.rec.HasQuantity = idx[fQuantity] >= 0
	return p
}

func (p *rowParser) field(fields [][]byte, f int) []byte {
	if i := p.idx[f]; i >= 0 {
		return trimSpace(fields[i])
	}
	return nil
}

// errDetail builds "column amount: invalid decimal" once per column and error.
func (p *rowParser) errDetail(f int, err error) string {
	m := p.detail[f]
	if m == nil {
		m = map[string]string{}
		p.detail[f] = m
	}
	d, ok := m[err.Error()]
	if !ok {
		d = "column " + mappingKeys[f] + ": " + err.Error()
		m[err.Error()] = d
	}
	return d
}

// parse fills p.rec from fields; a non-empty detail means the row is malformed.
func (p *rowParser) parse(fields [][]byte, line int64) (*Record, string) {
	r := &p.rec
	r.Line = line
	r.Netted = ""
	if len(fields) < p.need {
		return nil, "row has " + strconv.Itoa(len(fields)) + " columns, need " + strconv.Itoa(p.need)
	}
	var err error
	r.Customer = p.field(fields, fCustomer)
	r.Order = p.field(fields, fOrder)
	if r.Time, err = p.tp.Parse(fields[p.idx[fTime]]); err != nil {
		return nil, p.errDetail(fTime, err)
	}
	if p.idx[fAmount] >= 0 {
		if r.Amount, err = ParseAmount(fields[p.idx[fAmount]], p.dec, p.thou); err != nil {
			return nil, p.errDetail(fAmount, err)
		}
	} else if r.Amount, err = ParseAmount(fields[p.idx[fPrice]], p.dec, p.thou); err != nil {
		return nil, p.errDetail(fPrice, err)
	}
	r.Channel = p.field(fields, fChannel)
	if len(r.Channel) == 0 {
		r.Channel = p.channel
	}
	r.Category = p.field(fields, fCategory)
	r.Product = p.field(fields, fProduct)
	r.Quantity = 0
	if q := p.field(fields, fQuantity); len(q) > 0 {
		if r.Quantity, err = parseInt(q); err != nil {
			return nil, p.errDetail(fQuantity, err)
		}
	} else if p.idx[fPrice] >= 0 {
		return nil, p.errDetail(fQuantity, errQuantityEmpty)
	}
	if p.idx[fPrice] >= 0 {
		if r.Amount, err = LineAmount(r.Amount, r.Quantity); err != nil {
			return nil, p.errDetail(fPrice, err)
		}
	}
	r.Gift = false
	if g := p.field(fields, fGift); len(g) > 0 {
		if r.Gift, err = ParseFlag(g); err != nil {
			return nil, p.errDetail(fGift, err)
		}
	}
	return r, ""
}

// LineAmount is quantity × unit price, exact in Money's four decimals; an
// error when the product does not fit.
func LineAmount(price txn.Money, quantity int) (txn.Money, error) {
	if quantity == 0 || price == 0 {
		return 0, nil
	}
	q := int64(quantity)
	v := int64(price) * q
	if v/q != int64(price) || (q == -1 && int64(price) == math.MinInt64) {
		return 0, errAmountOverflow
	}
	return txn.Money(v), nil
}

// parseError is a constant error for field parsers.
type parseError string

// Error returns the message, which never contains a field value.
func (e parseError) Error() string { return string(e) }

const (
	errInt  = parseError("invalid integer")
	errFlag = parseError("invalid flag (want true/false, yes/no, 1/0)")
	// errQuantityEmpty: with price mapped, the quantity makes the amount.
	errQuantityEmpty = parseError("empty (amount = quantity × price needs it)")
)

func parseInt(b []byte) (int, error) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg, b = b[0] == '-', b[1:]
	}
	if len(b) == 0 || len(b) > 9 {
		return 0, errInt
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, errInt
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, nil
}

// ParseFlag reads a boolean column: 1/0, true/false, yes/no, y/n, t/f (any case).
func ParseFlag(b []byte) (bool, error) {
	if len(b) > 5 {
		return false, errFlag
	}
	var low [5]byte
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	switch string(low[:len(b)]) {
	case "1", "true", "t", "yes", "y":
		return true, nil
	case "0", "false", "f", "no", "n":
		return false, nil
	}
	return false, errFlag
}

// rejectMalformed reports a row that could not be parsed.
func rejectMalformed(h Handler, line int64, detail string) {
	h.Reject(line, txn.RejectMalformed, detail)
}
