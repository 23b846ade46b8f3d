package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/sortie-dev/sortie/internal/lang"
)

// Lang is the language of policy's output: lang.Lang, with the methods
// that write policy's own messages.
type Lang lang.Lang

// t returns key's message in l, formatted with args (see Msg.In for
// how arguments are written). An unknown key is returned as it is, so
// that it shows (and the catalog test catches it).
func (l Lang) t(key string, args ...any) string {
	if len(args) == 0 {
		return words.T(lang.Lang(l), key)
	}
	args = slicesClone(args)
	for i, a := range args {
		args[i] = argIn(a, l)
	}
	return words.T(lang.Lang(l), key, args...)
}

// T returns the message for key in l, formatted with args.
func (l Lang) T(key string, args ...any) string { return l.t(key, args...) }

// Msg is a message of policy's catalog with its arguments, written in the
// language of whatever prints it: the plan keeps its labels and reasons
// as messages, and its JSON carries them in English.
type Msg struct {
	key  string
	args []any
}

// M is the message key with args. An argument that is itself a Msg, a
// list of them (Join, List), a PrincipalID or an *Error is written in the
// same language.
func M(key string, args ...any) Msg { return Msg{key: key, args: args} }

// Text is a message that is the same in every language: a name, an
// error from elsewhere, a JSON document's own words.
func Text(s string) Msg { return Msg{key: textKey, args: []any{s}} }

const textKey = "%s"

// In writes m in l.
func (m Msg) In(l Lang) string {
	if m.key == textKey && len(m.args) == 1 {
		return fmt.Sprint(argIn(m.args[0], l))
	}
	return l.t(m.key, m.args...)
}

func slicesClone(a []any) []any { return append([]any(nil), a...) }

func (m Msg) String() string { return m.In("en") }

// IsZero reports whether m is no message.
func (m Msg) IsZero() bool { return m.key == "" }

// MarshalJSON writes m in English.
func (m Msg) MarshalJSON() ([]byte, error) { return json.Marshal(m.String()) }

// UnmarshalJSON reads a message back as its English text.
func (m *Msg) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*m = Text(s)
	return nil
}

// msgList is messages written one after the other with a separator (a
// catalog key: French puts a space before a semicolon).
type msgList struct {
	sep  string
	msgs []Msg
}

// Join is messages separated by "; ", as reasons are.
func Join(ms ...Msg) msgList { return msgList{"sep.reasons", ms} }

// List is messages or names separated by ", ".
func List[T string | Msg](items []T) msgList {
	l := msgList{sep: "sep.list"}
	for _, it := range items {
		switch it := any(it).(type) {
		case string:
			l.msgs = append(l.msgs, Text(it))
		case Msg:
			l.msgs = append(l.msgs, it)
		}
	}
	return l
}

func (ml msgList) in(l Lang) string {
	var parts []string
	for _, m := range ml.msgs {
		parts = append(parts, m.In(l))
	}
	return strings.Join(parts, l.t(ml.sep))
}

// argIn writes a message argument in l.
func argIn(a any, l Lang) any {
	switch a := a.(type) {
	case Msg:
		return a.In(l)
	case msgList:
		return a.in(l)
	case []Msg:
		return Join(a...).in(l)
	case PrincipalID:
		return a.In(l)
	case *Error:
		return a.Msg.In(l)
	case Outcome:
		return l.t(string(a))
	}
	return a
}

// In writes the principal as "user alice", "(anonymous)", in l.
func (id PrincipalID) In(l Lang) string {
	if id.Kind == KindAnonymous {
		return l.t("anonymous.name")
	}
	return l.t("kind."+id.Kind) + " " + id.Name
}

// Error is an error whose message can be written in either language;
// Error() is English. Err, when set, is the error it wraps.
type Error struct {
	Msg Msg
	Err error
}

// Errorf is the error of message key with args; the first argument that
// is an error is wrapped (as %w would).
func Errorf(key string, args ...any) error {
	e := &Error{Msg: M(key, args...)}
	for _, a := range args {
		if err, ok := a.(error); ok {
			e.Err = err
			break
		}
	}
	return e
}

func (e *Error) Error() string { return e.Msg.String() }
func (e *Error) Unwrap() error { return e.Err }

// ErrorIn writes err in l: policy's own errors in l, others as they are.
func ErrorIn(err error, l Lang) string {
	var e *Error
	if errors.As(err, &e) && e.Error() == err.Error() {
		return e.Msg.In(l)
	}
	return err.Error()
}

// errMsg is err as a message: policy's own in any language, another's as
// its text.
func errMsg(err error) Msg {
	if e, ok := err.(*Error); ok {
		return e.Msg
	}
	return Text(err.Error())
}
