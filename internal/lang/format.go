package lang

import (
	"fmt"
	"math"
	"strings"
)

// Number writes v with decimals digits after the point and the language's
// separators: 1,234.5 in English, 1 234,5 in French (a narrow no-break
// space groups the thousands).
func (l Lang) Number(v float64, decimals int) string {
	neg := v < 0
	v = math.Abs(v)
	s := fmt.Sprintf("%.*f", decimals, v)
	intPart, frac, _ := strings.Cut(s, ".")
	sep, dec := ",", "."
	if l == French {
		sep, dec = "\u202f", ","
	}
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	out := b.String()
	if frac != "" {
		out += dec + frac
	}
	if neg && strings.Trim(out, "0.,") != "" {
		out = "−" + out
	}
	return out
}

// Int writes n with the language's thousands separator.
func (l Lang) Int(n int64) string { return l.Number(float64(n), 0) }

var symbols = map[string]string{"USD": "$", "EUR": "€", "CAD": "CA$", "GBP": "£", "CHF": "CHF "}

// Money writes an amount of currency to the cent ($1,234.56, 1 234,56 $US),
// to the unit from 10,000 on.
func (l Lang) Money(v float64, currency string) string {
	if math.Abs(v) >= 10000 {
		return l.MoneyPrecise(v, currency, 0)
	}
	return l.MoneyPrecise(v, currency, 2)
}

// MoneyPrecise writes an amount with the decimals it needs: a unit price
// such as $0.085 per GB keeps its third decimal.
func (l Lang) MoneyPrecise(v float64, currency string, decimals int) string {
	n := l.Number(v, decimals)
	sym := symbols[currency]
	if l == French {
		if currency == "USD" {
			return n + "\u00a0$US"
		}
		if sym == "" {
			sym = currency
		}
		return n + "\u00a0" + strings.TrimSpace(sym)
	}
	if sym == "" {
		return currency + " " + n
	}
	return sym + n
}

// Decimals is how many decimals v needs to be written exactly, between
// lo and hi: 0.09 needs 2, 0.085 needs 3.
func Decimals(v float64, lo, hi int) int {
	for d := lo; d < hi; d++ {
		p := math.Pow10(d)
		if math.Abs(math.Round(v*p)-v*p) < 1e-9*p {
			return d
		}
	}
	return hi
}

// Bytes writes a size in binary units (KiB, MiB…; Kio, Mio… in French).
func (l Lang) Bytes(b int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	if l == French {
		units = []string{"o", "Kio", "Mio", "Gio", "Tio", "Pio"}
	}
	v := float64(b)
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return l.Number(v, 0) + "\u00a0" + units[0]
	}
	return l.Number(v, 1) + "\u00a0" + units[i]
}

// Rate writes a bandwidth in decimal units, as links are sold.
func (l Lang) Rate(bps float64) string {
	switch {
	case bps >= 1e9:
		return l.Number(bps/1e9, 1) + "\u00a0Gbit/s"
	case bps >= 1e6:
		return l.Number(bps/1e6, 0) + "\u00a0Mbit/s"
	}
	return l.Number(bps/1e3, 0) + "\u00a0kbit/s"
}

// Percent writes a share (0.8) as a percentage (80 %).
func (l Lang) Percent(x float64) string { return l.Number(x*100, 0) + "\u00a0%" }

// GB is the decimal-looking unit AWS bills in (2^30 bytes): GB, or Go in
// French.
func (l Lang) GB() string {
	if l == French {
		return "Go"
	}
	return "GB"
}
