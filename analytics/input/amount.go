package input

import (
	"errors"
	"math"

	"github.com/crmlens/crmlens/analytics/txn"
)

// Amount parse errors; their text is used as reject detail (no values inside).
var (
	errAmountEmpty    = errors.New("empty amount")
	errAmountSyntax   = errors.New("invalid decimal")
	errAmountOverflow = errors.New("amount out of range")
	errAmountGrouping = errors.New("misplaced thousands separator")
)

// ParseAmount parses a decimal amount such as "12", "-3.5", "+1234.5678" or, with
// thousands=',' declared, "1,234.50", straight into txn.Money without floating
// point. dec is the decimal separator ('.' when 0); thousands is 0 when no
// grouping is accepted. Digits beyond the fourth decimal are rounded half away
// from zero. Surrounding spaces are ignored; exponents, currency signs and
// grouping that was not declared are errors.
func ParseAmount(b []byte, dec, thousands byte) (txn.Money, error) {
	if dec == 0 {
		dec = '.'
	}
	b = trimSpace(b)
	if len(b) == 0 {
		return 0, errAmountEmpty
	}
	neg := false
	switch b[0] {
	case '-':
		neg, b = true, b[1:]
	case '+':
		b = b[1:]
	}
	var whole uint64
	digits := 0
	groupLen := -1 // digits since the last separator; -1 before any separator
	i := 0
	for ; i < len(b); i++ {
		c := b[i]
		if c >= '0' && c <= '9' {
			if whole > (math.MaxInt64/txn.MoneyScale)/10 {
				return 0, errAmountOverflow
			}
			whole = whole*10 + uint64(c-'0')
			digits++
			if groupLen >= 0 {
				groupLen++
			}
			continue
		}
		if thousands != 0 && c == thousands {
			if digits == 0 || (groupLen >= 0 && groupLen != 3) || (groupLen < 0 && digits > 3) {
				return 0, errAmountGrouping
			}
			groupLen = 0
			continue
		}
		break
	}
	if groupLen >= 0 && groupLen != 3 {
		return 0, errAmountGrouping
	}
	var frac uint64
	fracDigits := 0
	roundUp := false
	if i < len(b) {
		if b[i] != dec {
			return 0, errAmountSyntax
		}
		i++
		for ; i < len(b); i++ {
			c := b[i]
			if c < '0' || c > '9' {
				return 0, errAmountSyntax
			}
			switch {
			case fracDigits < 4:
				frac = frac*10 + uint64(c-'0')
			case fracDigits == 4:
				roundUp = c >= '5'
			}
			fracDigits++
		}
		if fracDigits == 0 && digits == 0 {
			return 0, errAmountSyntax
		}
	} else if digits == 0 {
		return 0, errAmountSyntax
	}
	for n := min(fracDigits, 4); n < 4; n++ {
		frac *= 10
	}
	v := whole*txn.MoneyScale + frac
	if roundUp {
		v++
	}
	if v > math.MaxInt64 {
		return 0, errAmountOverflow
	}
	if neg {
		return -txn.Money(v), nil
	}
	return txn.Money(v), nil
}

// trimSpace drops blanks and carriage returns around a field.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
