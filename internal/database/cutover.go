package database

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sortie-dev/sortie/internal/lang"
)

// ReplicationName is the name of a job's replication objects (PostgreSQL's
// publication, slot and subscription): sortie_ and the job's ID, the same
// for db copy --online, db cutover and db abort of one source and target.
func ReplicationName(jobID string) string { return "sortie_" + jobID }

// Replication is an engine's side of an online move's cut-over.
type Replication interface {
	// Freeze stops writes at the source and says what it did.
	Freeze(ctx context.Context) (string, error)
	// CaughtUp waits until the target has applied everything the source
	// had written when it was called, and returns that position.
	CaughtUp(ctx context.Context) (string, error)
	// Sequences sets the target's sequences (or AUTO_INCREMENT counters)
	// from the source's values — replication does not carry them — and
	// returns how many.
	Sequences(ctx context.Context) (int, error)
	// Drop removes the move's replication: the target stands alone.
	Drop(ctx context.Context) error
}

// CutoverOptions say how the cut-over runs.
type CutoverOptions struct {
	// Freeze stops the source's writes first; without it the operator
	// has stopped them (the applications are down or read-only).
	Freeze bool
	// Verify is the final comparison (sortie db verify's engine).
	Verify func(ctx context.Context) (*VerifyReport, error)
}

// CutoverStep is one step of the cut-over, as the summary lists it.
type CutoverStep struct {
	Step   string    `json:"step"` // freeze, catch-up, sequences, verify, drop
	At     time.Time `json:"at"`
	Detail string    `json:"detail"`
	OK     bool      `json:"ok"`
}

// CutoverResult is what the cut-over did, for the change record.
type CutoverResult struct {
	Engine  Engine        `json:"engine"`
	Source  string        `json:"source"`
	Target  string        `json:"target"`
	Frozen  bool          `json:"frozen"`
	Steps   []CutoverStep `json:"steps"`
	Verify  *VerifyReport `json:"verify,omitempty"`
	Started time.Time     `json:"started"`
	Ended   time.Time     `json:"ended"`
	// Done says the target stands alone, identical to the source.
	Done bool `json:"done"`
}

// Cutover runs an online move's cut-over: freeze the source (when asked),
// wait until the target has caught up, set its sequences, compare both
// sides, and only when they are identical remove the replication. It
// stops at the first step that fails, leaving the replication in place
// (run it again, or sortie db abort); the result says how far it went.
func Cutover(ctx context.Context, r Replication, o CutoverOptions, src, dst Endpoint) (*CutoverResult, error) {
	res := &CutoverResult{Engine: src.Engine, Source: src.String(), Target: dst.String(), Started: time.Now().UTC()}
	defer func() { res.Ended = time.Now().UTC() }()
	step := func(name string, fn func() (string, error)) error {
		detail, err := fn()
		s := CutoverStep{Step: name, At: time.Now().UTC(), Detail: detail, OK: err == nil}
		if err != nil {
			s.Detail = err.Error()
		}
		res.Steps = append(res.Steps, s)
		return err
	}
	if o.Freeze {
		if err := step("freeze", func() (string, error) { return r.Freeze(ctx) }); err != nil {
			return res, err
		}
		res.Frozen = true
	}
	if err := step("catch-up", func() (string, error) { return r.CaughtUp(ctx) }); err != nil {
		return res, err
	}
	if err := step("sequences", func() (string, error) {
		n, err := r.Sequences(ctx)
		return fmt.Sprint(n), err
	}); err != nil {
		return res, err
	}
	var verdict Status
	if err := step("verify", func() (string, error) {
		rep, err := o.Verify(ctx)
		if err != nil {
			return "", err
		}
		res.Verify = rep
		verdict = rep.Verdict()
		if verdict != Identical {
			return "", fmt.Errorf("%s", rep.Summary(lang.English))
		}
		return rep.Summary(lang.English), nil
	}); err != nil {
		return res, err
	}
	if err := step("drop", func() (string, error) { return "", r.Drop(ctx) }); err != nil {
		return res, err
	}
	res.Done = true
	return res, nil
}

