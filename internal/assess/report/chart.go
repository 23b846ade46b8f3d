package report

import (
	"fmt"
	"html/template"
	"strings"
	"unicode/utf8"
)

// bar is one bar of a chart.
type bar struct {
	Label string
	Value float64
	Text  string // the value as printed beside the bar
}

// palette: colour-blind-safe (Okabe–Ito), cycled.
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"}

// The chart's geometry, in CSS pixels at its natural size. chartWidth fits
// two charts side by side in the page's 1,100-pixel column; narrower, the
// SVG scales down with its column (viewBox, max-width 100%).
const (
	chartWidth = 500
	rowH       = 24
	// charW over-estimates the advance of one character of the 12px
	// labels (DejaVu Sans and system-ui average under 7.5px), titleCharW
	// of the 13px bold title: what is sized on it is never cut.
	charW, titleCharW = 7.5, 8.5
	maxLabelShare     = 0.42 // of the width, for the labels; longer ones end in …
)

// barChart draws horizontal bars as inline SVG: drawn on the server, no
// script, readable when printed. At most limit bars; the rest are summed
// into one last bar labelled other. Labels and values are measured so that
// none leaves the drawing; a label too long for its column is shortened,
// whole in its tooltip.
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
	maxV, labelChars, textChars := 0.0, 0, 0
	for _, b := range bars {
		maxV = max(maxV, b.Value)
		labelChars = max(labelChars, utf8.RuneCountInString(b.Label))
		textChars = max(textChars, utf8.RuneCountInString(b.Text))
	}
	maxLabel := fit(chartWidth*maxLabelShare, charW)
	labelW := float64(min(labelChars, maxLabel))*charW + 8
	textW := float64(textChars)*charW + 6
	barW := chartWidth - labelW - textW
	titleLines := wrap(title, fit(chartWidth, titleCharW))
	top := 18 * len(titleLines)
	height := top + len(bars)*rowH + 10
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 %d %d" width="%d" height="%d" aria-label="%s">`, chartWidth, height, chartWidth, height, template.HTMLEscapeString(title))
	for i, line := range titleLines {
		fmt.Fprintf(&s, `<text x="0" y="%d" class="ct">%s</text>`, 14+18*i, template.HTMLEscapeString(line))
	}
	for i, b := range bars {
		y := top + 4 + i*rowH
		w := 0.0
		if maxV > 0 && b.Value > 0 {
			w = b.Value / maxV * barW
		}
		label := b.Label
		if utf8.RuneCountInString(label) > maxLabel {
			label = string([]rune(label)[:maxLabel-1]) + "…"
		}
		fmt.Fprintf(&s, `<text x="%.1f" y="%d" text-anchor="end" class="cl"><title>%s</title>%s</text>`, labelW-8, y+15, template.HTMLEscapeString(b.Label), template.HTMLEscapeString(label))
		fmt.Fprintf(&s, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: %s</title></rect>`, labelW, y+3, w, rowH-8, palette[i%len(palette)], template.HTMLEscapeString(b.Label), template.HTMLEscapeString(b.Text))
		fmt.Fprintf(&s, `<text x="%.1f" y="%d" class="cv">%s</text>`, labelW+w+6, y+15, template.HTMLEscapeString(b.Text))
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String()) // built from escaped parts above
}

// wrap breaks s into lines of at most width characters, at spaces.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > width {
			lines = append(lines, line)
			line = w
			continue
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

// fit is how many characters of advance per fit in width.
func fit(width, per float64) int { return int(width / per) }
