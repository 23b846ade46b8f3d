package lang

import (
	"fmt"
	"os"
	"strings"
)

// Lang is a report language.
type Lang string

const (
	English Lang = "en"
	French  Lang = "fr"
)

// ParseLang accepts en or fr; "" picks French when the locale is French
// (the first of LC_ALL, LC_MESSAGES, LANG that is set, in POSIX order),
// else English.
func ParseLang(s string) (Lang, error) {
	switch strings.ToLower(s) {
	case "en":
		return English, nil
	case "fr":
		return French, nil
	case "":
		for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
			if l := os.Getenv(v); l != "" {
				if strings.HasPrefix(strings.ToLower(l), "fr") {
					return French, nil
				}
				return English, nil
			}
		}
		return English, nil
	}
	return "", fmt.Errorf("--lang %q: reports speak en or fr", s)
}