var cutoverMessages = lang.NewCatalog("database cutover", map[string]lang.Text{
	"title":     {"sortie db cutover", "sortie db cutover"},
	"source":    {"source", "source"},
	"target":    {"target", "cible"},
	"started":   {"started", "début"},
	"ended":     {"ended", "fin"},
	"freeze":    {"freeze", "gel"},
	"catch-up":  {"caught up", "rattrapage"},
	"sequences": {"sequences", "séquences"},
	"verify":    {"final verify", "vérification finale"},
	"drop":      {"replication", "réplication"},
	"failed":    {"FAILED", "ÉCHEC"},
	"seq-line":  {"%s set at the target from the source's values", "%s réglées à la cible sur les valeurs de la source"},
	"drop-line": {"removed: the target stands alone", "retirée : la cible est autonome"},
	"not-frozen": {"not frozen by sortie: the applications' writes were stopped by the operator",
		"non gelée par sortie : l'opérateur a arrêté les écritures des applications"},
	"done": {"CUT OVER: the target holds what the source holds, and replication is removed; point the applications at the target",
		"BASCULE FAITE : la cible contient ce que contient la source, et la réplication est retirée ; dirigez les applications vers la cible"},
	"stopped": {"NOT CUT OVER: stopped at %s; the replication is left in place (run db cutover again once fixed, or db abort)",
		"BASCULE NON FAITE : arrêt à l'étape %s ; la réplication reste en place (relancez db cutover une fois corrigé, ou db abort)"},
	"frozen-left": {"the source stays read-only: sortie db abort SRC DST --thaw undoes it once the applications have moved",
		"la source reste en lecture seule : sortie db abort SRC DST --thaw l'annule une fois les applications déplacées"},
})

func ct(l lang.Lang, key string, args ...any) string { return cutoverMessages.T(l, key, args...) }

// Summary is the cut-over's last line.
func (r *CutoverResult) Summary(l lang.Lang) string {
	if r.Done {
		return ct(l, "done")
	}
	last := "start"
	if n := len(r.Steps); n > 0 {
		last = ct(l, r.Steps[n-1].Step)
	}
	return ct(l, "stopped", last)
}

// Write writes the cut-over's summary, to paste into the change record,
// as text, json or md, in l.
func (r *CutoverResult) Write(w io.Writer, format string, l lang.Lang) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Event  string `json:"event"`
			Schema int    `json:"schema"`
			*CutoverResult
			Summary string `json:"summary"`
		}{"cutover", 1, r, r.Summary(l)})
	case "md", "text", "":
	default:
		return fmt.Errorf("format %q: give text, json or md", format)
	}
	rows := [][2]string{{ct(l, "source"), r.Source}, {ct(l, "target"), r.Target}, {ct(l, "started"), r.Started.Format("2006-01-02 15:04:05 MST")}}
	if !r.Frozen {
		rows = append(rows, [2]string{ct(l, "freeze"), ct(l, "not-frozen")})
	}
	for _, s := range r.Steps {
		d := s.Detail
		switch {
		case !s.OK:
			d = ct(l, "failed") + ": " + d
		case s.Step == "sequences":
			d = ct(l, "seq-line", d)
		case s.Step == "drop":
			d = ct(l, "drop-line")
		case s.Step == "verify" && r.Verify != nil:
			d = r.Verify.Summary(l)
		}
		rows = append(rows, [2]string{ct(l, s.Step), s.At.Format("15:04:05") + "  " + d})
	}
	rows = append(rows, [2]string{ct(l, "ended"), fmt.Sprintf("%s (%s)", r.Ended.Format("15:04:05"), r.Ended.Sub(r.Started).Round(time.Second))})
	if format == "md" {
		fmt.Fprintf(w, "# %s\n\n| | |\n|---|---|\n", ct(l, "title"))
		for _, row := range rows {
			fmt.Fprintf(w, "| %s | %s |\n", row[0], strings.ReplaceAll(row[1], "|", "\\|"))
		}
		fmt.Fprintf(w, "\n**%s**\n", r.Summary(l))
		if r.Done && r.Frozen {
			fmt.Fprintf(w, "\n%s\n", ct(l, "frozen-left"))
		}
		return nil
	}
	fmt.Fprintln(w, ct(l, "title"))
	for _, row := range rows {
		fmt.Fprintf(w, "  %-20s %s\n", row[0], row[1])
	}
	fmt.Fprintln(w, r.Summary(l))
	if r.Done && r.Frozen {
		fmt.Fprintln(w, ct(l, "frozen-left"))
	}
	return nil
}
