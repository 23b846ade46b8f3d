package report

import (
	"fmt"
	"html/template"
	"strings"
)

// bar is one bar of a chart.
type bar struct {
	Label string
	Value float64
	Text  string // the value as printed beside the bar
}

// palette: colour-blind-safe (Okabe–Ito), cycled.
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"}

// barChart draws horizontal bars as inline SVG: drawn on the server, no
// script, readable when printed. At most max bars; the rest are summed into
// one last bar labelled other.
func barChart(title string, bars []bar, limit int, other string, format func(float64) string) template.HTML {
	if len(bars) == 0 {
		return ""
	}
	if limit > 0 && len(bars) > limit {
		rest := 0.0
		for _, b := range bars[limit-1:] {
			rest += b.Value
		}
		bars = append(bars[:limit-1:limit-1], bar{Label: other, Value: rest, Text: format(rest)})
	}
	maxV := 0.0
	for _, b := range bars {
		maxV = max(maxV, b.Value)
	}
	const labelW, barW, textW, rowH = 190, 330, 110, 24
	width := labelW + barW + textW
	height := len(bars)*rowH + 34
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 %d %d" width="%d" height="%d" aria-label="%s">`, width, height, width, height, template.HTMLEscapeString(title))
	fmt.Fprintf(&s, `<text x="0" y="16" class="ct">%s</text>`, template.HTMLEscapeString(title))
	for i, b := range bars {
		y := 28 + i*rowH
		w := 0.0
		if maxV > 0 && b.Value > 0 {
			w = b.Value / maxV * barW
		}
		label := b.Label
		if len([]rune(label)) > 28 {
			label = string([]rune(label)[:27]) + "…"
		}
		fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="end" class="cl">%s</text>`, labelW-8, y+15, template.HTMLEscapeString(label))
		fmt.Fprintf(&s, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: %s</title></rect>`, labelW, y+3, w, rowH-8, palette[i%len(palette)], template.HTMLEscapeString(b.Label), template.HTMLEscapeString(b.Text))
		fmt.Fprintf(&s, `<text x="%.1f" y="%d" class="cv">%s</text>`, float64(labelW)+w+6, y+15, template.HTMLEscapeString(b.Text))
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String()) // built from escaped parts above
}
